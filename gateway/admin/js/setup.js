// What no SIS export says, in district IT's console: the list of what is still to set
// (GET /roster/unset), and setting it one fact at a time (POST /roster/setup): a coach at a
// school, a school in a region, a region's representative. Everyone is picked by name.

import { ApiError, authHeaders, getJson } from "/dashboard/js/api.js";
import { h, ROLE_NAMES } from "/dashboard/js/common.js";

const $ = (id) => document.getElementById(id);
let onFailure = () => {}; // the console's: a 401 ends the sign-in

function option(value, text) {
  return h("option", { value }, text);
}

// Still to set --------------------------------------------------------------------------

function group(title, items, named) {
  const id = `unset-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return h("section", { "aria-labelledby": id },
    h("h3", { id }, `${title}: ${items.length}`),
    // A long list scrolls: a region the keyboard reaches.
    items.length ? h("div", { class: "scroll", tabindex: "0", role: "region", "aria-labelledby": id },
      h("ul", {}, ...items.map((item) => h("li", {}, named(item))))) : null);
}

export async function showUnset() {
  $("unset-error").textContent = "";
  try {
    const unset = await getJson("/roster/unset");
    const name = (place) => place.name || "A region without a name";
    const lists = [
      ["Schools without a coach", unset.schools_without_coach],
      ["Schools without a region", unset.schools_without_region],
      ["Schools without a principal", unset.schools_without_principal],
      ["Regions without a representative", unset.regions_without_representative],
    ].filter(([, items]) => items.length);
    const lines = [];
    if (!unset.district_leaders) lines.push("Nobody leads coaching for the district yet.");
    if (!unset.other_it_admins) lines.push("You are the only district IT administrator.");
    $("unset").replaceChildren(h("div", { class: "unset" },
      h("p", {}, unset.complete ? "Everything is set." : "Not yet set on the roster today:"),
      ...lists.map(([title, items]) => group(title, items, name)),
      ...lines.map((line) => h("p", {}, line))));
  } catch (error) {
    onFailure(error, "unset-error");
  }
}

// The pickers -----------------------------------------------------------------------------

const placeholder = (text) => option("", text);

async function fillSchools() {
  const { schools } = await getJson("/roster/schools");
  for (const id of ["coach-school", "region-school"]) {
    const kept = $(id).value;
    $(id).replaceChildren(placeholder("Choose a school"),
      ...schools.map((s) => option(s.school_id, s.region ? `${s.name} (${s.region.name})` : s.name)));
    $(id).value = kept;
  }
}

async function fillRegions() {
  const { regions } = await getJson("/roster/regions");
  const kept = $("rep-region").value;
  $("rep-region").replaceChildren(placeholder(regions.length ? "Choose a region"
    : "No region yet: put a school in one first"),
  ...regions.map((r) => option(r.code, r.representative && r.representative.name
    ? `${r.name} (now ${r.representative.name})` : r.name)));
  $("rep-region").value = kept;
  $("region-names").replaceChildren(...regions.map((r) => option(r.name, r.name)));
}

function personText(person) {
  const roles = person.roles.map((r) => ROLE_NAMES[r] || r).join(", ");
  return `${person.name || "Forgotten person"}${roles ? ` (${roles})` : ""}`;
}

// The people of a school or a region, by family name (GET /roster/people).
async function fillPeople(select, filter, prompt) {
  if (!Object.values(filter)[0]) {
    select.replaceChildren(placeholder(prompt));
    return;
  }
  const { people } = await getJson("/roster/people", { ...filter, limit: 500 });
  select.replaceChildren(placeholder(people.length ? "Choose a person" : "Nobody there yet"),
    ...people.filter((p) => !p.forgotten).map((p) => option(p.person_id, personText(p))));
}

async function refreshPickers() {
  try {
    await Promise.all([fillSchools(), fillRegions()]);
  } catch (error) {
    onFailure(error, "setup-done");
  }
}

// Setting a fact --------------------------------------------------------------------------

function clearErrors(form) {
  for (const node of form.querySelectorAll(".error")) node.remove();
  for (const node of form.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
}

// The error beside the field it names (the button when it names none of the form's).
function showError(form, field, message) {
  const target = form.querySelector(`[data-field="${field}"]`) || form.querySelector("button");
  const id = `${target.id || form.id}-error`;
  target.after(h("p", { id, class: "error", role: "alert" }, message));
  if (target.tagName !== "BUTTON") {
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", id);
    target.focus();
  }
}

// The field an answer names, and what to say beside it (a 400 names fields with reasons).
function fieldOf(body) {
  if (!body) return null;
  if (body.field) return body.field;
  return body.fields && body.fields.length ? body.fields[0].field : null;
}

function reasonOf(error) {
  const named = error.body && error.body.fields && error.body.fields[0];
  if (!named || !named.reason) return error.message;
  return named.reason[0].toUpperCase() + named.reason.slice(1) + ".";
}

async function post(body) {
  const response = await fetch("/roster/setup", {
    method: "POST", credentials: "same-origin",
    headers: { ...authHeaders(), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

const REQUIRED = { school_id: "Choose a school.", person_id: "Choose a person.",
  region: "Give the region." };

async function submit(event, kind) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  $("setup-done").textContent = "";
  const body = { kind };
  for (const field of form.querySelectorAll("[data-field]")) {
    if (field.value.trim()) body[field.dataset.field] = field.value.trim();
    else if (REQUIRED[field.dataset.field]) {
      return showError(form, field.dataset.field, REQUIRED[field.dataset.field]);
    }
  }
  try {
    const done = await post(body);
    $("setup-done").textContent = done.said;
    await Promise.all([showUnset(), refreshPickers()]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return onFailure(error, "setup-done");
    return showError(form, fieldOf(error.body), reasonOf(error));
  }
  return null;
}

// Called once at start; ``failed(error, where)`` is the console's.
export function startSetup(failed) {
  onFailure = failed;
  $("coach-form").addEventListener("submit", (e) => submit(e, "coach"));
  $("region-form").addEventListener("submit", (e) => submit(e, "school_region"));
  $("rep-form").addEventListener("submit", (e) => submit(e, "clt_rep"));
  $("coach-school").addEventListener("change", () => fillPeople($("coach-person"),
    { school_id: $("coach-school").value }, "Choose the school first").catch(
    (error) => failed(error, "setup-done")));
  $("rep-region").addEventListener("change", async () => {
    const { regions } = await getJson("/roster/regions");
    const chosen = regions.find((r) => r.code === $("rep-region").value);
    await fillPeople($("rep-person"), { region_id: chosen ? chosen.region_id : "" },
      "Choose the region first");
  });
  $("coach-person").replaceChildren(placeholder("Choose the school first"));
  $("rep-person").replaceChildren(placeholder("Choose the region first"));
}

// After signing in and after each import: what is still to set, and the pickers' lists.
export function showSetup() {
  return Promise.all([showUnset(), refreshPickers()]);
}
