// Observation capture in the classroom: a tally per look-for, a talk-time timer and
// timestamped notes. Everything is kept on this device as it is captured (a closed tab
// loses nothing) and saved through the outbox. Every control is a button or a field, so
// the keyboard alone does it all.

import { claims, get } from "./api.js";
import { queue } from "./outbox.js";
import { card, el, fail, field, values } from "./ui.js";

const TOOLS = [["talk_time", "Teacher talk time"], ["response_tally", "Tally of student responses"],
  ["question_levels", "Question levels"], ["free_notes", "Notes only"]];

const clock = (seconds) => `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;

function load(key) {
  return JSON.parse(localStorage.getItem(key) || "null")
    || { started: null, tallies: [], talk: 0, talkSince: null, notes: [] };
}

export async function observeView(ctx) {
  const [id] = ctx.ids;
  const cycle = await get(`/cycles/${id}`);
  const key = `coachops.observation:${claims().sub}:${id}`;
  const state = load(key);
  const save = () => localStorage.setItem(key, JSON.stringify(state));
  const now = () => Math.floor(Date.now() / 1000);
  if (!state.started) { state.started = now(); save(); }
  const talkSeconds = () => state.talk + (state.talkSince ? now() - state.talkSince : 0);

  const tallies = el("div", { class: "tally", role: "group", "aria-label": "Tallies" });
  // A count changes in place, so the focus stays on the button just pressed.
  const row = (t, i) => {
    const count = el("output", { "aria-live": "polite", "aria-labelledby": `look-for-${i}` }, String(t.count));
    const by = (step) => () => { t.count = Math.max(0, t.count + step); save(); count.textContent = String(t.count); };
    return [el("span", { id: `look-for-${i}` }, t.look_for), count,
      el("button", { type: "button", "aria-label": `Add one: ${t.look_for}`, onclick: by(1) }, "+1"),
      el("button", { type: "button", class: "quiet", "aria-label": `Take one off: ${t.look_for}`, onclick: by(-1) }, "−1")];
  };
  const drawTallies = () => tallies.replaceChildren(...state.tallies.flatMap(row));
  drawTallies();
  const addLookFor = el("form", { class: "row", "aria-label": "Add a look-for" },
    field("Look-for", "look_for", { required: true, placeholder: "e.g. student responds" }),
    el("button", { type: "submit" }, "Add look-for"));
  addLookFor.addEventListener("submit", (event) => {
    event.preventDefault();
    state.tallies.push({ look_for: values(addLookFor).look_for, count: 0 });
    save();
    addLookFor.reset();
    drawTallies();
  });

  const shown = el("p", { class: "timer", role: "timer", "aria-label": "Teacher talk time" }, clock(talkSeconds()));
  const toggle = el("button", { type: "button" }, state.talkSince ? "Stop teacher talk" : "Start teacher talk");
  toggle.addEventListener("click", () => {
    if (state.talkSince) { state.talk = talkSeconds(); state.talkSince = null; } else state.talkSince = now();
    toggle.textContent = state.talkSince ? "Stop teacher talk" : "Start teacher talk";
    save();
    shown.textContent = clock(talkSeconds());
  });
  const ticking = setInterval(() => {
    if (!shown.isConnected) clearInterval(ticking);
    else shown.textContent = clock(talkSeconds());
  }, 1000);

  const notes = el("ul", { class: "items" });
  const drawNotes = () => notes.replaceChildren(...state.notes.map((n) => el("li", {}, `${n.at} ${n.text}`)));
  drawNotes();
  const addNote = el("form", { class: "stack", "aria-label": "Add a note" },
    field("Note", "note", { required: true }), el("button", { type: "submit" }, "Add note"));
  addNote.addEventListener("submit", (event) => {
    event.preventDefault();
    state.notes.push({ at: clock(now() - state.started), text: values(addNote).note });
    save();
    addNote.reset();
    drawNotes();
  });

  const finish = el("form", { class: "stack", "aria-label": "Save the observation" },
    el("div", { class: "row" },
      field("Tool", "tool", {}, TOOLS),
      field("Minutes observed", "minutes", { type: "number", min: 1, max: 720, required: true,
        value: Math.max(1, Math.round((now() - state.started) / 60)) })),
    el("button", { type: "submit" }, "Save the observation"));
  finish.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const v = values(finish);
      const data = state.tallies.map((t) => ({ look_for: t.look_for, count: t.count }));
      if (talkSeconds()) data.push({ look_for: "teacher talk", seconds: talkSeconds() });
      await queue("log_observation", { cycle_id: id }, {
        observed_on: ctx.me.today, minutes: Number(v.minutes), tool: v.tool, data,
        notes: state.notes.map((n) => `${n.at} ${n.text}`).join("\n") || null,
      }, `Observation of ${cycle.teacher_ids.map(ctx.name).join(", ")}`);
      localStorage.removeItem(key);
      location.hash = `#/cycle/${id}`;
    } catch (error) {
      fail(error);
    }
  });

  return [
    card("observe", `Observing ${cycle.teacher_ids.map(ctx.name).join(", ")}`,
      el("p", { class: "hint" }, cycle.goal ? `Goal: ${cycle.goal.what}` : "")),
    card("tallies", "Tally per look-for", tallies, addLookFor),
    card("talk", "Teacher talk time", shown, toggle),
    card("notes", "Timestamped notes", notes, addNote),
    card("save", "Save", finish),
  ];
}
