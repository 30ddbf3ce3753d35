// Who is signed in, for every page of the gateway (the dashboard, the console, the app):
// the district sign-in's session (a cookie the browser sends by itself, and the session's
// CSRF token in a header on every change), or in developer mode a pasted token kept in the
// tab. Served in each folder from gateway/shared/.

const TOKEN_KEY = "coachops.token";
let current = { signed_in: false, sign_in: false, token_paste: true };

// The gateway's own words for why: its message and the fields at fault.
export function reason(body, otherwise = "") {
  if (!body) return otherwise;
  const message = body.message || body.error || otherwise;
  // Name the fields at fault; their reasons too when they add to the message.
  const fields = (body.fields || [])
    .map((f) => (f.reason === message ? f.field : `${f.field}: ${f.reason}`)).join("; ");
  return fields ? `${message} (${fields})` : message;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(reason(body, `HTTP ${status}`));
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(text) {
  sessionStorage.setItem(TOKEN_KEY, text.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// The district sign-in's session (GET /auth/session): who, their roles, the one they act
// in, the CSRF token; or, signed out, whether district sign-in and pasting are on.
export async function session() {
  const response = await fetch("/auth/session", { credentials: "same-origin", cache: "no-store" });
  current = await response.json();
  return current;
}

export function signedIn() {
  return current;
}

// Who the session names, as a pasted token's claims would.
export function sessionClaims() {
  return current.signed_in && current.role
    ? { sub: current.person_id, role: current.role, name: current.name } : null;
}

// A pasted token when there is one; otherwise the session's CSRF token (its cookie goes
// by itself).
export function authHeaders() {
  if (token()) return { Authorization: `Bearer ${token()}` };
  return current.csrf_token ? { "X-CSRF-Token": current.csrf_token } : {};
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { ...authHeaders(), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

export async function chooseRole(role) {
  current = { ...current, ...(await post("/auth/role", { role })) };
  return current;
}

// Ends the session; where to end it at the district's provider too (or null), which
// sends the browser back to ``back`` (one of the gateway's pages) after.
export async function endSession(back = location.pathname) {
  const answer = await post(`/auth/signout?next=${encodeURIComponent(back)}`);
  current = { signed_in: false, sign_in: current.sign_in, token_paste: current.token_paste };
  return answer.provider_signout;
}

// Who the token names. The gateway checks the signature; the page only reads the claims
// to know which views to offer.
export function claimsOf(text) {
  const parts = text.trim().split(".");
  if (parts.length !== 3) throw new Error("this is not an access token (expected three parts)");
  const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
  const claims = JSON.parse(atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "=")));
  if (!claims.sub || !claims.role) throw new Error("the token names no person or role");
  if (claims.exp && claims.exp * 1000 < Date.now()) throw new Error("the token has expired");
  return claims;
}
