// Plan alignment: how much coaching time and how many cycles serve a focus area of the
// coaching agreement in force, and which pairs need an agreement or a check-in.

import { sharesAgainstTarget } from "../charts.js";
import { csvButton, getReport, h, nameOf, period, rowName, section } from "../common.js";
import { count, hours, isSuppressed, percent, table } from "../tables.js";

// Below a school, alignment is reported per coach-school pair.
const LEVEL_BELOW = { region: "region", school: "school", coach: "coach_school", month: "month" };

export async function alignment(ctx) {
  const report = await getReport("/reports/plan-alignment", ctx.query);
  const level = LEVEL_BELOW[ctx.childLevel];
  const children = report.rows.filter((r) => r.level === level);
  const noun = { region: "region", school: "school", coach_school: "coach and school",
    month: "month" }[level];
  const flags = report.rows.filter((r) => r.level.startsWith("flag_"));

  const shares = section("alignment", `Plan alignment per ${noun}`, period(report),
    children.length ? sharesAgainstTarget(children.map((r) => ({
      label: nameOf(level, r.key), share: r.aligned_time_share })),
    { description: `Share of coaching time aligned to the agreement, per ${noun}` }) : null,
    table(`Plan alignment per ${noun}`, [
      { name: "name", title: noun[0].toUpperCase() + noun.slice(1),
        cell: (r) => (level === "coach_school" ? nameOf(level, r.key) : rowName(ctx, level, r.key)) },
      { name: "coaching_hours", title: "Coaching hours", numeric: true,
        cell: (r) => hours(r.coaching_minutes) },
      { name: "aligned_hours", title: "Aligned hours", numeric: true,
        cell: (r) => hours(r.aligned_minutes) },
      { name: "aligned_time_share", title: "Aligned time", numeric: true,
        cell: (r) => percent(r.aligned_time_share) },
      { name: "cycles", title: "Cycles", numeric: true, cell: (r) => count(r.cycles) },
      { name: "aligned_cycles", title: "Aligned cycles", numeric: true,
        cell: (r) => count(r.aligned_cycles) },
      { name: "aligned_cycle_share", title: "Aligned cycle share", numeric: true,
        cell: (r) => (isSuppressed(r.aligned_cycle_share) ? "suppressed"
          : percent(r.aligned_cycle_share)) },
    ], children),
    csvButton("plan alignment", "/reports/plan-alignment", ctx.query, ctx.fail));

  const attention = section("agreements-to-attend", "Agreements to attend to",
    h("p", {}, "Coach-school pairs with no signed agreement in force, and agreements whose"
      + " check-in is overdue, on the report's last day."),
    table("Agreements to attend to", [
      { name: "what", title: "What",
        cell: (r) => (r.level === "flag_no_agreement" ? "No agreement in force"
          : "Check-in overdue") },
      { name: "school", title: "School", cell: (r) => nameOf("school", r.school_id) },
      { name: "coach", title: "Coach", cell: (r) => nameOf("coach", r.coach_id) },
      { name: "due_on", title: "Check-in due", cell: (r) => r.due_on || "—" },
    ], flags, { empty: "Every assigned coach has a signed agreement, with check-ins on time." }));
  return [shares, attention];
}
