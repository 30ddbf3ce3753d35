// Cycle activity: how many teachers are coached, cycles by phase and outcome. Counts
// only; a school or region with too few coached teachers is suppressed whole.

import { legend, stackedBars } from "../charts.js";
import { csvButton, getReport, h, nameOf, period, rowName, section } from "../common.js";
import { count, percent, table } from "../tables.js";

const PHASES = ["plan", "act", "reflect"];
const PHASE_COLOURS = { plan: "#1f5f8b", act: "#2a7f62", reflect: "#5b4b9a" };
const OUTCOMES = ["met", "partly_met", "not_met"];

export async function cycles(ctx) {
  const report = await getReport("/reports/cycle-activity", ctx.query);
  // Cycle activity goes no deeper than schools.
  const level = ["region", "school"].includes(ctx.childLevel) ? ctx.childLevel : "school";
  const rows = report.rows.filter((r) => r.level === level);
  const names = { plan: "Plan", act: "Act", reflect: "Reflect" };
  return [section("cycle-activity", `Coaching cycles per ${level}`, period(report),
    h("p", {}, `A ${level} where fewer than ${report.suppression_threshold} teachers were`
      + " coached shows \u201csuppressed\u201d, and so may one beside it, so that no teacher"
      + " can be recognised, not even by subtracting the shown figures from a total."),
    rows.length ? stackedBars(rows.map((r) => ({
      label: nameOf(level, r.key), suppressed: r.suppressed,
      parts: PHASES.map((p) => ({ id: p, value: r.suppressed ? 0 : r.active_by_phase[p] || 0 })),
    })), { description: `Active cycles by phase per ${level}`, colours: PHASE_COLOURS, names })
      : null,
    rows.length ? legend(PHASES.map((p) => ({ name: names[p], colour: PHASE_COLOURS[p] })))
      : null,
    table(`Coaching cycles per ${level}`, [
      { name: "name", title: level[0].toUpperCase() + level.slice(1),
        cell: (r) => rowName(ctx, level, r.key) },
      { name: "teachers_coached", title: "Teachers coached", numeric: true,
        cell: (r) => count(r.teachers_coached) },
      { name: "started", title: "Started", numeric: true, cell: (r) => count(r.started) },
      ...PHASES.map((p) => ({ name: `active:${p}`, title: `Active in ${names[p]}`,
        numeric: true, cell: (r) => count(r.active_by_phase[p] || 0) })),
      { name: "closed", title: "Closed", numeric: true, cell: (r) => count(r.closed) },
      ...OUTCOMES.map((o) => ({ name: `outcome:${o}`, title: `Goal ${o.replace("_", " ")}`,
        numeric: true, cell: (r) => count(r.closed_by_outcome[o] || 0) })),
      { name: "next_step_completion", title: "Next steps done", numeric: true,
        cell: (r) => percent(r.next_step_completion) },
    ], rows),
    csvButton("cycle activity", "/reports/cycle-activity", ctx.query, ctx.fail))];
}
