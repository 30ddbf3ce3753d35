// Cycles: the coach's caseload (each cycle naming its teachers), proposing a cycle to a
// teacher of the school chosen by name, and one cycle from norms to closing. A teacher sees
// the same cycle page, with what is theirs to do.

import { get } from "./api.js";
import { items, newId, queue, queueAll } from "./outbox.js";
import { card, el, fail, field, kept, queuedForm, values } from "./ui.js";

const PHASES = ["plan", "act", "reflect"];
const KINDS = [["observation", "Observation"], ["walkthrough", "Walkthrough"],
  ["co_teach", "Co-teach"], ["modelled_lesson", "Modelled lesson"], ["debrief", "Debrief"]];
const OUTCOMES = [["met", "Goal met"], ["partly_met", "Partly met"], ["not_met", "Not met"]];

// A coach's cycle is named by its teachers, a teacher's by its coach.
export function cycleLine(cycle, name, role = "coach") {
  const who = role === "teacher" ? `With ${name(cycle.coach_id)}` : cycle.teacher_ids.map(name).join(", ");
  const what = cycle.goal ? cycle.goal.what : cycle.focus_area_ids.join(", ");
  return el("li", {}, el("a", { href: `#/cycle/${cycle.cycle_id}` }, `${who}: ${what}`),
    el("span", { class: "hint" }, ` · ${cycle.status}, ${cycle.phase} · ${cycle.next_steps.label}`));
}

function proposeForm(ctx) {
  const { me } = ctx;
  const teachers = me.schools.flatMap((s) => s.teachers.map((t) => [`${s.school_id}/${t.id}`,
    me.schools.length > 1 ? `${t.name} (${s.label})` : t.name]));
  const form = el("form", { class: "stack", "aria-label": "Propose a cycle" },
    field("Teacher", "teacher", { required: true }, teachers),
    field("Focus area", "focus_area_id", { required: true, placeholder: "e.g. danielson-2b" }),
    field("Goal: what will change", "what", { required: true, rows: 2, class: "plain" }),
    field("How it is measured", "measure", { required: true, rows: 2, class: "plain" }),
    field("By", "by", { type: "date", required: true }),
    el("button", { type: "submit" }, "Propose the cycle"));
  const draft = kept(form, "propose");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = values(form);
    const [school_id, teacher_id] = v.teacher.split("/");
    draft.forget();
    form.reset();
    await queue("start_cycle", {}, {
      coach_id: me.person_id, teacher_ids: [teacher_id], school_id,
      focus_area_ids: [v.focus_area_id], goal: { what: v.what, measure: v.measure, by: v.by },
    }, `Cycle proposed to ${ctx.name(teacher_id)}`);
  });
  return card("propose", "Propose a cycle", form);
}

export function cycleList(cycles, name, role) {
  return cycles.length ? el("ul", { class: "items" }, cycles.map((c) => cycleLine(c, name, role)))
    : el("p", { class: "hint" }, "None.");
}

export async function cyclesView(ctx) {
  const caseload = await get(`/coaches/${ctx.me.person_id}/caseload`);
  const list = (cycles) => cycleList(cycles, ctx.name);
  return [
    card("caseload", "Caseload",
      ...PHASES.map((phase) => [el("h3", {}, phase[0].toUpperCase() + phase.slice(1)),
        list(caseload.by_phase[phase] || [])]).flat(),
      el("h3", {}, "Proposed, awaiting the teacher"), list(caseload.proposed),
      el("h3", {}, "Closed"), list(caseload.closed)),
    proposeForm(ctx),
  ];
}

// A form of a cycle's (``key``), emptied once its write is queued.
function action(label, fields, submit, key) {
  return queuedForm(label, fields, submit, `${label}:${key}`, { reset: true });
}

