import { belowTarget, percent } from "./tables.js";

// Charts as inline SVG. Each chart is a picture of a table shown beside it, so it is
// labelled as one image (role="img") and screen readers read the table instead.

const SVG = "http://www.w3.org/2000/svg";
const BAR = 22;
const GAP = 10;
const CHAR = 8; // the widest an average character of a 13px label is, for clipping
let WIDTH = 640;
let LABEL = 170; // room for the bar labels on the left; 0: labels above their bars
let LINE = 0; // the height a label above its bar takes

// Drawn at about the size shown, so that labels stay readable on a phone: a chart is
// sized when it is drawn, for the page as it is then. On a narrow page each bar's label
// goes above it, with the whole width to itself, rather than cut at the left.
function fit() {
  const view = document.getElementById("view");
  const room = view && view.clientWidth ? view.clientWidth - 40 : 640;
  WIDTH = Math.max(280, Math.min(640, room));
  [LABEL, LINE] = WIDTH < 480 ? [0, 16] : [170, 0];
}

// Where a bar's label is drawn: to the left of the bar, or above it.
function label(text, y) {
  const [x, anchor, baseline] = LABEL ? [LABEL - 8, "end", y + BAR * 0.7] : [0, "start", y - 4];
  return el("text", { x, y: baseline, "text-anchor": anchor, class: "axis" },
    clip(text, LABEL ? LABEL - 8 : WIDTH));
}

// Cool colours for coaching categories, warm and grey for the rest: the split a leader
// looks for first. Dark enough for white text and 3:1 against the page.
const COACHING_COLOURS = ["#1f5f8b", "#2a7f62", "#5b4b9a", "#2f6f9f", "#3d7a3a", "#6a4f8a"];
const OTHER_COLOURS = ["#b3541e", "#8a6d1d", "#9c2f4b", "#6b6b6b", "#a0522d", "#7a5c3a",
  "#8b3a3a", "#5e5e2e"];

export function coloursFor(categories) {
  const colours = {};
  let coaching = 0;
  let other = 0;
  for (const c of categories) {
    colours[c.category_id] = c.kind === "coaching"
      ? COACHING_COLOURS[coaching++ % COACHING_COLOURS.length]
      : OTHER_COLOURS[other++ % OTHER_COLOURS.length];
  }
  return colours;
}

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(height, description) {
  fit();
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img",
    "aria-label": description, class: "chart" });
  svg.append(el("title", {}, description));
  return svg;
}

// A label that fits ``room`` (the table beside the chart has it whole).
function clip(text, room) {
  const length = Math.floor(room / CHAR);
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

// One horizontal bar per row, split into its parts: rows [{label, parts: [{id, value}]}].
export function stackedBars(rows, { description, colours, names }) {
  const height = rows.length * (BAR + GAP + LINE) + GAP;
  const svg = frame(height, description);
  const largest = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const scale = (WIDTH - LABEL - 10) / largest;
  rows.forEach((row, i) => {
    const y = GAP + LINE + i * (BAR + GAP + LINE);
    svg.append(label(row.label, y));
    let x = LABEL;
    for (const part of row.parts) {
      if (!part.value) continue;
      const rect = el("rect", { x, y, width: part.value * scale, height: BAR,
        fill: colours[part.id] || "#555" });
      rect.append(el("title", {}, `${row.label}: ${names[part.id] || part.id}`));
      svg.append(rect);
      x += part.value * scale;
    }
    if (row.suppressed) {
      svg.append(el("text", { x: LABEL + 4, y: y + BAR * 0.7, class: "axis" }, "suppressed"));
    }
  });
  return svg;
}

// A share (0..1) per row as a bar, with the target (if any) as a dashed line across them.
// A bar is coloured "below" from the figure written beside it, as the tables show it. The
// figures are drawn last, over the line (their halo breaks it), so a share just under the
// target stays readable.
export function sharesAgainstTarget(rows, { description, target }) {
  const height = rows.length * (BAR + GAP + LINE) + GAP + 18;
  const svg = frame(height, description);
  const span = WIDTH - LABEL - 60;
  const figures = [];
  rows.forEach((row, i) => {
    const y = GAP + LINE + i * (BAR + GAP + LINE);
    svg.append(label(row.label, y));
    if (row.share === null || row.share === undefined) {
      svg.append(el("text", { x: LABEL + 4, y: y + BAR * 0.7, class: "axis" },
        row.suppressed ? "suppressed" : "no time logged"));
      return;
    }
    const below = typeof target === "number" && belowTarget(row.share, target);
    svg.append(el("rect", { x: LABEL, y, width: Math.max(1, row.share * span), height: BAR,
      class: below ? "bar below" : "bar" }));
    figures.push(el("text", { x: LABEL + row.share * span + 4, y: y + BAR * 0.7,
      class: "axis value" }, percent(row.share)));
  });
  if (typeof target === "number") {
    const x = LABEL + target * span;
    svg.append(el("line", { x1: x, x2: x, y1: 0, y2: height - 16, class: "target" }));
    svg.append(el("text", { x, y: height - 3, "text-anchor": "middle", class: "axis" },
      `target ${percent(target)}`));
  }
  svg.append(...figures);
  return svg;
}

// Shares by month as lines, one per series: series [{name, cls, points: [{month, share}]}];
// the target (if any) a dashed line across, labelled.
export function monthLines(months, series, { description, target }) {
  const height = 240;
  const left = 44;
  const bottom = height - 28;
  const svg = frame(height, description);
  const step = months.length > 1 ? (WIDTH - left - 20) / (months.length - 1) : 0;
  const yOf = (share) => bottom - share * (bottom - 12);
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(el("line", { x1: left, x2: WIDTH - 10, y1: yOf(tick), y2: yOf(tick),
      class: "grid" }));
    svg.append(el("text", { x: left - 6, y: yOf(tick) + 4, "text-anchor": "end",
      class: "axis" }, `${tick * 100}%`));
  }
  if (typeof target === "number") {
    svg.append(el("line", { x1: left, x2: WIDTH - 10, y1: yOf(target), y2: yOf(target),
      class: "target" }));
    svg.append(el("text", { x: WIDTH - 12, y: yOf(target) - 5, "text-anchor": "end",
      class: "axis" }, `target ${percent(target)}`));
  }
  months.forEach((month, i) => {
    svg.append(el("text", { x: left + i * step, y: height - 8, "text-anchor": "middle",
      class: "axis" }, month.slice(2)));
  });
  for (const line of series) {
    const points = line.points
      .map((p) => ({ x: left + months.indexOf(p.month) * step, share: p.share }))
      .filter((p) => p.share !== null && p.share !== undefined);
    if (!points.length) continue;
    svg.append(el("polyline", { points: points.map((p) => `${p.x},${yOf(p.share)}`).join(" "),
      class: `line ${line.cls}` }));
    for (const p of points) {
      svg.append(el("circle", { cx: p.x, cy: yOf(p.share), r: 4, class: `dot ${line.cls}` }));
    }
  }
  return svg;
}

export function legend(items) {
  const list = document.createElement("ul");
  list.className = "legend";
  list.setAttribute("aria-hidden", "true"); // the table says the same in words
  for (const item of items) {
    const entry = document.createElement("li");
    const swatch = el("svg", { viewBox: "0 0 10 10", class: "swatch" });
    swatch.append(el("rect", { width: 10, height: 10, fill: item.colour || "#555",
      class: item.cls || "" }));
    entry.append(swatch, document.createTextNode(item.name));
    list.append(entry);
  }
  return list;
}
