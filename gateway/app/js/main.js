// The app of coaches, teachers and principals: sign in as on the dashboard (the district
// account; a pasted token only in developer mode), choose a role when the roster gives more
// than one, then the views of that role. The address (#/view/id) says what is shown, so
// Back works.

import {
  Offline, Refused, claims, get, signIn, signOut, signedIn, signedOutMeanwhile, token,
  whoIsSignedIn,
} from "./api.js";
import { agreementsView } from "./agreements.js";
import { cycleView, cyclesView } from "./cycles.js";
import { observeView } from "./observe.js";
import { items, onChange, othersItems, send } from "./outbox.js";
import { outboxView } from "./outbox_view.js";
import { schoolView } from "./principal.js";
import { teacherView } from "./teacher.js";
import { todayView } from "./today.js";
import { roleChoices } from "./roles.js";
import { oneAtATime } from "./one_at_a_time.js";
import { el, fail, namer, say } from "./ui.js";

const TABS = {
  coach: [["today", "Today"], ["cycles", "Cycles"], ["agreements", "Agreements"],
    ["outbox", "Outbox"]],
  teacher: [["my-cycles", "My cycles"], ["outbox", "Outbox"]],
  principal: [["school", "My school"], ["agreements", "Agreements"], ["outbox", "Outbox"]],
};
const VIEWS = {
  today: todayView, cycles: cyclesView, cycle: cycleView, observe: observeView,
  agreements: agreementsView, outbox: outboxView, "my-cycles": teacherView, school: schoolView,
};
const ROLE_NAMES = {
  coach: "Coach", teacher: "Teacher", principal: "Principal", district_leader:
  "District coaching leader", clt_rep: "CLT representative", it_admin: "District IT",
};
const $ = (id) => document.getElementById(id);