function coachParts(ctx, cycle) {
  const id = cycle.cycle_id;
  const teacher = cycle.teacher_ids[0];
  const scheduled = cycle.calendar.filter((i) => i.status === "scheduled");
  const parts = [];
  const act = (label, fields, submit) => action(label, fields, submit, id);
  // The norms are a partnership agreement, which the teacher then agrees to in their app.
  parts.push(card("norms-form", "Norms", act("Propose the norms", [
    field("Debrief within (hours)", "debrief_within_hours", { type: "number", min: 1, max: 336, value: 24 }),
    field("How the coach enters the room", "entering_the_room", { required: true }),
    field("What the coach observes", "what_to_observe", { required: true }),
    field("The coach interacts with students", "interacts", {}, [["yes", "Yes"], ["no", "No"]]),
    field("Other norms", "other", { rows: 2, class: "plain" })],
  async (v) => {
    // The agreement's id is made here, so the cycle's norms can name it before either is
    // sent (offline too); both are queued at once, to go in one batch.
    const agreementId = newId();
    const norms = [`Debrief within ${v.debrief_within_hours} hours`, `Entering the room: ${v.entering_the_room}`,
      `Observing: ${v.what_to_observe}`, v.interacts === "yes" ? "The coach may interact with students"
        : "The coach does not interact with students", v.other].filter(Boolean);
    await queueAll([
      ["draft_partnership_agreement", {}, {
        agreement_id: agreementId, teacher_id: teacher,
        debrief_within_hours: Number(v.debrief_within_hours),
        entering_the_room: v.entering_the_room, what_to_observe: v.what_to_observe,
        interacts_with_students: v.interacts === "yes", other: v.other,
      }, `Norms proposed to ${ctx.name(teacher)}`],
      ["agree_norms", { cycle_id: id }, { norms, agreement_id: agreementId }, "The cycle's norms"],
    ]);
  })));
  parts.push(card("schedule", "Calendar", act("Schedule", [
    field("What", "kind", {}, KINDS),
    el("div", { class: "row" },
      field("Starts", "starts_at", { type: "datetime-local", required: true }),
      field("Minutes", "minutes", { type: "number", min: 1, max: 720, value: 45, required: true }))],
  async (v) => queue("schedule_item", { cycle_id: id }, { kind: v.kind, starts_at: v.starts_at, minutes: Number(v.minutes) },
    `${v.kind.replace("_", " ")} scheduled ${v.starts_at}`)),
  scheduled.length ? el("details", {}, el("summary", {}, "Reschedule an item"), act("Move the item", [
    field("Which", "item_id", {}, scheduled.map((i) => [i.item_id, itemText(i)])),
    el("div", { class: "row" },
      field("New start", "starts_at", { type: "datetime-local", required: true }),
      field("New minutes", "minutes", { type: "number", min: 1, max: 720 }))],
  async (v) => queue("reschedule_item", { cycle_id: id, item_id: v.item_id },
    { starts_at: v.starts_at, minutes: v.minutes ? Number(v.minutes) : null },
    `Rescheduled to ${v.starts_at.replace("T", " ")}`))) : null));
  parts.push(el("p", {}, el("a", { href: `#/observe/${id}` }, "Record an observation")));
  parts.push(card("debrief", "Debrief", act("Record the debrief", [
    field("Evidence discussed", "evidence", { rows: 3, class: "plain", required: true }),
    field("Keepers, one a line", "keepers", { rows: 2, class: "plain" }),
    field("Polishers, one a line", "polishers", { rows: 2, class: "plain" }),
    el("div", { class: "row" },
      field("Progress toward the goal (1-5)", "rating", { type: "number", min: 1, max: 5, required: true }),
      field("Minutes", "minutes", { type: "number", min: 1, max: 720, value: 30, required: true })),
    field("Progress, in words", "progress", { rows: 2, class: "plain", required: true })],
  async (v) => {
    const lines = (text) => text.split("\n").map((l) => l.trim()).filter(Boolean);
    await queue("hold_debrief", { cycle_id: id }, {
      held_on: ctx.me.today, minutes: Number(v.minutes), evidence: v.evidence,
      observation_ids: cycle.observations.map((o) => o.observation_id),
      keepers: lines(v.keepers), polishers: lines(v.polishers),
      progress: { rating: Number(v.rating), text: v.progress },
    }, "Debrief");
  })));
  parts.push(card("add-step", "Add a next step", act("Add the next step", [
    field("Next step", "text", { required: true }),
    el("div", { class: "row" },
      field("Whose", "owner_id", {}, [[teacher, ctx.name(teacher)], [ctx.me.person_id, "Mine"]]),
      field("Due", "due_on", { type: "date", required: true }))],
  async (v) => {
    await queue("add_next_step", { cycle_id: id }, v, `Next step: ${v.text}`);
  })));
  parts.push(el("details", { class: "card" }, el("summary", {}, "Revise the goal"), act("Save the goal", [
    field("Goal: what will change", "what", { required: true, rows: 2, class: "plain" }),
    field("How it is measured", "measure", { required: true, rows: 2, class: "plain" }),
    field("By", "by", { type: "date", required: true })],
  async (v) => queue("revise_goal", { cycle_id: id }, { goal: v }, `Goal revised: ${v.what}`))));
  parts.push(card("phase", "Phase and closing",
    el("button", {
      type: "button", class: "quiet",
      onclick: () => queue("move_phase_back", { cycle_id: id }, {}, "Moved back a phase").catch(fail),
    }, "Move back a phase"),
    act("Close the cycle", [field("Outcome", "outcome", {}, OUTCOMES),
      field("Evidence", "evidence", { rows: 2, class: "plain", required: true })],
    async (v) => {
      await queue("close_cycle", { cycle_id: id }, v, `Cycle closed: ${v.outcome.replace("_", " ")}`);
    }),
    cycle.status === "closed" ? el("button", {
      type: "button", class: "quiet",
      onclick: () => queue("reopen_cycle", { cycle_id: id }, {}, "Cycle reopened").catch(fail),
    }, "Reopen the cycle") : null));
  return parts;
}

