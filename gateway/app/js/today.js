// The coach's day: quick add, the day's entries (corrected or voided, never edited in
// place), suggestions from calendar items done in cycles, and the week's coaching share
// beside the district's target. Every write goes through the outbox.

import { Refused, get, post } from "./api.js";
import { items, newId, queue } from "./outbox.js";
import { card, el, fail, field, kept, meetsTarget, minutesText, percentText, values } from "./ui.js";

function cycleOptions(caseload, name) {
  const open = Object.values(caseload.by_phase || {}).flat();
  return open.map((c) => [c.cycle_id, `${c.teacher_ids.map(name).join(", ")}: ${c.goal?.what || c.focus_area_ids.join(", ")}`]);
}

// start/end or minutes, as the API takes them; an error naming the field otherwise.
function length(form) {
  const { minutes, start, end } = values(form);
  if (minutes && (start || end)) throw new Error("Give minutes, or start and end, not both.");
  if (minutes) return { minutes: Number(minutes) };
  if (start && end) return { start, end };
  throw new Error("Give the minutes, or the start and the end.");
}

function quickAdd(ctx, day, categories, caseload) {
  const { me, name } = ctx;
  const form = el("form", { class: "stack", "aria-label": "Log time" },
    field("Category", "category_id", { required: true },
      categories.filter((c) => !c.retired).map((c) => [c.category_id, `${c.label} (${c.kind})`])),
    el("div", { class: "row" },
      field("Minutes", "minutes", { type: "number", min: 1, max: 1440, inputmode: "numeric" }),
      field("or start", "start", { type: "time" }),
      field("and end", "end", { type: "time" })),
    field("School", "school_id", {}, me.schools.map((s) => [s.school_id, s.label])),
    el("div", { class: "row" },
      field("Cycle it served", "cycle_id", {}, [["", "none"], ...cycleOptions(caseload, name)]),
      field("or focus area", "focus_area_id", { placeholder: "e.g. literacy" })),
    field("Note (only you see it)", "note", { rows: 2, class: "plain" }),
    el("button", { type: "submit" }, "Log time"));
  const draft = kept(form, "today-add");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const v = values(form);
      const category = categories.find((c) => c.category_id === v.category_id);
      const body = {
        entry_id: newId(), coach_id: me.person_id, school_id: v.school_id, worked_on: day,
        category_id: v.category_id, ...length(form), cycle_id: v.cycle_id || null,
        focus_area_id: v.focus_area_id || null, note: v.note || null,
      };
      const how = body.minutes ? minutesText(body.minutes) : `${body.start}–${body.end}`;
      draft.forget();
      form.reset(); // at once: what is typed next is the next entry
      await queue("record_time_entry", {}, body, `${category?.label || v.category_id}, ${how} on ${day}`);
    } catch (error) {
      fail(error);
    }
  });
  return card("log-time", `Log time on ${day}`, form);
}

function entryRow(entry, schools, categories) {
  const school = schools.get(entry.school_id) || "";
  const times = entry.start ? `${entry.start}–${entry.end}, ` : "";
  const corrected = (entry.history || []).filter((change) => change.action === "corrected").length;
  const row = el("li", { "data-entry": entry.entry_id },
    el("span", { class: entry.voided ? "voided" : "" },
      `${entry.category_label}: ${times}${minutesText(entry.minutes)} · ${school}`),
    entry.voided ? el("span", {}, " (voided)") : null,
    corrected ? el("span", { class: "hint" }, ` · corrected ${corrected}×`) : null);
  if (entry.voided) return row;
  const correct = el("form", { class: "stack", hidden: true, "aria-label": `Correct ${entry.category_label}` },
    el("div", { class: "row" },
      field("New minutes", "minutes", { type: "number", min: 1, max: 1440 }),
      field("New category", "category_id", {},
        [["", "unchanged"], ...categories.map((c) => [c.category_id, c.label])])),
    field("Why correct it", "reason", { required: true }),
    el("button", { type: "submit" }, "Save the correction"));
  correct.addEventListener("submit", async (event) => {
    event.preventDefault();
    const v = values(correct);
    const body = { reason: v.reason };
    if (v.minutes) body.minutes = Number(v.minutes);
    if (v.category_id) body.category_id = v.category_id;
    if (v.minutes && entry.start) Object.assign(body, { start: null, end: null });
    await queue("correct_time_entry", { entry_id: entry.entry_id }, body,
      `Correction of ${entry.category_label} (${v.reason})`);
  });
  const voiding = el("form", { class: "stack", hidden: true, "aria-label": `Void ${entry.category_label}` },
    field("Why void it", "reason", { required: true }),
    el("button", { type: "submit", class: "danger" }, "Void the entry"));
  voiding.addEventListener("submit", async (event) => {
    event.preventDefault();
    await queue("void_time_entry", { entry_id: entry.entry_id }, values(voiding),
      `Void of ${entry.category_label}`);
  });
  const toggle = (form) => () => { form.hidden = !form.hidden; };
  row.append(el("div", { class: "buttons" },
    el("button", { type: "button", class: "quiet", onclick: toggle(correct) }, "Correct"),
    el("button", { type: "button", class: "quiet", onclick: toggle(voiding) }, "Void")),
  correct, voiding);
  return row;
}

