// Coaching agreements between a coach and a principal, one per school year: drafted and
// revised by the coach, signed by both (each revision again), with check-ins. A revision
// is shown beside the version it replaces. Every write is queued in the outbox (sent at
// once when online), and what waits to be sent is shown with its agreement.

import { Refused, get } from "./api.js";
import { items, queue } from "./outbox.js";
import { card, el, fail, field, queuedForm as form } from "./ui.js";

async function agreementOf(id) {
  try {
    return await get(`/coaching-agreements/${id}`);
  } catch (error) {
    if (error instanceof Refused && error.status === 404) return null;
    throw error;
  }
}

function termsFields(version) {
  const areas = version ? version.focus_areas.map((a) => `${a.id}: ${a.label}`).join("\n") : "";
  return [
    field("Focus areas, one a line (id: label)", "focus_areas", { rows: 3, class: "plain", required: true }),
    field("The coach's role", "coach_role", { required: true }),
    field("Not the coach's role", "not_coach_role", { required: true }),
    field("Check-in every (weeks)", "check_in_every_weeks", { type: "number", min: 1, max: 52, value: version?.check_in_every_weeks || 6 }),
  ].map((div) => {
    const control = div.querySelector("input, textarea");
    if (version && control.name !== "check_in_every_weeks") control.value = control.name === "focus_areas" ? areas : version[control.name];
    return div;
  });
}

function terms(v) {
  const focus_areas = v.focus_areas.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
    const [id, ...label] = line.split(":");
    return { id: id.trim(), label: (label.join(":") || id).trim() };
  });
  return { focus_areas, coach_role: v.coach_role, not_coach_role: v.not_coach_role,
    check_in_every_weeks: Number(v.check_in_every_weeks) };
}

// A signature entered after the day it was signed on paper says both days.
function signature(version, party) {
  const on = version.signed[party];
  const entered = (version.entered || {})[party];
  if (!on) return `${party} has not signed`;
  return `${party} signed ${on}${entered && entered !== on ? ` (entered ${entered})` : ""}`;
}

function versionBlock(version, caption) {
  const signed = ["coach", "principal"].map((party) => signature(version, party)).join(", ");
  return el("div", { class: "card", "data-version": version.version },
    el("h3", {}, `Version ${version.version}${version.in_force ? " (in force)" : ""}${caption}`),
    el("p", {}, `Focus areas: ${version.focus_areas.map((a) => a.label).join(", ")}`),
    el("p", {}, `Coach's role: ${version.coach_role}. Not the coach's role: ${version.not_coach_role}.`),
    el("p", {}, `Check-ins every ${version.check_in_every_weeks} weeks.`),
    el("p", { class: "hint" }, signed));
}

// What this person's outbox holds for the agreement: waiting, or refused (fixed there).
function pendingList(pending) {
  return pending.length ? el("ul", { class: "items" }, pending.map((i) => el("li",
    { class: i.state === "refused" ? "refused" : "pending" },
    `${i.label}: ${i.state === "refused" ? `refused: ${i.reason} (fix it in the Outbox)` : "waiting to send"}`)))
    : null;
}

function agreementCard(ctx, school, ref, agreement, pending) {
  const who = ctx.me.role === "coach" ? `with ${school.principal?.name || "the principal"}` : `with ${ctx.name(ref.coach_id)}`;
  const id = `agreement-${ref.agreement_id}`;
  const drafting = pending.some((i) => i.command === "draft_coaching_agreement");
  if (!agreement) {
    if (ctx.me.role !== "coach") return card(id, `${school.label}, ${who}`, el("p", {}, "Not drafted yet."));
    if (drafting) return card(id, `${school.label}, ${who}`, pendingList(pending));
    return card(id, `${school.label}, ${who}: draft the agreement`, form("Draft the agreement", termsFields(null),
      async (v) => {
        await queue("draft_coaching_agreement", { about: ref.agreement_id },
          { school_id: school.school_id, school_year: ref.school_year, ...terms(v) },
          `Agreement for ${school.label} drafted`);
      }, `agreement-${school.school_id}`));
  }
  const latest = agreement.versions[agreement.versions.length - 1];
  const replaced = agreement.versions.length > 1 ? agreement.versions[agreement.versions.length - 2] : null;
  const party = ctx.me.role;
  const ids = { agreement_id: agreement.agreement_id };
  const signing = pending.some((i) => i.command === "sign_coaching_agreement" && i.state === "waiting");
  const parts = [
    el("div", { class: "side-by-side" }, versionBlock(latest, replaced ? ", the revision" : ""),
      replaced ? versionBlock(replaced, ", which it replaces") : null),
    pendingList(pending),
    latest.signed[party] || signing ? null : el("button", {
      type: "button",
      onclick: () => queue("sign_coaching_agreement", ids, { version: latest.version },
        `Signed version ${latest.version} (${school.label})`).catch(fail),
    }, `Sign version ${latest.version}`),
    el("h3", {}, "Check-ins"),
    el("ul", { class: "items" }, agreement.check_ins.map((c) => el("li", {}, `${c.held_on}: ${c.notes || ""}`))),
    form("Record a check-in", [field("Held on", "held_on", { type: "date", required: true, value: ctx.me.today }),
      field("Notes", "notes", { rows: 2, class: "plain" })], async (v) => {
      await queue("record_check_in", ids, v, `Check-in of ${v.held_on} (${school.label})`);
    }, `check-in-${agreement.agreement_id}`),
  ];
  if (party === "coach") {
    parts.push(el("details", {}, el("summary", {}, "Revise the agreement"),
      form("Save the revision", termsFields(latest), async (v) => {
        await queue("revise_coaching_agreement", ids, terms(v), `Revision of the agreement (${school.label})`);
      }, `revision-${agreement.agreement_id}`)));
  }
  return card(id, `${school.label}, ${who}, ${agreement.school_year}`, ...parts);
}

export async function agreementsView(ctx) {
  const cards = [];
  const outbox = await items();
  for (const school of ctx.me.schools) {
    for (const ref of school.agreements) {
      const pending = outbox.filter((i) => (i.agreement_id || i.about) === ref.agreement_id);
      cards.push(agreementCard(ctx, school, ref, await agreementOf(ref.agreement_id), pending));
    }
  }
  return cards.length ? cards : [card("none", "Agreements", el("p", {}, "No school to agree with."))];
}