// A teacher's answers are queued like every write: a button whose command waits to be sent
// is not offered again.
function teacherParts(ctx, cycle, waiting) {
  const id = cycle.cycle_id;
  const parts = [];
  const act = (command, label) => () => queue(command, { cycle_id: id }, {}, label).catch(fail);
  if (cycle.awaiting_teacher_ids.includes(ctx.me.person_id)) {
    parts.push(card("answer", "Proposed to you", waiting.has("accept_cycle") || waiting.has("decline_cycle")
      ? el("p", {}, "Your answer waits to be sent.")
      : el("div", { class: "buttons" },
        el("button", { type: "button", onclick: act("accept_cycle", "Accepted the cycle") }, "Accept"),
        el("button", { type: "button", class: "quiet", onclick: act("decline_cycle", "Declined the cycle") }, "Decline"))));
  }
  let reporting;
  if (cycle.withdrawn_on) reporting = el("p", {}, `You withdrew this cycle from reports on ${cycle.withdrawn_on}.`);
  else if (waiting.has("withdraw_from_reporting")) reporting = el("p", {}, "Your withdrawal waits to be sent.");
  else {
    reporting = [el("p", { class: "hint" }, "Withdraw this cycle from every report: its counts leave the district's figures."),
      el("button", { type: "button", class: "danger", onclick: act("withdraw_from_reporting", "Withdrew the cycle from reporting") },
        "Withdraw from reporting")];
  }
  parts.push(card("reporting", "Reporting", reporting));
  return parts;
}

function stepsCard(ctx, cycle) {
  const { steps, label } = cycle.next_steps;
  const mine = (s) => s.owner_id === ctx.me.person_id || ctx.me.role === "coach";
  const step = (command, s, label) => () => queue(command, { cycle_id: cycle.cycle_id, step_id: s.step_id }, {},
    `${label}: ${s.text}`).catch(fail);
  return card("steps", "Next steps", el("p", { class: "share", id: "steps-progress" }, label),
    el("ul", { class: "items" }, steps.map((s) => el("li", {},
      `${s.text} · ${ctx.name(s.owner_id)} · due ${s.due_on} · ${s.status}`,
      s.status === "open" && mine(s) ? el("button", {
        type: "button", class: "quiet", "aria-label": `Complete: ${s.text}`,
        onclick: step("complete_next_step", s, "Completed"),
      }, "Complete") : null,
      s.status === "open" && ctx.me.role === "coach" ? el("button", {
        type: "button", class: "quiet", "aria-label": `Drop: ${s.text}`,
        onclick: step("drop_next_step", s, "Dropped"),
      }, "Drop") : null))));
}

const itemText = (i) => `${i.kind.replace("_", " ")} ${i.starts_at.slice(0, 16).replace("T", " ")}`;

function normsPart(ctx, cycle, partnership) {
  if (!cycle.norms) return el("p", {}, "No norms proposed yet.");
  const agreed = partnership?.agreed_on ? `${ctx.name(partnership.teacher_id)} agreed on ${partnership.agreed_on}`
    : "the teacher has not agreed yet";
  const agree = partnership && !partnership.agreed_on && ctx.me.role === "teacher"
    ? el("button", {
      type: "button",
      onclick: () => queue("agree_partnership_agreement", { agreement_id: partnership.agreement_id }, {},
        "Agreed to the norms").catch(fail),
    }, "Agree to the norms") : null;
  return el("div", { id: "norms" }, el("p", {}, `Norms (${partnership ? agreed : `set ${cycle.norms.agreed_on}`}):`),
    el("ul", {}, cycle.norms.norms.map((n) => el("li", {}, n))), agree);
}

