// Renders the service's OpenAPI document: one section per operation of the
// root paths (the same ones are served under /api/v1), with its parameters,
// request body and answers, schemas spelled out. The key, when one is
// needed, is kept in this variable only: never in the URL or in storage.
"use strict";

let key = "";

async function load() {
  const headers = key ? { Authorization: "Bearer " + key } : {};
  const answer = await fetch("openapi.json", { headers });
  const form = document.getElementById("key");
  if (answer.status === 401 || answer.status === 403) {
    form.hidden = false;
    document.getElementById("problem").textContent = key ? "That key cannot read this description (" + answer.status + ")." : "";
    document.getElementById("secret").focus();
    return;
  }
  if (!answer.ok) {
    document.getElementById("problem").textContent = "The description could not be read: " + answer.status;
    form.hidden = false;
    return;
  }
  form.hidden = true;
  render(await answer.json());
}

function schemaText(doc, schema, depth) {
  if (!schema) return "";
  if (depth > 6) return "…";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return name + " " + schemaText(doc, doc.components.schemas[name], depth);
  }
  const pad = "  ".repeat(depth);
  const type = [].concat(schema.type || "any").filter((t) => t !== "null").join(" | ");
  if (schema.properties) {
    const required = new Set(schema.required || []);
    const lines = Object.keys(schema.properties).sort().map((name) =>
      pad + "  " + name + (required.has(name) ? "" : "?") + ": " + schemaText(doc, schema.properties[name], depth + 1));
    return "{\n" + lines.join("\n") + "\n" + pad + "}";
  }
  if (schema.items) return "[" + schemaText(doc, schema.items, depth) + "]";
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return "{ [key]: " + schemaText(doc, schema.additionalProperties, depth) + " }";
  }
  return type + (schema.format ? " (" + schema.format + ")" : "");
}

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function render(doc) {
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title;
  document.getElementById("description").textContent = doc.info.description;
  const main = document.getElementById("operations");
  main.replaceChildren();
  for (const path of Object.keys(doc.paths).filter((p) => !p.startsWith("/api/v1")).sort()) {
    for (const [method, op] of Object.entries(doc.paths[path])) {
      const section = element("section");
      const h = element("h2");
      h.append(element("span", method.toUpperCase(), "method " + method), document.createTextNode(" " + path));
      section.append(h, element("p", op.summary));
      if (op["x-scope"]) section.append(element("p", "scope: " + op["x-scope"], "scope"));
      if (op.parameters) {
        const table = element("table");
        for (const p of op.parameters) {
          const row = element("tr");
          row.append(element("td", p.in), element("td", p.name + (p.required ? "" : "?")), element("td", p.description || ""));
          table.append(row);
        }
        section.append(table);
      }
      if (op.requestBody) {
        section.append(element("h3", "Body" + (op.requestBody.required ? "" : " (optional)")));
        section.append(element("pre", schemaText(doc, op.requestBody.content["application/json"].schema, 0)));
      }
      section.append(element("h3", "Answers"));
      for (const status of Object.keys(op.responses).sort()) {
        const r = op.responses[status];
        const content = r.content ? Object.entries(r.content)[0] : null;
        const details = element("details");
        details.append(element("summary", status + " " + r.description));
        if (content) details.append(element("pre", content[0] + "\n" + schemaText(doc, content[1].schema, 0)));
        section.append(details);
      }
      main.append(section);
    }
  }
}

document.getElementById("key").addEventListener("submit", (e) => {
  e.preventDefault();
  key = document.getElementById("secret").value;
  load();
});
load();
