// The CLT council's view: every region side by side.

import { sharesAgainstTarget } from "../charts.js";
import { csvButton, getReport, h, nameOf, period, section } from "../common.js";
import { count, hours, isSuppressed, percent, table } from "../tables.js";

// A nested cell of the council report, or "suppressed" when its view withheld it.
function part(row, view, name) {
  const cell = row[view];
  if (!cell) return null;
  return isSuppressed(cell) || cell.suppressed ? { suppressed: true } : cell[name];
}

// The table's columns after the region's name: [name, title, the view a cell is from, its
// field there, how it is shown].
const COLUMNS = [
  ["hours", "Hours", "time_use", "minutes", hours],
  ["coaching_share", "Coaching share", "time_use", "coaching_share", percent],
  ["aligned_time_share", "Aligned time", "plan_alignment", "aligned_time_share", percent],
  ["aligned_cycle_share", "Aligned cycles", "plan_alignment", "aligned_cycle_share", percent],
  ["teachers_coached", "Teachers coached", "cycle_activity", "teachers_coached", count],
  ["started", "Cycles started", "cycle_activity", "started", count],
  ["closed", "Cycles closed", "cycle_activity", "closed", count],
];

export async function council(ctx) {
  const report = await getReport("/reports/council", ctx.periodQuery);
  const regions = report.rows.filter((r) => r.level === "region");
  return [section("council", "All regions side by side", period(report),
    h("p", {}, "Each region's coaching share against the district's target of "
      + `${percent(report.target_share)}; the table adds plan alignment and cycles.`),
    regions.length ? sharesAgainstTarget(regions.map((r) => ({
      label: nameOf("region", r.key), share: part(r, "time_use", "coaching_share") })),
    { description: "Coaching share per region against the target",
      target: report.target_share }) : null,
    table("All regions side by side", [
      { name: "name", title: "Region", cell: (r) => nameOf(r.level, r.key) },
      ...COLUMNS.map(([name, title, view, field, show]) => ({
        name, title, numeric: true, cell: (r) => show(part(r, view, field)) })),
    ], report.rows),
    csvButton("the council view", "/reports/council", ctx.periodQuery, ctx.fail))];
}