function contentCard(ctx, cycle, partnership) {
  const obs = cycle.observations.map((o) => el("li", {},
    `${o.observed_on}, ${o.minutes} min (${o.tool.replace("_", " ")}): `
    + o.data.map((d) => `${d.look_for} ${d.count ?? ""}${d.seconds != null ? ` ${d.seconds}s` : ""}`).join("; "),
    o.notes ? el("pre", { class: "hint" }, o.notes) : null));
  const debriefs = cycle.debriefs.map((d) => el("li", {},
    `${d.held_on}: ${d.evidence} · progress ${d.progress.rating}/5 · keepers: ${d.keepers.join(", ") || "—"}`
    + ` · polishers: ${d.polishers.join(", ") || "—"}`));
  return card("cycle-content", "Goal, norms and what happened",
    el("p", {}, cycle.goal ? `Goal: ${cycle.goal.what} (measured by ${cycle.goal.measure}, by ${cycle.goal.by})` : ""),
    el("p", {}, `Focus area: ${cycle.focus_area_ids.join(", ")}`),
    normsPart(ctx, cycle, partnership),
    el("h3", {}, "Calendar"),
    el("ul", { class: "items" }, cycle.calendar.map((i) => el("li", {},
      `${itemText(i)}, ${i.minutes} min · ${i.status}`,
      ctx.me.role === "coach" && i.status === "scheduled" ? [el("button", {
        type: "button", class: "quiet",
        onclick: () => queue("mark_item_done", { cycle_id: cycle.cycle_id, item_id: i.item_id }, {}, `${i.kind} done`),
      }, "Done"), el("button", {
        type: "button", class: "quiet", "aria-label": `Cancel: ${itemText(i)}`,
        onclick: () => queue("cancel_item", { cycle_id: cycle.cycle_id, item_id: i.item_id }, {},
          `Cancelled: ${itemText(i)}`).catch(fail),
      }, "Cancel")] : null))),
    el("h3", {}, "Observations"), el("ul", { class: "items" }, obs),
    el("h3", {}, "Debriefs"), el("ul", { class: "items" }, debriefs),
    cycle.closing ? el("p", {}, `Closed: ${cycle.closing.outcome.replace("_", " ")}. ${cycle.closing.evidence || ""}`) : null);
}

// The norms' agreement, or null while it is not there yet (its draft still in an outbox,
// or read neither online nor before).
async function partnershipOf(id) {
  try {
    return await get(`/partnership-agreements/${id}`);
  } catch {
    return null;
  }
}

export async function cycleView(ctx) {
  const [id] = ctx.ids;
  const [cycle, reads, outbox] = await Promise.all([
    get(`/cycles/${id}`), get(`/cycles/${id}/reads`), items()]);
  const mine = outbox.filter((i) => i.cycle_id === id);
  const who = ctx.me.role === "teacher" ? ctx.name(cycle.coach_id) : cycle.teacher_ids.map(ctx.name).join(", ");
  const head = card("cycle", `Cycle with ${who}`,
    el("p", {}, `Coach ${ctx.name(cycle.coach_id)} · ${cycle.status} · phase ${cycle.phase}`));
  // Each reader once per thing read: how often and when last.
  const byReader = new Map();
  for (const r of reads.reads) {
    const key = `${r.reader_id} ${r.what}`;
    const seen = byReader.get(key) || { ...r, times: 0 };
    seen.times += 1;
    if (r.read_at > seen.read_at) seen.read_at = r.read_at;
    byReader.set(key, seen);
  }
  const readsCard = card("reads", "Who read this cycle", el("ul", { class: "items" },
    [...byReader.values()].map((r) => el("li", {}, `${ctx.name(r.reader_id)} (${r.role}) read the `
      + `${r.what.replace("_", " ")} ${r.times}×, last on ${r.read_at.slice(0, 16).replace("T", " ")}`))));
  const waitingHere = new Set(mine.filter((i) => i.state === "waiting").map((i) => i.command));
  const own = ctx.me.role === "coach" ? coachParts(ctx, cycle) : teacherParts(ctx, cycle, waitingHere);
  const waiting = mine.length ? card("cycle-outbox", "Not sent yet", el("ul", { class: "items" },
    mine.map((i) => el("li", { class: i.state === "refused" ? "refused" : "pending" },
      `${i.label}: ${i.state === "refused" ? `refused: ${i.reason} (fix it in the Outbox)` : "waiting to send"}`)))) : null;
  const partnership = cycle.norms?.agreement_id
    ? await partnershipOf(cycle.norms.agreement_id) : null;
  return [head, waiting, contentCard(ctx, cycle, partnership), stepsCard(ctx, cycle), ...own, readsCard]
    .filter(Boolean);
}
