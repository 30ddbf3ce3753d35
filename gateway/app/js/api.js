// The gateway's API as the signed-in person, signed in as on the dashboard (shared
// session.js): the district account's session cookie and its CSRF token on every change,
// or in developer mode a pasted token. What was last read is kept on this device, so a
// view still opens offline, saying how old it is.

import {
  ApiError, authHeaders, claimsOf, endSession, keepToken, session, sessionClaims, signedIn, token,
  signOut as forgetToken,
} from "./session.js";

export { ApiError as Refused, chooseRole, reason, session, signedIn, token } from "./session.js";

const READ_PREFIX = "coachops.read:";
// Who the session named when last asked, for opening the app offline (no CSRF token: a
// change waits until the gateway is asked again).
const WHO_KEY = "coachops.who";

export class Offline extends Error {
  constructor() {
    super("You are offline: this needs the network.");
  }
}

// Who is signed in: the session's person in the role they act in, or (developer mode) the
// pasted token's. The gateway checks either; the app reads them only to know whose views
// to show and whose writes to send.
export function claims() {
  const text = token();
  if (text) {
    try {
      return claimsOf(text);
    } catch {
      return null;
    }
  }
  if (signedIn().signed_in) return sessionClaims();
  const kept = sessionStorage.getItem(WHO_KEY);
  return kept ? JSON.parse(kept) : null;
}

// Asks the gateway who is signed in; offline, the app goes on as who it last was.
export async function whoIsSignedIn() {
  try {
    const now = await session();
    if (now.signed_in && now.role) sessionStorage.setItem(WHO_KEY, JSON.stringify(sessionClaims()));
    else sessionStorage.removeItem(WHO_KEY);
    return now;
  } catch {
    return signedIn();
  }
}

export async function signIn(text) {
  claimsOf(text);
  keepToken(text);
  try {
    await get("/me");
  } catch (error) {
    if (error instanceof ApiError) forgetToken();
    if (!(error instanceof Offline)) throw error;
  }
}

// The session ended at the gateway (or the token was refused): who it was is no longer
// signed in here; what they wrote and has not been sent stays, for when they sign in again.
export function signedOutMeanwhile() {
  forgetToken();
  sessionStorage.removeItem(WHO_KEY);
}

// What was read is cycle content too: it leaves this device with the person who signs out
// (what they wrote and has not been sent yet stays, to send when they sign in again).
// Resolves to where to end the session at the district's provider too (or null).
export async function signOut() {
  const kept = `${READ_PREFIX}${claims()?.sub}:`;
  for (const key of Object.keys(localStorage)) if (key.startsWith(kept)) localStorage.removeItem(key);
  const pasted = token();
  signedOutMeanwhile();
  if (pasted || !signedIn().signed_in) return null;
  return endSession("/app/");
}

async function request(method, path, body) {
  const headers = { ...authHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Offline();
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (response.status >= 500) throw new Offline(); // a service is down: try again later
  if (!response.ok) throw new ApiError(response.status, answer || {});
  return answer;
}

export async function get(path) {
  const key = `${READ_PREFIX}${claims()?.sub}:${path}`;
  try {
    const answer = await request("GET", path);
    localStorage.setItem(key, JSON.stringify({ at: new Date().toISOString(), answer }));
    return answer;
  } catch (error) {
    const kept = error instanceof Offline && localStorage.getItem(key);
    if (!kept) throw error;
    const { at, answer } = JSON.parse(kept);
    return { ...answer, readOffline: at };
  }
}

export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
