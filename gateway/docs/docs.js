// The API reference: reads the gateway's own /openapi.json and lists every operation with
// who may call it, its parameters, its body and its answers. Nothing is fetched from
// anywhere else.
"use strict";

const METHODS = ["get", "put", "post", "delete", "patch"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function resolve(spec, item) {
  let seen = 0;
  while (item && item.$ref && seen++ < 10) {
    item = item.$ref.replace(/^#\//, "").split("/").reduce((at, key) => at[key], spec);
  }
  return item;
}

function typeOf(spec, schema) {
  schema = resolve(spec, schema) || {};
  if (schema.type === "array") return `array of ${typeOf(spec, schema.items)}`;
  const parts = [schema.type || "object"];
  if (schema.format) parts.push(`(${schema.format})`);
  if (schema.enum) parts.push(`one of ${schema.enum.join(", ")}`);
  if (schema.nullable) parts.push("or null");
  return parts.join(" ");
}

function limits(schema) {
  const out = [];
  for (const key of ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
                     "pattern", "default"]) {
    if (schema[key] !== undefined) out.push(`${key} ${JSON.stringify(schema[key])}`);
  }
  return out.join(", ");
}

// A body schema as nested rows: field, type, required, limits.
function fieldsTable(spec, schema, depth = 0) {
  schema = resolve(spec, schema) || {};
  const table = el("table", {class: "fields"},
    el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "required"),
       el("th", {}, "limits")));
  const required = new Set(schema.required || []);
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const resolved = resolve(spec, property) || {};
    table.append(el("tr", {}, el("td", {}, el("code", {}, name)),
      el("td", {}, typeOf(spec, resolved)), el("td", {}, required.has(name) ? "yes" : ""),
      el("td", {}, limits(resolved))));
    const inner = resolved.type === "array" ? resolve(spec, resolved.items) : resolved;
    if (inner && inner.properties && depth < 3) {
      table.append(el("tr", {}, el("td", {colspan: "4", class: "nested"},
        fieldsTable(spec, inner, depth + 1))));
    }
  }
  if (schema.additionalProperties === false) {
    table.append(el("tr", {}, el("td", {colspan: "4", class: "note"},
      "Unknown fields are refused (400).")));
  }
  return table;
}

function operationCard(spec, path, method, op) {
  const card = el("details", {class: "operation", "data-text":
    `${method} ${path} ${op.summary} ${op.description} ${(op.tags || []).join(" ")}`.toLowerCase()});
  card.append(el("summary", {}, el("span", {class: `method ${method}`}, method.toUpperCase()),
    " ", el("code", {}, path), " ", el("span", {class: "summary"}, op.summary)));
  card.append(el("p", {class: "roles"}, op.description || ""));
  const params = (op.parameters || []).map((p) => resolve(spec, p));
  if (params.length) {
    const table = el("table", {class: "fields"}, el("tr", {}, el("th", {}, "parameter"),
      el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "required")));
    for (const p of params) {
      table.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
        el("td", {}, typeOf(spec, p.schema)), el("td", {}, p.required ? "yes" : "")));
    }
    card.append(el("h4", {}, "Parameters"), table);
  }
  if (op.requestBody) {
    card.append(el("h4", {}, `Body${op.requestBody.required ? "" : " (optional)"}`));
    for (const [media, content] of Object.entries(op.requestBody.content || {})) {
      card.append(el("p", {}, el("code", {}, media)));
      if (media !== "text/csv") card.append(fieldsTable(spec, content.schema));
    }
  }
  const answers = el("ul", {class: "responses"});
  for (const [status, response] of Object.entries(op.responses || {})) {
    const resolved = resolve(spec, response) || {};
    answers.append(el("li", {}, el("code", {}, status), " ", resolved.description || ""));
  }
  card.append(el("h4", {}, "Answers"), answers);
  return card;
}

function render(spec) {
  document.getElementById("about").textContent =
    `${spec.info.title} ${spec.info.version}: ${spec.info.description || ""}`;
  const byTag = new Map();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operationCard(spec, path, method, item[method]));
    }
  }
  const main = document.getElementById("operations");
  const nav = document.getElementById("tags");
  for (const [tag, cards] of [...byTag.entries()].sort()) {
    const id = `tag-${tag.replace(/\W+/g, "-")}`;
    nav.append(el("a", {href: `#${id}`}, tag), " ");
    main.append(el("section", {id}, el("h2", {}, tag), ...cards));
  }
  document.getElementById("filter").addEventListener("input", (event) => {
    const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const card of document.querySelectorAll(".operation")) {
      const text = card.getAttribute("data-text");
      card.hidden = !words.every((w) => text.includes(w));
    }
  });
}

fetch("/openapi.json")
  .then((response) => {
    if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`);
    return response.json();
  })
  .then(render)
  .catch((error) => {
    document.getElementById("about").textContent = `Could not read the API: ${error.message}`;
  });