function suggestionRow(ctx, day, suggestion, answered) {
  const what = `${suggestion.category_label}: ${suggestion.kind.replace("_", " ")}, ${minutesText(suggestion.minutes)}`;
  const act = (command, label) => () => queue(command, {},
    { coach_id: ctx.me.person_id, date: day, item_id: suggestion.item_id }, `${label}: ${what}`).catch(fail);
  if (answered) return el("li", { class: "pending" }, `${what}: your answer waits to be sent`);
  return el("li", {}, what,
    el("div", { class: "buttons" },
      el("button", { type: "button", onclick: act("confirm_time_suggestion", "Confirmed") }, "Confirm"),
      el("button", { type: "button", class: "quiet", onclick: act("dismiss_time_suggestion", "Dismissed") }, "Dismiss")));
}

// A spreadsheet of time (CSV): taken whole or refused whole, with each line's problem.
function importCard(ctx) {
  const form = el("form", { class: "stack", "aria-label": "Import time from a spreadsheet" },
    el("p", { class: "hint" }, "Columns: date, start, end or minutes, category; optionally school_id, cycle_id, focus_area_id, note."),
    field("Spreadsheet file (.csv)", "file", { type: "file", accept: ".csv,text/csv", required: true }),
    field("School of rows without one", "school_id", {}, ctx.me.schools.map((s) => [s.school_id, s.label])),
    el("button", { type: "submit", class: "quiet" }, "Import"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.namedItem("file").files[0];
    try {
      const answer = await post(`/coaches/${ctx.me.person_id}/time-entries/import`,
        { csv: await file.text(), school_id: values(form).school_id });
      form.replaceChildren(el("p", { role: "status" }, `Imported ${answer.imported} ${answer.imported === 1 ? "entry" : "entries"}.`));
    } catch (error) {
      const problems = error instanceof Refused ? error.body.errors || [] : [];
      fail(problems.length ? new Error(`${error.message}: ${problems.map((p) => `line ${p.line}: ${p.reason}`).join("; ")}`) : error);
    }
  });
  return el("details", { class: "card" }, el("summary", {}, "Import time from a spreadsheet"), form);
}

// The week's coaching share beside the district's target, which the week's answer carries.
function weekCard(week) {
  const share = week.totals.coaching_share;
  const meets = meetsTarget(share, week.target_share);
  return card("week", `The week of ${week.week_start}`,
    el("p", { class: "share" }, "Coaching share ",
      el("span", { class: meets ? "meets" : "below" }, percentText(share)),
      ` · the district's target ${percentText(week.target_share)}`),
    el("p", { class: "hint" }, `${minutesText(week.totals.coaching_minutes)} coaching of `
      + `${minutesText(week.totals.total_minutes)} logged.`),
    el("ul", { class: "items" }, week.days.filter((d) => d.totals.total_minutes).map((d) =>
      el("li", {}, `${d.date}: ${minutesText(d.totals.total_minutes)}, coaching `
        + percentText(d.totals.coaching_share)))));
}

export async function todayView(ctx) {
  const { me, ids } = ctx;
  const day = ids[0] || me.today;
  const base = `/coaches/${me.person_id}`;
  const [{ categories }, today, week, caseload, outbox] = await Promise.all([
    get("/time-categories"), get(`${base}/time/days/${day}`), get(`${base}/time/weeks/${day}`),
    get(`${base}/caseload`), items()]);
  const schools = new Map(me.schools.map((s) => [s.school_id, s.label]));
  const picker = el("form", { class: "row", "aria-label": "Day" },
    field("Day", "day", { type: "date", value: day }),
    el("button", { type: "submit", class: "quiet" }, "Show"));
  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/today/${values(picker).day}`;
  });
  const waiting = outbox.filter((i) => i.command.endsWith("time_entry"));
  return [
    picker,
    quickAdd(ctx, day, categories, caseload),
    card("entries", "Entries",
      el("p", { class: "hint" }, `${minutesText(today.totals.total_minutes)} logged, coaching `
        + percentText(today.totals.coaching_share)),
      el("ul", { class: "items" },
        today.entries.map((e) => entryRow(e, schools, categories)),
        waiting.map((i) => el("li", { class: i.state === "refused" ? "refused" : "pending" },
          `${i.label}: ${i.state === "refused" ? `refused: ${i.reason}` : "waiting to send"}`))),
      today.entries.length || waiting.length ? null : el("p", {}, "Nothing logged yet.")),
    today.suggestions.length ? card("suggestions", "From your calendar",
      el("ul", { class: "items" }, today.suggestions.map((s) => suggestionRow(ctx, day, s,
        outbox.some((i) => i.state === "waiting" && i.body.item_id === s.item_id
          && i.command.endsWith("time_suggestion"))))))
      : null,
    weekCard(week),
    importCard(ctx),
  ].filter(Boolean);
}
