// The principal's school: its coaches by name, each with their coaching share of logged
// time and their plan alignment (aggregates from the reports; never cycle content).

import { get } from "./api.js";
import { card, el, minutesText, percentText } from "./ui.js";

const ofCoach = (rows, coach) => rows.find((r) => String(r.key).includes(coach) && r.level?.startsWith("coach"));

export async function schoolView(ctx) {
  const cards = [];
  for (const school of ctx.me.schools) {
    const scope = `?school_id=${school.school_id}`;
    const [time, alignment] = await Promise.all([
      get(`/reports/time-use${scope}`), get(`/reports/plan-alignment${scope}`)]);
    cards.push(card(`school-${school.school_id}`, school.label,
      el("p", { class: "hint" }, `School year from ${time.from_date} to ${time.to_date}.`),
      el("ul", { class: "items" }, school.coaches.map((coach) => {
        const spent = ofCoach(time.rows, coach.id) || {};
        const aligned = ofCoach(alignment.rows, coach.id) || {};
        const logged = typeof spent.minutes === "number" ? minutesText(spent.minutes) : "no time logged";
        return el("li", { "data-coach": coach.id }, el("strong", {}, coach.name),
          el("p", {}, `Time: ${logged}, coaching share ${percentText(spent.coaching_share)}`
            + ` (the district's target ${percentText(time.target_share)})`),
          el("p", {}, `Plan alignment: ${percentText(typeof aligned.aligned_time_share === "number" ? aligned.aligned_time_share : null)}`
            + " of coaching time serves the agreement's focus areas"));
      }))));
  }
  return cards;
}
