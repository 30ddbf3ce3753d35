// The CLT council's view: every region side by side.

import { getJson } from "../api.js";
import { sharesAgainstTarget } from "../charts.js";
import { csvButton, h, nameOf, period, section } from "../common.js";
import { count, hours, isSuppressed, percent, table } from "../tables.js";
import { TARGET } from "./time_use.js";

// A nested cell of the council report, or "suppressed" when its view withheld it.
function part(row, view, name) {
  const cell = row[view];
  if (!cell) return null;
  return isSuppressed(cell) || cell.suppressed ? { suppressed: true } : cell[name];
}

export async function council(ctx) {
  const report = await getJson("/reports/council", ctx.periodQuery);
  const regions = report.rows.filter((r) => r.level === "region");
  return [section("council", "All regions side by side", period(report),
    h("p", {}, "Each region's coaching share against the target of "
      + `${TARGET * 100}%; the table adds plan alignment and cycles.`),
    regions.length ? sharesAgainstTarget(regions.map((r) => ({
      label: nameOf("region", r.key), share: part(r, "time_use", "coaching_share") })),
    { description: "Coaching share per region against the target", target: TARGET }) : null,
    table("All regions side by side", [
      { name: "name", title: "Region", cell: (r) => nameOf(r.level, r.key) },
      { name: "hours", title: "Hours", numeric: true,
        cell: (r) => hours(part(r, "time_use", "minutes")) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(part(r, "time_use", "coaching_share")) },
      { name: "aligned_time_share", title: "Aligned time", numeric: true,
        cell: (r) => percent(part(r, "plan_alignment", "aligned_time_share")) },
      { name: "aligned_cycle_share", title: "Aligned cycles", numeric: true,
        cell: (r) => percent(part(r, "plan_alignment", "aligned_cycle_share")) },
      { name: "teachers_coached", title: "Teachers coached", numeric: true,
        cell: (r) => count(part(r, "cycle_activity", "teachers_coached")) },
      { name: "started", title: "Cycles started", numeric: true,
        cell: (r) => count(part(r, "cycle_activity", "started")) },
      { name: "closed", title: "Cycles closed", numeric: true,
        cell: (r) => count(part(r, "cycle_activity", "closed")) },
    ], report.rows),
    csvButton("the council view", "/reports/council", ctx.periodQuery, ctx.fail))];
}
