// The dashboard: sign in with a token, then the views of the signed-in role. The address
// (#/view?region=...&as_of=...) holds everything shown, so a view can be bookmarked,
// shared with a colleague of the same role, and left with the browser's Back button.

import { ApiError, claimsOf, getJson, signIn, signOut, token } from "./api.js";
import { CHILD_LEVEL, HOME_LEVEL, ROLE_NAMES, h, nameOf } from "./common.js";
import { alignment } from "./views/alignment.js";
import { myWeek } from "./views/coach.js";
import { council } from "./views/council.js";
import { cycles } from "./views/cycles.js";
import { school } from "./views/school.js";
import { timeUse } from "./views/time_use.js";
import { trends } from "./views/trends.js";

const VIEWS = {
  "time-use": { title: "Time use", render: timeUse },
  alignment: { title: "Plan alignment", render: alignment },
  trends: { title: "Trends", render: trends },
  cycles: { title: "Cycles", render: cycles },
  council: { title: "Council", render: council },
  school: { title: "My school", render: school },
  "my-week": { title: "My week", render: myWeek },
};

const VIEWS_OF = {
  district_leader: ["time-use", "alignment", "trends", "cycles", "council"],
  clt_rep: ["time-use", "alignment", "trends", "cycles", "council"],
  principal: ["school", "time-use", "alignment", "cycles"],
  coach: ["my-week", "time-use", "trends"],
};

const PERIOD = ["school_year", "month", "as_of"];
const DRILL = ["region", "school", "coach"]; // the address's names for the scopes

const $ = (id) => document.getElementById(id);
let claims = null;
let categories = [];

function route() {
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  return { view: path, params: Object.fromEntries(new URLSearchParams(search || "")) };
}

function address(view, params) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  return `#/${view}${search ? `?${search}` : ""}`;
}

function showError(error) {
  $("error").textContent = error instanceof ApiError && error.status === 403
    ? `Not allowed: ${error.message}`
    : error.message;
}

function renderTabs(current) {
  const tabs = $("tabs");
  tabs.replaceChildren(...VIEWS_OF[claims.role].map((name) => h("a", {
    href: address(name, periodParams(route().params)),
    ...(name === current ? { "aria-current": "page" } : {}),
  }, VIEWS[name].title)));
}

function periodParams(params) {
  return Object.fromEntries(PERIOD.filter((p) => params[p]).map((p) => [p, params[p]]));
}

function renderCrumbs(view, params) {
  const crumbs = [h("a", { href: address(view, periodParams(params)) }, "Home")];
  const kept = periodParams(params);
  for (const name of DRILL) {
    if (!params[name]) continue;
    kept[name] = params[name];
    crumbs.push(h("a", { href: address(view, { ...kept }) }, nameOf(name, params[name])));
  }
  crumbs[crumbs.length - 1].setAttribute("aria-current", "location");
  $("crumbs").replaceChildren(...crumbs.flatMap((c, i) => (i ? [" › ", c] : [c])));
}

function fillFilters(params) {
  for (const name of PERIOD) $(name.replace("_", "-")).value = params[name] || "";
}

// What a view needs: the query for the reports (period, as-of, the deepest scope named)
// and how to link one level deeper.
function contextFor(view, params) {
  const deepest = [...DRILL].reverse().find((name) => params[name]);
  const level = deepest || HOME_LEVEL[claims.role] || "district";
  const periodQuery = {};
  if (params.month) periodQuery.month = params.month;
  else if (params.school_year) periodQuery.school_year = params.school_year;
  if (params.as_of) periodQuery.as_of = params.as_of;
  const query = { ...periodQuery, ...(deepest ? { [`${deepest}_id`]: params[deepest] } : {}) };
  return {
    role: claims.role, person: claims.sub, params, categories, level, query, periodQuery,
    childLevel: CHILD_LEVEL[level],
    canDrill: claims.role === "district_leader",
    link: (extra) => address(view, { ...params, ...extra }),
    fail: showError,
  };
}

async function render() {
  const { view: asked, params } = route();
  const allowed = VIEWS_OF[claims.role];
  const view = allowed.includes(asked) ? asked : allowed[0];
  renderTabs(view);
  renderCrumbs(view, params);
  fillFilters(params);
  $("error").textContent = "";
  $("status").textContent = `Loading ${VIEWS[view].title.toLowerCase()}…`;
  document.title = `${VIEWS[view].title} · coachops`;
  try {
    const sections = await VIEWS[view].render(contextFor(view, params));
    $("view").replaceChildren(...sections);
    $("status").textContent = `${VIEWS[view].title} loaded.`;
  } catch (error) {
    $("view").replaceChildren();
    $("status").textContent = "";
    if (error instanceof ApiError && error.status === 401) {
      leave("Your sign-in has expired or is not valid: sign in again.");
      return;
    }
    showError(error);
  }
}

async function enter() {
  claims = claimsOf(token());
  if (!VIEWS_OF[claims.role]) {
    leave(`The dashboard has no views for a ${ROLE_NAMES[claims.role] || claims.role}.`);
    return;
  }
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `${ROLE_NAMES[claims.role]} ${claims.sub.slice(0, 8)}`;
  categories = (await getJson("/time-categories", { include_retired: "true" })).categories;
  await render();
}

function leave(message = "", focus = true) {
  signOut();
  claims = null;
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  if (focus) $("token").focus();
}

function start() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("sign-in-error").textContent = "";
    try {
      await signIn($("token").value);
      $("token").value = "";
      await enter();
    } catch (error) {
      $("sign-in-error").textContent = error.message;
    }
  });
  $("sign-out").addEventListener("click", () => leave());
  // The address is the router's: the skip link moves the focus without changing it.
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    const target = claims ? $("main") : $("token");
    target.focus();
  });
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const { view, params } = route();
    const next = { ...params };
    for (const name of PERIOD) next[name] = $(name.replace("_", "-")).value;
    location.hash = address(view || VIEWS_OF[claims.role][0], next);
  });
  window.addEventListener("hashchange", () => {
    if (claims) render();
  });
  if (token()) {
    enter().catch((error) => leave(error.message));
  } else {
    leave("", false); // a first visit starts at the top: the skip link, then the token
  }
}

start();
