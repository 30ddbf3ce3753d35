// What waits to be sent and what the server refused, with its reason: fix and send again,
// or discard.

import { discard, items, resend, send } from "./outbox.js";
import { card, el, fail, field, prefill, values } from "./ui.js";

// A refused time entry goes back in Today's form, to change what the server objected to.
function onToday(item) {
  const { worked_on: day, entry_id: _, coach_id: __, ...typed } = item.body;
  return el("button", {
    type: "button",
    onclick: async () => {
      prefill("today-add", Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, v ?? ""])));
      await discard(item.seq);
      location.hash = `#/today/${day}`;
    },
  }, "Fix it on Today");
}

function refusedRow(item) {
  const fix = el("form", { class: "stack", "aria-label": `Fix ${item.label}` },
    field("What will be sent (JSON)", "body", { rows: 6 }),
    el("button", { type: "submit" }, "Send again"));
  fix.elements.namedItem("body").value = JSON.stringify(item.body, null, 2);
  fix.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await resend(item.seq, JSON.parse(values(fix).body));
    } catch (error) {
      fail(error);
    }
  });
  return el("li", { "data-state": "refused" }, el("p", {}, item.label),
    el("p", { class: "refused" }, `Refused: ${item.reason}`),
    el("div", { class: "buttons" }, item.command === "record_time_entry" ? onToday(item) : null,
      el("button", { type: "button", class: "danger", onclick: () => discard(item.seq) }, "Discard")),
    el("details", {}, el("summary", {}, "Change what will be sent"), fix));
}

export async function outboxView() {
  const all = await items();
  const waiting = all.filter((i) => i.state === "waiting");
  const refused = all.filter((i) => i.state === "refused");
  return [
    card("waiting", "Waiting to send",
      waiting.length ? el("ul", { class: "items" }, waiting.map((i) => el("li", { class: "pending" }, i.label)))
        : el("p", {}, "Nothing waits: everything was sent."),
      el("button", { type: "button", onclick: () => send() }, "Send now")),
    card("refused", "Refused by the server",
      refused.length ? el("ul", { class: "items" }, refused.map(refusedRow))
        : el("p", {}, "Nothing was refused.")),
  ];
}
