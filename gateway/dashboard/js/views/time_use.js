// Time use: where coaches' time goes, by category, and each coach's coaching share
// against the district's target.

import { coloursFor, legend, sharesAgainstTarget, stackedBars } from "../charts.js";
import { csvButton, getReport, h, nameOf, period, rowName, section, shareHeadline } from "../common.js";
import { belowTarget, hours, percent, table } from "../tables.js";

export async function timeUse(ctx) {
  const report = await getReport("/reports/time-use", ctx.query);
  const target = report.target_share; // the district's, as reporting judged below_target
  const level = ctx.childLevel;
  const children = report.rows.filter((r) => r.level === level);
  const coaches = report.rows.filter((r) => r.level === "coach");
  const whole = report.rows.find((r) => r.level === ctx.level) || report.rows[0];
  const categories = ctx.categories.filter((c) => children.some(
    (r) => r.minutes_by_category && r.minutes_by_category[c.category_id]));
  const colours = coloursFor(ctx.categories);
  const names = Object.fromEntries(ctx.categories.map((c) => [c.category_id, c.label]));
  const noun = { region: "region", school: "school", coach: "coach", month: "month" }[level];

  const byCategory = section("time-by-category", `Time by category per ${noun}`,
    period(report),
    whole ? shareHeadline(`Coaching share of ${hours(whole.minutes)} hours logged`,
      whole.coaching_share, target) : null,
    children.length ? stackedBars(children.map((r) => ({
      label: nameOf(level, r.key),
      parts: categories.map((c) => ({ id: c.category_id,
        value: r.minutes_by_category[c.category_id] || 0 })),
    })), { description: `Hours by category per ${noun}`, colours, names }) : null,
    children.length ? legend(categories.map((c) => ({
      name: `${c.label} (${c.kind})`, colour: colours[c.category_id] }))) : null,
    table(`Hours by category per ${noun}`, [
      { name: "name", title: noun[0].toUpperCase() + noun.slice(1),
        cell: (r) => rowName(ctx, level, r.key) },
      { name: "hours", title: "Hours", numeric: true, cell: (r) => hours(r.minutes) },
      { name: "coaching_hours", title: "Coaching hours", numeric: true,
        cell: (r) => hours(r.coaching_minutes) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(r.coaching_share) },
      ...categories.map((c) => ({ name: `category:${c.category_id}`, title: c.label,
        numeric: true, cell: (r) => hours(r.minutes_by_category[c.category_id] || 0) })),
    ], children),
    csvButton("time use", "/reports/time-use", ctx.query, ctx.fail));

  const perCoach = section("coaching-share", "Coaching share per coach",
    h("p", {}, `Share of each coach's logged time spent coaching teachers; the dashed line is`
      + ` the district's target of ${percent(target)}.`),
    coaches.length ? sharesAgainstTarget(coaches.map((r) => ({
      label: nameOf("coach", r.key), share: r.coaching_share })),
    { description: "Coaching share per coach against the target", target }) : null,
    table("Coaching share per coach", [
      { name: "name", title: "Coach", cell: (r) => rowName(ctx, "coach", r.key) },
      { name: "hours", title: "Hours", numeric: true, cell: (r) => hours(r.minutes) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(r.coaching_share) },
      { name: "below_target", title: "Below target", cell: (r) => (belowTarget(r.coaching_share, target) ? "yes" : "no") },
    ], coaches));
  return [byCategory, perCoach];
}