function route() {
  const [view, ...ids] = location.hash.replace(/^#\/?/, "").split("/");
  return { view, ids };
}

// One view at a time: asked again while showing one, it shows the latest once more after.
const render = oneAtATime(show);

// Signed out: the district's sign-in (coming back to the app), or in developer mode the
// pasted token, as the gateway offers them.
function offerSignIn() {
  const offered = signedIn();
  $("district-sign-in").hidden = !offered.sign_in;
  $("district-sign-in-link").href = "/auth/signin?next=/app/";
  $("paste-token").hidden = !offered.token_paste;
  $("no-sign-in").hidden = offered.sign_in || offered.token_paste;
}

// The roster gives the session more than one role and none is chosen yet (or the person
// asked to switch): which one now.
function askRole() {
  $("choose-role").hidden = false;
  $("role-choices").replaceChildren(...roleChoices(ROLE_NAMES, (chosen) => {
    if (chosen instanceof Error) fail(chosen);
    choosing = false;
    $("choose-role").hidden = true;
    location.hash = "";
    render().then(() => send());
  }));
  $("role-choices").querySelector("button")?.focus();
}

let choosing = false;
let shownAddress = null; // the address of the view on the page

async function show() {
  const who = claims();
  const session = !token() && signedIn().signed_in;
  const toChoose = session && (choosing || !signedIn().role);
  const inApp = Boolean(who && TABS[who.role]) && !toChoose;
  $("sign-in").hidden = Boolean(who) || session;
  $("choose-role").hidden = !toChoose;
  $("app").hidden = !inApp;
  $("sign-out").hidden = !(who || session);
  $("switch-role").hidden = !session || toChoose || (signedIn().roles || []).length < 2;
  if (toChoose) {
    $("who").textContent = signedIn().name || "";
    askRole();
    return;
  }
  if (!inApp) {
    if (!who) offerSignIn();
    $("who").textContent = who ? "This app is for coaches, teachers and principals." : "";
    return;
  }
  let { view, ids } = route();
  if (!VIEWS[view]) view = TABS[who.role][0][0];
  const inCycle = view === "cycle" || view === "observe"; // under the role's cycles tab
  const tab = inCycle ? TABS[who.role].find(([name]) => name.endsWith("cycles"))?.[0] : view;
  $("tabs").replaceChildren(...TABS[who.role].map(([name, title]) => el("a", {
    href: `#/${name}`, "aria-current": name === tab ? "page" : false,
  }, title)));
  $("error").textContent = "";
  say("Loading…");
  try {
    const me = await get("/me");
    $("who").textContent = `${me.given_name} ${me.family_name} · ${ROLE_NAMES[me.role]}`;
    const shown = await VIEWS[view]({ me, name: namer(me), ids, rerender: render });
    // The same view shown again (an answer from the server) while someone types in it:
    // theirs stays under their hands, and it is shown again once they leave the field.
    const address = location.hash;
    if (address === shownAddress && typing()) refreshWanted = true;
    else $("view").replaceChildren(...shown);
    shownAddress = address;
    showNetwork();
    say(me.readOffline ? `Offline: shown as last read (${me.readOffline.slice(0, 16)}). Loaded.` : "Loaded.");
  } catch (error) {
    $("view").replaceChildren();
    say("");
    if (error instanceof Refused && error.status === 401) {
      // The sign-in ended (expired, or signed out elsewhere): sign in again; what waits in
      // the outbox stays for this same person.
      signedOutMeanwhile();
      await whoIsSignedIn();
      render();
      fail(new Error("Your sign-in has ended: sign in again. What you wrote waits on this device."));
      return;
    }
    fail(error instanceof Offline ? new Error("You are offline and this was not read before.") : error);
  }
}

async function showNetwork() {
  const waiting = (await items()).filter((i) => i.state === "waiting").length;
  const refused = (await items()).filter((i) => i.state === "refused").length;
  const parts = [];
  if (!navigator.onLine) parts.push("Offline: what you write is kept on this device.");
  if (waiting) parts.push(`${waiting} waiting to send.`);
  if (refused) parts.push(`${refused} refused: see the Outbox.`);
  const others = await othersItems();
  if (others && claims()) {
    parts.push(`${others} written on this device by someone else: kept for them, never sent`
      + " under your sign-in.");
  } else if (others) {
    parts.push(`${others} kept on this device, to send when whoever wrote them signs in again.`);
  }
  $("network").textContent = parts.join(" ");
}

async function tokenPasted(event) {
  event.preventDefault();
  const said = $("sign-in-error");
  said.textContent = "";
  try {
    await signIn($("token").value);
  } catch (error) {
    said.textContent = error.message;
    return;
  }
  $("token").value = "";
  await render();
  send();
}

$("sign-in-form").addEventListener("submit", tokenPasted);
$("sign-out").addEventListener("click", async () => {
  let atProvider = null;
  try {
    atProvider = await signOut();
  } catch (error) {
    fail(error);
  }
  if (atProvider) {
    location.assign(atProvider); // and the provider sends the browser back here
    return;
  }
  location.hash = "";
  render();
});
$("switch-role").addEventListener("click", () => {
  choosing = true;
  render();
});
addEventListener("hashchange", render);
addEventListener("online", showNetwork);
addEventListener("offline", showNetwork);
onChange(showNetwork);
// Queued, sent or refused: show the view again (online as the server has it now), but not
// under someone typing: wait until no field has the focus, a moment after it leaves one, so
// the click on a button that took it lands on that button.
const typing = () => Boolean(document.activeElement?.closest("#view")
  && document.activeElement.matches("input, textarea, select"));
let refreshWanted = false;
onChange(() => {
  if (!claims()) {
    render(); // signed out meanwhile: the sign-in
    return;
  }
  if (typing()) refreshWanted = true;
  else render();
});
document.addEventListener("focusout", () => setTimeout(() => {
  if (refreshWanted && !typing()) {
    refreshWanted = false;
    render();
  }
}, 400));

if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js");
whoIsSignedIn().then(() => render()).then(() => { if (claims()) { showNetwork(); send(); } });
