// The outbox of the app's person (a coach, a teacher or a principal): every write of the
// app (the route table's synced commands) goes here first, in IndexedDB, with a client id
// made on this device, and is sent through POST /sync in the order written: at once when
// online, otherwise when the network is back. The server applies a client id once, so
// sending again after a lost answer is safe. What it refuses stays here with its reason,
// to fix and send again or to discard. Nothing is lost when the tab closes: it is stored
// before anything is sent.

import {
  Offline, Refused, claims, post, reason, signedOutMeanwhile, token, whoIsSignedIn,
} from "./api.js";
import { oneAtATime } from "./one_at_a_time.js";

const DB = "coachops-app";
const STORE = "outbox";
const listeners = new Set();

function open() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open(DB, 1);
    opening.onupgradeneeded = () => {
      opening.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function inStore(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result.result);
    tx.onerror = () => reject(tx.error);
  });
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Everything waiting or refused for the signed-in person, oldest first. Each item says who
// wrote it (``person``): only they see it, and it is only ever sent under their sign-in.
export async function items() {
  const all = await inStore("readonly", (store) => store.getAll());
  return all.filter((item) => item.person === claims()?.sub);
}

// How many items someone else wrote on this device and has not sent: kept for them.
export async function othersItems() {
  const all = await inStore("readonly", (store) => store.getAll());
  return all.filter((item) => item.person !== claims()?.sub).length;
}

export function onChange(listener) {
  listeners.add(listener);
}

async function changed() {
  const now = await items();
  for (const listener of listeners) listener(now);
}

// ``ids`` are the URL's ids (cycle_id, item_id, step_id, entry_id, agreement_id), or
// ``about``: what a view shows it with, never sent (a draft's agreement, made by the
// server); ``label`` says what it is in the person's words, for the outbox's list. It is
// sent in the role it was written in (a person may hold two): the server takes each
// command from its roles.
export async function queue(command, ids, body, label) {
  const [item] = await queueAll([[command, ids, body, label]]);
  return item;
}

// Writes that belong together (a partnership's draft and the cycle's norms naming it),
// stored at once and sent in one batch, in this order: ``[command, ids, body, label]``s.
export async function queueAll(writes) {
  const who = claims();
  const made = writes.map(([command, ids, body, label]) => ({
    client_id: newId(), command, ...ids, body, label, person: who?.sub, role: who?.role,
    state: "waiting",
  }));
  await inStore("readwrite", (store) => {
    let last;
    for (const item of made) last = store.add(item);
    return last;
  });
  // The views are told once, when the send is answered or has failed: one view shown
  // again per write, not one while it is on its way and another under the person typing.
  unseen = true;
  send();
  return made;
}

export async function discard(seq) {
  await inStore("readwrite", (store) => store.delete(seq));
  await changed();
}

// A refused item, fixed: sent again under a new client id (the old one was answered).
export async function resend(seq, body) {
  const [item] = (await items()).filter((i) => i.seq === seq);
  if (!item) return;
  const fixed = { ...item, body, client_id: newId(), state: "waiting", reason: undefined };
  await inStore("readwrite", (store) => store.put(fixed));
  await changed();
  send();
}

// Sends what waits, one batch at a time; resolves to whether everything waiting was
// answered (false: offline, try again later). What is queued while a batch is on its way
// (another write made meanwhile) goes in the next one, right after.
let unseen = false; // queued since the views were last told

export const send = oneAtATime(sendWaiting);

async function sendWaiting() {
  let answered = false;
  try {
    answered = await sendBatch();
  } finally {
    if (answered || unseen) {
      unseen = false;
      await changed();
    }
  }
  return answered !== false;
}

// True when a batch was answered, false when it could not be (offline, or refused whole),
// null when nothing was sent.
async function sendBatch() {
  // Who is signed in now: the session may have ended while offline, or be another person's
  // (signed in since on this device); only the writer's own items go, under their session.
  const before = claims()?.sub;
  if (!token()) await whoIsSignedIn();
  if (before && !claims()) await changed(); // the session ended: the page says so
  const role = claims()?.role;
  const waiting = (await items()).filter((item) => item.state === "waiting"
    && (item.role || "coach") === role); // kept before roles were: a coach's
  if (!waiting.length || !claims()) return null;
  let answer;
  try {
    answer = await post("/sync", {
      items: waiting.map(({
        seq, person, role: _r, about: _a, label, state, reason: _, ...item
      }) => item),
    });
  } catch (error) {
    // Offline, or the batch refused whole (the session ended): everything waits, in order,
    // until the same person signs in again.
    if (error instanceof Refused && error.status === 401) {
      signedOutMeanwhile();
      unseen = true; // the page says so
    }
    if (error instanceof Offline || error instanceof Refused) return false;
    throw error;
  }
  const byId = new Map(answer.results.map((result) => [result.client_id, result]));
  await inStore("readwrite", (store) => {
    for (const item of waiting) {
      const result = byId.get(item.client_id);
      if (!result) continue;
      if (result.outcome === "rejected") {
        store.put({ ...item, state: "refused", reason: reason(result.body) || `HTTP ${result.status}` });
      } else {
        store.delete(item.seq);
      }
    }
    return store.count();
  });
  return true;
}

// Send when the network comes back, and now and then while anything waits.
addEventListener("online", () => send());
setInterval(() => { if (navigator.onLine) send(); }, 20_000);
