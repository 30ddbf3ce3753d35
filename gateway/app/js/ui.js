// Building the views: elements, labelled fields, cards, and forms that keep what was typed.

import { claims } from "./api.js";

export function el(tag, props = {}, ...kids) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...kids.flat().filter((kid) => kid !== null && kid !== undefined && kid !== false));
  return node;
}

let fieldCount = 0;

// A labelled input, select (``options``: [[value, text]]) or textarea, in its own div.
export function field(label, name, props = {}, options = null) {
  const id = `f${++fieldCount}-${name}`;
  const control = options
    ? el("select", { id, name, ...props },
      options.map(([value, text]) => el("option", { value }, text)))
    : el(props.rows ? "textarea" : "input", { id, name, ...props });
  return el("div", {}, el("label", { for: id }, label), control);
}

export function card(id, title, ...kids) {
  return el("section", { id, class: "card", "aria-labelledby": `${id}-title` },
    el("h2", { id: `${id}-title` }, title), ...kids);
}

export function values(form) {
  const read = {};
  for (const [name, value] of new FormData(form)) read[name] = typeof value === "string" ? value.trim() : value;
  return read;
}

// Whatever is typed in the form is kept on this device until it is sent, so closing the
// tab (offline or not) loses nothing; ``forget`` once the form's write is queued.
const draftKey = (key) => `coachops.draft:${claims()?.sub}:${key}`;

// Puts values in a form's keeping, as if typed there: the form opens with them.
export function prefill(key, typed) {
  localStorage.setItem(draftKey(key), JSON.stringify(typed));
}

export function kept(form, key) {
  const storeKey = draftKey(key);
  const saved = JSON.parse(localStorage.getItem(storeKey) || "{}");
  for (const [name, value] of Object.entries(saved)) {
    const control = form.elements.namedItem(name);
    if (control && "value" in control) control.value = value;
  }
  form.addEventListener("input", () => localStorage.setItem(storeKey, JSON.stringify(values(form))));
  return { forget: () => localStorage.removeItem(storeKey) };
}

// A form whose write is queued in the outbox (sent at once when online). What is typed is
// kept (``key``) until it is queued, so a view shown again meanwhile (an answer from the
// server, another write sent) loses nothing; on submit the form is emptied at once (what is
// typed next is the next write's) and given back what was typed if the write is refused.
export function queuedForm(label, kids, submit, key, { reset = false } = {}) {
  const form = el("form", { class: "stack", "aria-label": label }, ...kids,
    el("button", { type: "submit" }, label));
  const draft = kept(form, key);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = values(form);
    draft.forget();
    if (reset) form.reset();
    try {
      await submit(typed);
    } catch (error) {
      for (const [name, value] of Object.entries(typed)) form.elements.namedItem(name).value = value;
      fail(error);
    }
  });
  return form;
}

export function say(text) {
  document.getElementById("status").textContent = text;
}

export function fail(error) {
  document.getElementById("error").textContent = error.message;
}

export const minutesText = (m) => (m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`);
export const percentText = (share) => (share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`);

// Whether a share meets the target as both are shown (to a tenth of a percent, as
// ``percentText`` and the dashboard show them), so the colour agrees with the figures.
export const meetsTarget = (share, target) => typeof share === "number" && typeof target === "number"
  && Math.round(share * 1000) >= Math.round(target * 1000);

// Names for ids, from GET /me: the school's people and the schools themselves.
export function namer(me) {
  const names = new Map();
  for (const school of me.schools || []) {
    names.set(school.school_id, school.label);
    for (const person of [school.principal, ...school.coaches, ...school.teachers]) {
      if (person) names.set(person.id, person.name);
    }
  }
  names.set(me.person_id, `${me.given_name} ${me.family_name}`.trim());
  return (id) => names.get(id) || "someone no longer on the roster";
}
