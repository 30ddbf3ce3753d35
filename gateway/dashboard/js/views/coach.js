// A coach's own page: the caseload by phase and the week of time at a glance.

import { getJson } from "../api.js";
import { coloursFor, legend, stackedBars } from "../charts.js";
import { h, learnSchoolNames, nameOf, section, shareHeadline } from "../common.js";
import { count, hours, percent, table } from "../tables.js";

const PHASES = ["plan", "act", "reflect"];

export async function myWeek(ctx) {
  // Without as_of, this week is the district's (its time zone, as the server counts days),
  // not the browser's: on a Sunday evening in the district, a browser on UTC is in Monday.
  const caseload = await getJson(`/coaches/${ctx.person}/caseload`,
    ctx.params.as_of ? { week_of: ctx.params.as_of } : {});
  const week = await getJson(`/coaches/${ctx.person}/time/weeks/${caseload.week_start}`);
  const colours = coloursFor(ctx.categories);
  const names = Object.fromEntries(ctx.categories.map((c) => [c.category_id, c.label]));
  const used = ctx.categories.filter((c) => week.days.some(
    (d) => d.totals.by_category.some((b) => b.category_id === c.category_id && b.minutes)));

  const cycles = PHASES.flatMap((phase) => caseload.by_phase[phase].map((c) => ({ ...c, phase })));
  await learnSchoolNames([...new Set(cycles.map((c) => c.school_id))], ctx.role);
  const load = section("caseload", "My caseload",
    h("p", {}, `Week of ${caseload.week_start} to ${caseload.week_end}.`),
    table("My cycles by phase", [
      { name: "name", title: "Status", cell: (r) => r.name },
      { name: "count", title: "Cycles", numeric: true, cell: (r) => count(r.count) },
    ], [
      ...PHASES.map((p) => ({ key: p, name: `Active: ${p}`, count: caseload.counts[p] })),
      { key: "proposed", name: "Proposed, awaiting teachers", count: caseload.counts.proposed },
      { key: "closed", name: "Closed", count: caseload.counts.closed },
      { key: "next_steps", name: "Next steps due this week",
        count: caseload.next_steps_due_this_week.length },
      { key: "observations", name: "Observations scheduled",
        count: caseload.observations_scheduled.length },
    ]),
    table("My active cycles", [
      { name: "name", title: "Goal", cell: (r) => (r.goal ? r.goal.what : "—") },
      { name: "phase", title: "Phase", cell: (r) => r.phase },
      { name: "school", title: "School", cell: (r) => nameOf("school", r.school_id) },
      { name: "started_on", title: "Started", cell: (r) => r.started_on || "—" },
      { name: "goal_by", title: "Goal by", cell: (r) => (r.goal ? r.goal.by : "—") },
    ], cycles.map((c) => ({ ...c, key: c.cycle_id })), { empty: "No active cycles." }));

  const time = section("week", "My week of time",
    shareHeadline(`Coaching share this week, of ${hours(week.totals.total_minutes)} hours`,
      week.totals.coaching_share, week.target_share),
    stackedBars(week.days.map((d) => ({
      label: d.date,
      parts: used.map((c) => ({ id: c.category_id, value: (d.totals.by_category
        .find((b) => b.category_id === c.category_id) || {}).minutes || 0 })),
    })), { description: "Hours by category per day of the week", colours, names }),
    legend(used.map((c) => ({ name: c.label, colour: colours[c.category_id] }))),
    table("My week by day", [
      { name: "name", title: "Day", cell: (r) => r.key },
      { name: "hours", title: "Hours", numeric: true, cell: (r) => hours(r.totals.total_minutes) },
      { name: "coaching_hours", title: "Coaching hours", numeric: true,
        cell: (r) => hours(r.totals.coaching_minutes) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(r.totals.coaching_share) },
    ], week.days.map((d) => ({ ...d, key: d.date }))));
  return [load, time];
}
