// Pieces every view uses: sections, download buttons, names for ids, drill-down links.

import { downloadCsv, getJson } from "./api.js";

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

const schoolLabels = new Map();

// A school's name from its roster where this person may read it (the district, the
// school's principal and its coaches); a short id otherwise
// (reports carry ids only: names never leave the roster).
export async function learnSchoolNames(ids, role) {
  if (!["district_leader", "principal", "coach"].includes(role)) return;
  await Promise.all(ids.filter((id) => !schoolLabels.has(id)).map(async (id) => {
    try {
      schoolLabels.set(id, (await getJson(`/schools/${id}/roster`)).label || null);
    } catch {
      schoolLabels.set(id, null);
    }
  }));
}

export function nameOf(level, key) {
  if (level === "district") return "District";
  if (level === "month") return key;
  if (level === "school" && schoolLabels.get(key)) return schoolLabels.get(key);
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
