// Trends by month: the coaching share of logged time and the aligned share of coaching.

import { legend, monthLines } from "../charts.js";
import { csvButton, getReport, h, period, section } from "../common.js";
import { hours, percent, table } from "../tables.js";

export async function trends(ctx) {
  const [time, plan] = await Promise.all([
    getReport("/reports/time-use", ctx.query),
    ctx.role === "coach" ? null : getReport("/reports/plan-alignment", ctx.query),
  ]);
  const target = time.target_share; // the district's
  const timeMonths = time.rows.filter((r) => r.level === "month");
  const planMonths = plan ? plan.rows.filter((r) => r.level === "month") : [];
  const months = [...new Set([...timeMonths, ...planMonths].map((r) => r.key))].sort();
  const rows = months.map((month) => {
    const t = timeMonths.find((r) => r.key === month) || {};
    const p = planMonths.find((r) => r.key === month) || {};
    return { key: month, minutes: t.minutes ?? 0, coaching_share: t.coaching_share ?? null,
      aligned_time_share: p.aligned_time_share ?? null };
  });
  const series = [{ name: "Coaching share of logged time", cls: "coaching",
    points: rows.map((r) => ({ month: r.key, share: r.coaching_share })) }];
  if (plan) {
    series.push({ name: "Aligned share of coaching time", cls: "aligned",
      points: rows.map((r) => ({ month: r.key, share: r.aligned_time_share })) });
  }
  return [section("trends", "Trends by month", period(time),
    rows.length ? monthLines(months, series, {
      description: "Shares by month, with the coaching share's target", target }) : null,
    rows.length ? legend(series.map((s) => ({ name: s.name, cls: `swatch-${s.cls}` }))) : null,
    h("p", {}, `The dashed line is the district's target for the coaching share,`
      + ` ${percent(target)}.`),
    table("Trends by month", [
      { name: "name", title: "Month", cell: (r) => r.key },
      { name: "hours", title: "Hours", numeric: true, cell: (r) => hours(r.minutes) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(r.coaching_share) },
      ...(plan ? [{ name: "aligned_time_share", title: "Aligned time", numeric: true,
        cell: (r) => percent(r.aligned_time_share) }] : []),
    ], rows),
    h("div", { class: "buttons" },
      csvButton("time use", "/reports/time-use", ctx.query, ctx.fail),
      plan ? csvButton("plan alignment", "/reports/plan-alignment", ctx.query, ctx.fail) : null))];
}
