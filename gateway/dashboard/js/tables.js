// Every chart's numbers as a real table with a caption; a cell the reporting service
// suppressed (too few teachers to show safely) says "suppressed", never 0 or blank.

export const SUPPRESSED = "suppressed";

export function isSuppressed(value) {
  return value !== null && typeof value === "object" && value.suppressed === true;
}

// Minutes as hours with one decimal: "12.5".
export function hours(minutes) {
  if (isSuppressed(minutes)) return SUPPRESSED;
  return minutes === null || minutes === undefined ? "—" : (minutes / 60).toFixed(1);
}

// A share (0..1) as a percentage with one decimal: "41.3%".
export function percent(share) {
  if (isSuppressed(share)) return SUPPRESSED;
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}

// Whether a share is below the target as both are shown (rounded as ``percent`` shows
// them), so a colour or a "below target" always agrees with the figures beside it. The
// target is the district's, as the answer that carries the share says (``target_share``):
// none here, so the dashboard never judges against a figure of its own.
export function belowTarget(share, target) {
  return typeof share === "number" && typeof target === "number"
    && Math.round(share * 1000) < Math.round(target * 1000);
}

export function count(value) {
  if (isSuppressed(value)) return SUPPRESSED;
  return value === null || value === undefined ? "—" : String(value);
}

// columns: [{name, title, cell(row) -> string | Node, numeric?}]; rows carry .key and
// .suppressed (the whole row withheld).
export function table(caption, columns, rows, { empty = "Nothing recorded in this period." } = {}) {
  const wrapper = document.createElement("div");
  wrapper.className = "table-wrap";
  wrapper.tabIndex = 0; // a wide table scrolls inside itself, by keyboard too
  wrapper.setAttribute("role", "region");
  wrapper.setAttribute("aria-label", caption);
  const node = document.createElement("table");
  node.createCaption().textContent = caption;
  const head = node.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column.title;
    if (column.numeric) th.className = "num";
    head.append(th);
  }
  const body = node.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    tr.dataset.key = row.key;
    columns.forEach((column, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.dataset.column = column.name;
      const value = i > 0 && row.suppressed ? SUPPRESSED : column.cell(row);
      if (value instanceof Node) cell.append(value);
      else cell.textContent = value;
      const classes = [column.numeric ? "num" : "", value === SUPPRESSED ? SUPPRESSED : ""];
      cell.className = classes.filter(Boolean).join(" ");
      tr.append(cell);
    });
  }
  if (!rows.length) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = columns.length;
    cell.textContent = empty;
  }
  // Wider than its place, a table says so: a hint that stays in view and shadows at the
  // edges with more columns beyond them (style.css).
  const hint = document.createElement("p");
  hint.className = "scroll-hint";
  hint.textContent = "Scroll sideways for every column →";
  wrapper.append(hint, node);
  new ResizeObserver(() => wrapper.classList.toggle("scrolls",
    wrapper.scrollWidth > wrapper.clientWidth + 1)).observe(wrapper);
  return wrapper;
}
