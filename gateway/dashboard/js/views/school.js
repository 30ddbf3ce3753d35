// A principal's school: the coaching agreement with each coach (status and dates only:
// the agreement's text and check-in notes stay in the agreement itself) and each coach's
// time in aggregate.

import { ApiError, getJson } from "../api.js";
import { getReport, h, learnSchoolNames, nameOf, period, section, shareHeadline } from "../common.js";
import { hours, percent, table } from "../tables.js";
import { coachingAgreementId } from "../uuid5.js";

function status(agreement) {
  if (!agreement) return "Not drafted";
  const latest = agreement.versions[agreement.versions.length - 1];
  if (agreement.version_in_force === agreement.latest_version) {
    return `In force (version ${agreement.version_in_force})`;
  }
  const waiting = ["coach", "principal"].filter((party) => !latest.signed[party]);
  const inForce = agreement.version_in_force ? `version ${agreement.version_in_force} in force; ` : "";
  return `${inForce}version ${latest.version} awaits the ${waiting.join(" and ")}`;
}

function nextCheckIn(agreement) {
  if (!agreement || !agreement.version_in_force) return "—";
  const last = agreement.check_ins[agreement.check_ins.length - 1];
  return last ? last.next_due_on : "after the first check-in is planned";
}

async function agreementOf(coachId, schoolId, schoolYear) {
  try {
    return await getJson(`/coaching-agreements/${coachingAgreementId(coachId, schoolId, schoolYear)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export async function school(ctx) {
  const time = await getReport("/reports/time-use", ctx.query);
  const schoolRow = time.rows.find((r) => r.level === "school");
  const schoolId = ctx.params.school || (schoolRow && schoolRow.key);
  if (!schoolId) {
    return [section("school", "Your school", period(time),
      h("p", {}, "No time has been logged at your school in this period yet."))];
  }
  const schoolYear = Number(time.from_date.slice(0, 4));
  const roster = await getJson(`/schools/${schoolId}/roster`, { on: time.as_of || undefined });
  await learnSchoolNames([schoolId], ctx.role);
  const agreements = await Promise.all(
    roster.coach_ids.map((coach) => agreementOf(coach, schoolId, schoolYear)));
  const coachTime = Object.fromEntries(
    time.rows.filter((r) => r.level === "coach").map((r) => [r.key, r]));
  const rows = roster.coach_ids.map((coach, i) => ({
    key: coach, agreement: agreements[i], time: coachTime[coach] || {},
  }));
  return [section("school", nameOf("school", schoolId), period(time),
    shareHeadline("Coaching share at the school", schoolRow ? schoolRow.coaching_share : null,
      time.target_share),
    table(`Coaching agreements and time, school year ${schoolYear}`, [
      { name: "name", title: "Coach", cell: (r) => nameOf("coach", r.key) },
      { name: "agreement", title: "Agreement", cell: (r) => status(r.agreement) },
      { name: "next_check_in", title: "Next check-in due", cell: (r) => nextCheckIn(r.agreement) },
      { name: "hours", title: "Hours", numeric: true, cell: (r) => hours(r.time.minutes ?? 0) },
      { name: "coaching_share", title: "Coaching share", numeric: true,
        cell: (r) => percent(r.time.coaching_share) },
    ], rows, { empty: "No coach is assigned to the school." }))];
}
