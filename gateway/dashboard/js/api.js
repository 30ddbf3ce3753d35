// Calls to the gateway with the signed-in person's token; errors as the gateway words them.

const TOKEN_KEY = "coachops.token";

export class ApiError extends Error {
  constructor(status, body) {
    const message = body.message || body.error || `HTTP ${status}`;
    // Name the fields at fault; their reasons too when they add to the message.
    const fields = (body.fields || [])
      .map((f) => (f.reason === message ? f.field : `${f.field}: ${f.reason}`)).join("; ");
    super(fields ? `${message} (${fields})` : message);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
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

// Checks the token with the gateway (any answer but 401 means it was accepted).
export async function signIn(text) {
  const claims = claimsOf(text);
  const response = await fetch("/time-categories", {
    headers: { Authorization: `Bearer ${text.trim()}` },
  });
  if (response.status === 401) throw new ApiError(401, await response.json());
  sessionStorage.setItem(TOKEN_KEY, text.trim());
  return claims;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function call(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    let body;
    try {
      body = await response.json();
    } catch {
      body = { error: `HTTP ${response.status}` };
    }
    throw new ApiError(response.status, body);
  }
  return response;
}

export async function getJson(path, params = {}) {
  return (await call(path + query(params))).json();
}

// Fetches the CSV with the token and hands it to the browser as a file download.
export async function downloadCsv(path, params) {
  const response = await call(path + query({ ...params, format: "csv" }));
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "report.csv";
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
