// The dashboard: sign in with the district account (or, in developer mode, a pasted
// token), choose a role when the roster gives more than one, then the views of that role. The address
// (#/view?region=...&as_of=...) holds everything shown, so a view can be bookmarked,
// shared with a colleague of the same role, and left with the browser's Back button.

import {
  ApiError, claimsOf, endSession, getJson, session, sessionClaims, signIn, signOut,
  signedIn, token,
} from "./api.js";
import { roleChoices } from "./roles.js";
import { CHILD_LEVEL, HOME_LEVEL, ROLE_NAMES, getReport, h, nameOf } from "./common.js";
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
// The skip link followed before the page knew who is signed in (nothing shown yet): the
// focus goes where the page then shows.
let skipPending = false;

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

// The reports' scope of a drill-down: the deepest place named, and a coach at the school
// named above them, so the figures are those of the place the breadcrumb ends with.
function scopeQuery(params) {
  if (params.coach && params.school) return { school_id: params.school, coach_id: params.coach };
  const deepest = [...DRILL].reverse().find((name) => params[name]);
  return deepest ? { [`${deepest}_id`]: params[deepest] } : {};
}

// One level deeper from ``params``: a coach is reported at a school or district-wide, so
// a coach reached from a region's view is the coach's whole time, under no region.
function deeper(params, extra) {
  if (extra.coach && !params.school) return { ...periodParams(params), ...extra };
  return { ...params, ...extra };
}

// What a view needs: the query for the reports (period, as-of, the scope named) and how
// to link one level deeper.
function contextFor(view, params) {
  const deepest = [...DRILL].reverse().find((name) => params[name]);
  const level = deepest || HOME_LEVEL[claims.role] || "district";
  const periodQuery = {};
  if (params.month) periodQuery.month = params.month;
  else if (params.school_year) periodQuery.school_year = params.school_year;
  if (params.as_of) periodQuery.as_of = params.as_of;
  const query = { ...periodQuery, ...scopeQuery(params) };
  return {
    role: claims.role, person: claims.sub, params, categories, level, query, periodQuery,
    childLevel: CHILD_LEVEL[level],
    canDrill: claims.role === "district_leader",
    link: (extra) => address(view, deeper(params, extra)),
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
    renderCrumbs(view, params); // again, with the names the reports gave
    $("status").textContent = `${VIEWS[view].title} loaded.`;
  } catch (error) {
    $("view").replaceChildren();
    $("status").textContent = "";
    if (error instanceof ApiError && error.status === 401) {
      await session().catch(() => null);
      leave("Your sign-in has expired or is not valid: sign in again.");
      return;
    }
    showError(error);
  }
}

async function enter(given = null) {
  claims = given || claimsOf(token());
  const byName = given && given.name ? `${given.name}, ` : "";
  $("switch-role").hidden = !given || (signedIn().roles || []).length < 2;
  if (!VIEWS_OF[claims.role]) {
    if (!given) {
      leave(`The dashboard has no views for a ${ROLE_NAMES[claims.role] || claims.role}.`);
      return;
    }
    // Signed in, in a role the dashboard has nothing for: say so, and stay signed in.
    for (const id of ["sign-in", "choose-role", "app"]) $(id).hidden = true;
    $("no-views").hidden = false;
    $("sign-out").hidden = false;
    $("who").textContent = `${byName}${ROLE_NAMES[claims.role] || claims.role}`;
    $("no-views-text").textContent = `You are signed in as a ${ROLE_NAMES[claims.role]
      || claims.role}. The dashboard has no views for a ${ROLE_NAMES[claims.role]
      || claims.role}.`;
    $("console-link").hidden = claims.role !== "it_admin";
    return;
  }
  $("sign-in").hidden = true;
  $("choose-role").hidden = true;
  $("no-views").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  if (skipPending) {
    skipPending = false;
    $("main").focus();
  }
  $("who").textContent = `${byName}${whoLine(claims.role, await home())}`;
  categories = (await getJson("/time-categories", { include_retired: "true" })).categories;
  await render();
}

// Where a signed-out person starts: the district's sign-in, or (developer mode) the token.
function signInTarget() {
  return $("district-sign-in").hidden ? $("token") : $("district-sign-in-link");
}

// What the signed-in person's reports cover when they name no place: their region for a
// CLT representative, their school for a principal, themselves for a coach.
async function home() {
  try {
    return (await getReport("/reports/time-use", {})).scope;
  } catch {
    return null; // the views say why
  }
}

function whoLine(role, covers) {
  const named = covers && covers.name;
  if (!named || role === "district_leader") return ROLE_NAMES[role];
  return role === "coach" ? `${ROLE_NAMES[role]}: ${named}` : `${ROLE_NAMES[role]} for ${named}`;
}

function leave(message = "", focus = true) {
  signOut();
  claims = null;
  const offered = signedIn();
  for (const id of ["app", "sign-out", "switch-role", "choose-role", "no-views"]) {
    $(id).hidden = true;
  }
  $("who").textContent = "";
  $("sign-in").hidden = false;
  $("district-sign-in").hidden = !offered.sign_in;
  $("paste-token").hidden = !offered.token_paste;
  $("no-sign-in").hidden = offered.sign_in || offered.token_paste;
  $("sign-in-error").textContent = message;
  if (focus || skipPending) {
    skipPending = false;
    signInTarget().focus();
  }
}

// The roster gives more than one role: the person says which they act in now.
function askRole() {
  const current = signedIn();
  for (const id of ["app", "sign-in", "no-views"]) $(id).hidden = true;
  $("choose-role").hidden = false;
  $("sign-out").hidden = false;
  $("switch-role").hidden = true;
  $("who").textContent = current.name || "";
  $("role-choices").replaceChildren(...roleChoices(ROLE_NAMES, (chosen) => (
    chosen instanceof Error ? leave(chosen.message)
      : enter(sessionClaims()).catch((error) => leave(error.message)))));
  $("role-choices").querySelector("button").focus();
}

async function signOutEverywhere() {
  if (!signedIn().signed_in) {
    leave();
    return;
  }
  try {
    const atProvider = await endSession();
    if (atProvider) {
      location.assign(atProvider); // and the provider sends the browser back here
      return;
    }
  } catch (error) {
    leave(error.message);
    return;
  }
  leave();
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
  $("sign-out").addEventListener("click", () => signOutEverywhere());
  $("switch-role").addEventListener("click", () => askRole());
  // The address is the router's: the skip link moves the focus without changing it.
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    if (!claims && $("sign-in").hidden) {
      skipPending = true;
      return;
    }
    const target = claims ? $("main") : signInTarget();
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
  session().catch(() => signedIn()).then((current) => {
    if (current.signed_in && !token()) {
      if (!current.role) askRole();
      else enter(sessionClaims()).catch((error) => leave(error.message));
    } else if (token() && current.token_paste) {
      enter().catch((error) => leave(error.message));
    } else {
      leave("", false); // a first visit starts at the top: the skip link, then signing in
    }
  });
}

start();
