// District IT's console: services' readiness, parked messages, the roster's import (a
// preview, then the import followed to its end), what is still to set and setting it
// (setup.js), people on the roster, their integration
// tokens, and forgetting a person. Signs in as the dashboard does (its api.js):
// the district account (a session), or in developer mode a pasted token kept in the tab.

import {
  ApiError, authHeaders, chooseRole, claimsOf, endSession, getJson, session, sessionClaims,
  signIn, signOut, signedIn, token,
} from "/dashboard/js/api.js";
import { h, ROLE_NAMES } from "/dashboard/js/common.js";
import { showSetup, startSetup } from "./setup.js";

const $ = (id) => document.getElementById(id);
const SCOPE_NAMES = { "reports:read": "Read reports", sync: "Sync", "roster:import": "Import the roster" };
let chosen = null; // the person whose tokens are shown

function say(text) {
  $("status").textContent = text;
}

async function send(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { ...authHeaders(), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let answer;
  try {
    answer = await response.json();
  } catch {
    answer = { error: `HTTP ${response.status}` };
  }
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

// A 401 means the sign-in is over; anything else is shown where it happened.
function failed(error, where) {
  if (error instanceof ApiError && error.status === 401) {
    session().catch(() => null)
      .finally(() => leave("Your sign-in has expired or was revoked: sign in again."));
    return;
  }
  $(where).textContent = error.message;
}

function table(head, rows) {
  return h("table", {},
    h("thead", {}, h("tr", {}, ...head.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))));
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// Services ------------------------------------------------------------------------------

async function showHealth() {
  let answer;
  try {
    answer = await (await fetch("/readyz")).json();
  } catch {
    answer = { services: {}, gateway_database: false };
  }
  const checks = { ...answer.services, "gateway database": answer.gateway_database };
  $("health").replaceChildren(...Object.entries(checks).map(([name, up]) => h("li", {},
    h("span", { class: up ? "up" : "down" }, up ? "✓ ready" : "✗ not answering"), ` ${name}`)));
}

async function showParked() {
  try {
    const answer = await getJson("/dead-letters");
    $("parked-count").textContent = answer.count === 0 ? "None: every message was taken."
      : `${answer.count} parked` + (answer.count > answer.messages.length
        ? ` (the first ${answer.messages.length} shown)` : "");
    $("parked").replaceChildren(answer.messages.length ? table(
      ["Parked", "Consumer", "Event", "Why"],
      answer.messages.map((m) => [when(m.parked_at), m.consumer || "?",
        m.event || m.routing_key || "?", m.reason || ""])) : "");
  } catch (error) {
    failed(error, "parked-count");
  }
}

// The roster's import ------------------------------------------------------------------------

const FILES = ["export", "orgs", "users", "regions", "assignments"]; // each optional
const GROUPS = [
  ["arriving", "Arriving"], ["leaving", "Leaving"], ["moving", "Moving school"],
  ["role_changes", "Changing role"], ["schools_added", "Schools added"],
  ["regions_added", "Regions added"],
];
let previewed = null; // the FormData the preview was of: Apply sends the same files

function importForm(dryRun) {
  const form = new FormData();
  for (const name of FILES) {
    const chosen = $(`file-${name}`).files[0];
    if (chosen) form.append(name, chosen);
  }
  if ($("effective-on").value) form.append("effective_on", $("effective-on").value);
  if (dryRun) form.append("dry_run", "true");
  return form;
}

async function upload(form) {
  const response = await fetch("/roster/import", {
    method: "POST", credentials: "same-origin", headers: authHeaders(), body: form,
  });
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

function roleName(role) {
  return ROLE_NAMES[role] || (role ? role[0].toUpperCase() + role.slice(1) : "No role");
}

function personLine(group, entry) {
  const who = `${entry.name} (${entry.sourced_id || "no sourcedId"})`;
  const at = (places) => (places.length ? places.join(", ") : "the roster");
  if (group === "moving") return `${who}, ${roleName(entry.role)}: ${at(entry.from)} → ${at(entry.to)}`;
  if (group === "role_changes") return `${who}: ${roleName(entry.from)} → ${roleName(entry.to)}`;
  if (group === "schools_added") return `${entry.name} (${entry.sourced_id})`;
  if (group === "regions_added") return `${entry.name} (${entry.code})`;
  return `${who}, ${roleName(entry.role)}: ${at(entry.places)}`;
}

// The changes grouped: each group its count, its list (scrollable when long) and what the
// list leaves out.
function changesView(changes, title) {
  const total = Object.values(changes.counts).reduce((a, b) => a + b, 0);
  const groups = GROUPS.map(([group, label]) => {
    const count = changes.counts[group];
    const listed = changes[group];
    const headingId = `${title.replace(/\W+/g, "-").toLowerCase()}-${group}`;
    const list = h("ul", {}, ...listed.map((entry) => h("li", {}, personLine(group, entry))));
    return h("section", { "aria-labelledby": headingId },
      h("h4", { id: headingId }, `${label}: ${count}`),
      count ? h("div", { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": headingId }, list)
        : h("p", { class: "hint" }, "None."),
      count > listed.length ? h("p", { class: "hint" }, `and ${count - listed.length} more`) : null);
  });
  const stale = [...((changes.stale || {}).users || []), ...((changes.stale || {}).orgs || [])];
  return [h("h3", {}, title),
    h("p", {}, total ? `${changes.recorded} changes to the roster.` : "Nothing would change: the roster already says all this."),
    stale.length ? h("p", { class: "hint" }, `Rows no newer than the roster (left as they are): ${stale.map((e) => `${e.name} (${e.sourced_id})`).join(", ")}`) : null,
    h("div", { class: "changes" }, ...groups)].filter(Boolean);  // no stale line: none
}

function showProblems(errors) {
  $("import-problems").hidden = !errors.length;
  // A list rather than a table: a problem's reason reads whole at phone width too.
  $("import-problems").replaceChildren(errors.length ? h("ul", {}, ...errors.map((e) => h("li", {},
    h("strong", {}, [e.file, e.line ? `line ${e.line}` : "", e.field ? `field ${e.field}` : ""]
      .filter(Boolean).join(", ")), e.file ? `: ${e.reason}` : e.reason))) : "");
}

function importReset() {
  previewed = null;
  $("apply-import").disabled = true;
  $("apply-hint").hidden = false;
  $("import-error").textContent = "";
  showProblems([]);
}

async function previewImport(event) {
  event.preventDefault();
  importReset();
  $("import-preview").hidden = true;
  $("import-summary").hidden = true;
  $("import-progress").hidden = true;
  if (!$("file-export").files[0] && !($("file-orgs").files[0] && $("file-users").files[0])) {
    $("import-error").textContent =
      "Choose the export's zip, or its orgs.csv and users.csv.";
    return;
  }
  $("import-state").textContent = "Checking the files…";
  try {
    const form = importForm(true);
    const changes = await upload(form);
    $("import-preview").replaceChildren(...changesView(changes, "What this import would change"));
    $("import-preview").hidden = false;
    previewed = importForm(false);
    $("apply-import").disabled = false;
    $("apply-hint").hidden = true;
    $("import-state").textContent = "Preview ready: nothing has changed yet.";
  } catch (error) {
    $("import-state").textContent = "";
    if (error instanceof ApiError && error.status === 401) return failed(error, "import-error");
    $("import-error").textContent = error.message;
    showProblems(error.body && error.body.errors ? error.body.errors : []);
  }
}

function showProgress(record) {
  const { done, total } = record.rows;
  $("import-bar").max = Math.max(total, 1);
  $("import-bar").value = done;
  const words = record.state === "done" ? `Done: all ${total.toLocaleString()} rows compared and saved`
    : record.state === "queued" ? "Waiting to start"
    : total ? `${done.toLocaleString()} of ${total.toLocaleString()} rows compared with the roster`
      : "Reading the files";
  $("import-bar").setAttribute("aria-valuetext", words);
  $("import-rows").textContent = words;
}

// The live region hears each state and every quarter of the rows, not every poll.
function announce(record) {
  const { done, total } = record.rows;
  const quarter = total ? Math.floor((4 * done) / total) : 0;
  const said = `${record.state}:${quarter}`;
  if ($("import-state").dataset.said === said) return;
  $("import-state").dataset.said = said;
  $("import-state").textContent = record.state === "running"
    ? `Importing: ${Math.round((100 * done) / Math.max(total, 1))}% of the rows compared.`
    : record.state === "queued" ? "The import is queued." : "";
}

async function follow(importId) {
  let pause = 300;
  for (;;) {
    const record = await getJson(`/roster/imports/${importId}`);
    showProgress(record);
    if (record.state === "done" || record.state === "failed") return record;
    announce(record);
    await new Promise((resolve) => { setTimeout(resolve, pause); });
    pause = Math.min(pause * 1.5, 2000);
  }
}

async function applyImport() {
  if (!previewed) return;
  const form = previewed;
  $("apply-import").disabled = true;
  $("preview-import").disabled = true;
  $("import-error").textContent = "";
  $("import-summary").hidden = true;
  $("import-progress").hidden = false;
  showProgress({ state: "queued", rows: { done: 0, total: 0 } });
  $("import-state").dataset.said = "";
  try {
    const queued = await upload(form);
    announce({ state: "queued", rows: { done: 0, total: 0 } });
    const record = await follow(queued.import_id);
    $("import-progress").hidden = record.state !== "done"; // done: the full bar stays
    if (record.state === "done") {
      $("import-state").textContent = `Imported: ${record.changes.recorded} changes to the roster.`;
      $("import-summary").replaceChildren(...changesView(record.changes, "What this import changed"));
      $("import-summary").hidden = false;
      $("import-preview").hidden = true;
      previewed = null;
      showSetup(); // what the import leaves still to set
    } else {
      $("import-state").textContent = "";
      $("import-error").textContent = record.reason;
      showProblems(record.errors);
    }
  } catch (error) {
    $("import-progress").hidden = true;
    $("import-state").textContent = "";
    failed(error, "import-error");
  } finally {
    $("preview-import").disabled = false;
    $("apply-import").disabled = !previewed;
    $("apply-hint").hidden = Boolean(previewed);
  }
}

// People ---------------------------------------------------------------------------------

function nameOf(person) {
  return person.forgotten ? `Forgotten person (${person.sourced_id})`
    : `${person.given_name} ${person.family_name}`;
}

function placesOf(person) {
  if (!person.assignments.length) return "No role on the roster today";
  return person.assignments.map((a) => `${ROLE_NAMES[a.role] || a.role}`
    + (a.place_id ? ` at ${a.place}` : "")).join("; ");
}

async function find(event) {
  event.preventDefault();
  $("find-error").textContent = "";
  try {
    const answer = await getJson("/people", { q: $("q").value.trim() });
    const found = answer.people.map((person) => h("article", { class: "person" },
      h("h3", {}, nameOf(person)),
      h("p", {}, `sourcedId ${person.sourced_id}`, person.email ? ` · ${person.email}` : ""),
      h("p", {}, placesOf(person)),
      h("button", { type: "button", onclick: () => choose(person) },
        `Tokens and forgetting: ${nameOf(person)}`)));
    $("people").replaceChildren(
      h("p", { class: "hint" }, found.length ? `${found.length} found` + (answer.more ? " (more: be more precise)" : "")
        : "Nobody on the roster matches."), ...found);
  } catch (error) {
    failed(error, "find-error");
  }
}

async function choose(person) {
  chosen = person;
  $("person").hidden = false;
  $("person-title").textContent = nameOf(person);
  $("person-roles").textContent = `sourcedId ${person.sourced_id}. ${placesOf(person)}.`;
  $("issued").hidden = true;
  $("issue-error").textContent = "";
  $("forget").disabled = person.forgotten;
  $("role").replaceChildren(h("option", { value: "" }, "Whichever role its scope needs"),
    ...person.roles.map((role) => h("option", { value: role }, ROLE_NAMES[role] || role)));
  $("person-title").focus();
  await showTokens();
}

async function showTokens() {
  try {
    const answer = await getJson("/integration-tokens", { person_id: chosen.person_id });
    $("tokens").replaceChildren(answer.tokens.length ? table(
      ["For", "May", "As", "Status", "Until", ""],
      answer.tokens.map((t) => [t.label, t.scopes.map((s) => SCOPE_NAMES[s] || s).join(", "),
        ROLE_NAMES[t.role] || t.role, t.status, when(t.expires_at),
        t.status === "active" ? h("button", {
          type: "button", class: "plain", onclick: () => revoke(t),
        }, `Revoke “${t.label}”`) : ""])) : h("p", {}, "None issued."));
  } catch (error) {
    failed(error, "issue-error");
  }
}

async function issue(event) {
  event.preventDefault();
  $("issue-error").textContent = "";
  const form = new FormData($("issue-form"));
  const body = { person: chosen.sourced_id, scopes: form.getAll("scope"), label: form.get("label") };
  if (form.get("days")) body.days = Number(form.get("days"));
  if (form.get("role")) body.role = form.get("role");
  if (!body.scopes.length) {
    $("issue-error").textContent = "Choose what the token may do.";
    return;
  }
  try {
    const issued = await send("POST", "/integration-tokens", body);
    $("issued-token").value = issued.token;
    $("copied").textContent = "";
    $("issued").hidden = false;
    $("issue-form").reset();
    say(`Issued “${issued.label}” for ${nameOf(chosen)}, until ${when(issued.expires_at)}.`);
    await showTokens();
    $("issued-token").focus();
  } catch (error) {
    failed(error, "issue-error");
  }
}

async function copy() {
  const text = $("issued-token").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $("issued-token").select(); // a browser that refuses the clipboard API
    document.execCommand("copy");
  }
  $("copied").textContent = "Copied.";
}

async function revoke(t) {
  try {
    await send("POST", `/integration-tokens/${t.token_id}/revoke`);
    say(`Revoked “${t.label}”: every gateway refuses it within seconds.`);
    await showTokens();
  } catch (error) {
    failed(error, "issue-error");
  }
}

// Forgetting -----------------------------------------------------------------------------

function askToForget() {
  $("forget-who").textContent = `${nameOf(chosen)} (sourcedId ${chosen.sourced_id}): their `
    + "names, email and what only they wrote become unreadable in every service, for good.";
  $("forget-confirm").value = "";
  $("forget-error").textContent = "";
  $("forget-dialog").showModal();
}

async function forget(event) {
  event.preventDefault();
  if ($("forget-confirm").value.trim() !== chosen.sourced_id) {
    $("forget-error").textContent = "That is not their sourcedId: nothing was forgotten.";
    return;
  }
  try {
    await send("POST", `/people/${chosen.person_id}/forget`);
    $("forget-dialog").close();
    say(`${nameOf(chosen)} was forgotten; their tokens no longer work.`);
    $("person").hidden = true;
    $("people").replaceChildren();
    $("q").focus();
  } catch (error) {
    failed(error, "forget-error");
  }
}

// Signing in -----------------------------------------------------------------------------

function enter(claims) {
  $("sign-in").hidden = true;
  $("main").hidden = false;
  $("sign-out").hidden = false;
  const byName = claims.name ? ` ${claims.name},` : "";
  $("who").textContent = `Signed in as${byName} ${ROLE_NAMES[claims.role] || claims.role}`;
  showHealth();
  showParked();
  showSetup();
}

function leave(message = "") {
  signOut();
  const offered = signedIn();
  $("main").hidden = true;
  $("sign-out").hidden = !offered.signed_in; // signed in, but not as district IT
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("district-sign-in").hidden = !offered.sign_in || offered.signed_in;
  $("paste-token").hidden = !offered.token_paste;
  $("no-sign-in").hidden = offered.sign_in || offered.token_paste;
  $("sign-in-error").textContent = message;
}

async function signOutEverywhere() {
  if (!signedIn().signed_in) return leave();
  try {
    const atProvider = await endSession();
    if (atProvider) return location.assign(atProvider);
  } catch (error) {
    return leave(error.message);
  }
  return leave();
}

// Signed in with the district account: as district IT when the roster makes them so.
async function enterSession(current) {
  if (!(current.roles || []).includes("it_admin")) {
    const roles = (current.roles || []).map((r) => ROLE_NAMES[r] || r).join(", ");
    return leave(`This console is for district IT; the roster makes you ${roles}.`);
  }
  if (current.role !== "it_admin") await chooseRole("it_admin");
  return enter(sessionClaims());
}

function start() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    try {
      const claims = await signIn($("token").value);
      $("token").value = "";
      if (claims.role !== "it_admin") {
        leave(`This console is for district IT; that token is a ${ROLE_NAMES[claims.role] || claims.role}'s.`);
        return;
      }
      enter(claims);
    } catch (error) {
      $("sign-in-error").textContent = error.message;
    }
  });
  $("sign-out").addEventListener("click", () => signOutEverywhere());
  $("health-refresh").addEventListener("click", () => { showHealth(); showParked(); });
  $("find-form").addEventListener("submit", find);
  $("import-form").addEventListener("submit", previewImport);
  $("import-form").addEventListener("change", importReset); // other files: preview again
  $("apply-import").addEventListener("click", applyImport);
  $("issue-form").addEventListener("submit", issue);
  $("copy").addEventListener("click", copy);
  $("forget").addEventListener("click", askToForget);
  $("forget-form").addEventListener("submit", forget);
  $("forget-no").addEventListener("click", () => $("forget-dialog").close());
  startSetup(failed);
  return session().catch(() => signedIn()).then((current) => {
    const kept = token();
    if (current.signed_in && !kept) return enterSession(current).catch((e) => leave(e.message));
    if (!kept || !current.token_paste) return leave();
    try {
      const claims = claimsOf(kept);
      if (claims.role !== "it_admin") return leave();
      return enter(claims);
    } catch (error) {
      return leave(error.message);
    }
  });
}

start();
