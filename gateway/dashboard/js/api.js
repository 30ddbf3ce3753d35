// Calls to the gateway as the signed-in person: with their district sign-in's session (a
// cookie the browser sends by itself, and the session's CSRF token in a header), or in
// developer mode with a pasted token. Errors as the gateway words them.

import { ApiError, authHeaders, claimsOf, keepToken } from "./session.js";

export {
  ApiError, authHeaders, chooseRole, claimsOf, endSession, session, sessionClaims, signOut,
  signedIn, token,
} from "./session.js";

// Checks the token with the gateway (any answer but 401 means it was accepted).
export async function signIn(text) {
  const claims = claimsOf(text);
  const response = await fetch("/time-categories", {
    headers: { Authorization: `Bearer ${text.trim()}` },
  });
  if (response.status === 401) throw new ApiError(401, await response.json());
  keepToken(text);
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
  const response = await fetch(path, { headers: authHeaders(), credentials: "same-origin" });
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
