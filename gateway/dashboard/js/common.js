// Pieces every view uses: sections, download buttons, names for ids, drill-down links.

import { downloadCsv, getJson } from "./api.js";
import { belowTarget, percent } from "./tables.js";

export const ROLE_NAMES = {
  district_leader: "District coaching leader",
  clt_rep: "CLT representative",
  principal: "Principal",
  coach: "Coach",
  teacher: "Teacher",
  it_admin: "District IT",
};

// Where a level's rows sit below another: a district holds regions, a region schools...
export const CHILD_LEVEL = { district: "region", region: "school", school: "coach", coach: "month" };

// The scope a role sees when it names none (the reporting service decides the same way).
export const HOME_LEVEL = {
  district_leader: "district", clt_rep: "region", principal: "school", coach: "coach",
};

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function section(id, title, ...children) {
  return h("section", { id, class: "card", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...children);
}

export function period(report) {
  const asOf = report.as_of ? `, as of ${report.as_of}` : "";
  return h("p", { class: "period" }, `${report.from_date} to ${report.to_date}${asOf}.`);
}

// A coaching-share headline, always beside the target it is judged against (the
// district's, as the answer giving the share says).
export function shareHeadline(lead, share, target, tail = ".") {
  return h("p", { class: "headline" }, `${lead}: `,
    h("strong", { "data-headline": "coaching_share",
      class: belowTarget(share, target) ? "below-target" : "" }, percent(share)),
    ` against the target of `, h("span", { "data-target": "" }, percent(target)), tail);
}

// A button that downloads a report as CSV, with the same query the view shows.
export function csvButton(what, path, params, onError) {
  return h("button", {
    type: "button", class: "download", "data-report": path,
    onclick: async () => {
      try {
        await downloadCsv(path, params);
      } catch (error) {
        onError(error);
      }
    },
  }, `Download ${what} as CSV`);
}

// Names by id (regions, schools and coaches: ids are unique across them), as the reports
// and the school rosters gave them.
const names = new Map();

// The id a report row of each level names by its key (a coach-school pair: its coach).
const KEYED = { region: 0, school: 0, coach: 0, coach_school: 0 };

function learn(id, name) {
  if (id && name) names.set(id, name);
}

// What a report's rows and scope name: each row's own name and its school's and region's.
export function learnNames(report) {
  for (const row of [report.scope || {}, ...report.rows]) {
    const [first, second] = (row.key || "").split("/");
    if (row.level in KEYED) learn(first, row.name);
    if (row.level === "coach_school") learn(second, row.school_name);
    learn(row.coach_id, row.name);
    learn(row.school_id, row.school_name);
    learn(row.region_id, row.region_name);
  }
  return report;
}

// A report, its names learned for ``nameOf``.
export async function getReport(path, params) {
  return learnNames(await getJson(path, params));
}

// A school's name from its roster where this person may read it (the district, the
// school's principal and its coaches), for views that show schools no report named.
export async function learnSchoolNames(ids, role) {
  if (!["district_leader", "principal", "coach"].includes(role)) return;
  await Promise.all(ids.filter((id) => !names.has(id)).map(async (id) => {
    try {
      learn(id, (await getJson(`/schools/${id}/roster`)).label);
    } catch {
      // a short id then
    }
  }));
}

export function nameOf(level, key) {
  if (level === "district") return "District";
  if (level === "month") return key;
  if (names.has(key)) return names.get(key);
  if (level === "coach_school") {
    const [coach, school] = key.split("/");
    return `${nameOf("coach", coach)} at ${nameOf("school", school)}`;
  }
  if (key === "unassigned") return "No region";
  const noun = { region: "Region", school: "School", coach: "Coach" }[level] || level;
  return `${noun} ${key.slice(0, 8)}`;
}

// The name of a row, as a drill-down link when the signed-in person may go deeper.
export function rowName(ctx, level, key) {
  const name = nameOf(level, key);
  const deeper = { region: "region", school: "school", coach: "coach" }[level];
  if (!ctx.canDrill || !deeper || key === "unassigned") return name;
  return h("a", { href: ctx.link({ [deeper]: key }) }, name);
}
