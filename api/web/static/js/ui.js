// DOM helpers: elements are built with textContent only, so petition text can never inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    // Through CSSOM, not a style attribute: the Content-Security-Policy refuses inline styles.
    else if (k === "style") el.style.cssText = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

export const me = JSON.parse(document.getElementById("me")?.textContent || "{}");
export const can = (perm) => (me.permissions || []).includes(perm);

const STATUS_COLORS = { pending: "amber", in_progress: "blue", resolved: "green", unresolved: "red", closed: "" };
export const STATUS_LABELS = { pending: "待办", in_progress: "办理中", resolved: "已化解", unresolved: "未化解", closed: "已办结" };

export function badge(text, color = "") {
  return h("span", { class: `badge ${color}`.trim() }, text);
}

export function statusBadge(status, label) {
  return badge(label || STATUS_LABELS[status] || status, STATUS_COLORS[status] ?? "");
}

// Wrap every occurrence of any term in <mark>; longest terms first so 拖欠工资 wins over 工资.
export function highlight(text, terms) {
  const frag = document.createDocumentFragment();
  // Single characters would light up half of a Chinese text: only words are highlighted.
  const list = [...new Set((terms || []).filter((t) => t && t.trim().length > 1))].sort((a, b) => b.length - a.length);
  if (!text) return frag;
  if (!list.length) { frag.append(text); return frag; }
  const esc = list.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(${esc.join("|")})`, "g");
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) frag.append(text.slice(last, m.index));
    frag.append(h("mark", {}, m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

// A window of the text around the first matched term, so long petitions show the relevant part.
export function snippet(text, terms, size = 160) {
  if (!text || text.length <= size) return text || "";
  let pos = -1;
  for (const t of terms || []) {
    const i = text.indexOf(t);
    if (i >= 0 && (pos < 0 || i < pos)) pos = i;
  }
  const start = Math.max(0, Math.min(pos < 0 ? 0 : pos - 30, text.length - size));
  return (start > 0 ? "…" : "") + text.slice(start, start + size) + (start + size < text.length ? "…" : "");
}

export function toast(message, kind = "") {
  const box = document.getElementById("toast");
  if (!box) return;
  const t = h("div", { class: `toast ${kind}`.trim() }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 6000 : 3500);
}

// An ApiError (or any error) as a block: message plus one line per problem (第 N 行 · 字段：说明).
export function errorBlock(err) {
  const details = err.details || [];
  return h(
    "div",
    { class: "alert red", role: "alert" },
    h("strong", {}, "出错"),
    h(
      "div",
      {},
      h("div", {}, err.message || String(err)),
      details.length
        ? h("ul", { class: "small" }, details.slice(0, 20).map((d) => h("li", {}, problemText(d))))
        : null,
    ),
  );
}

// ``labels`` maps API field names to the words on the form (lead -> 主责单位), so a dialog can say
// "主责单位：请指定主责单位" instead of "字段 lead：…".
export function problemText(d, labels = {}) {
  const field = d.field ? (labels[d.field] ?? `字段 ${d.field}`) : null;
  const where = [d.row ? `第 ${d.row} 行` : null, field].filter(Boolean).join(" · ");
  return where ? `${where}：${d.message}` : d.message;
}

// An error inside a dialog: the problems in words, one line each (no repeated summary line).
export function dialogError(err, labels = {}) {
  const details = err.details || [];
  return h("div", { class: "alert red small", role: "alert" },
    h("div", {}, details.length
      ? h("ul", { class: "plain" }, details.slice(0, 10).map((d) => h("li", {}, problemText(d, labels))))
      : err.message || String(err)));
}

export function fmtPct(x, digits = 1) {
  return x === null || x === undefined || Number.isNaN(x) ? "—" : `${(x * 100).toFixed(digits)}%`;
}

export function fmtDate(s) {
  return s ? String(s).slice(0, 10) : "—";
}

export function fmtTime(s) {
  return s ? String(s).replace("T", " ").slice(0, 16) : "";
}

function dialogInput(f, id) {
  if (f.options) {
    return h("select", { id, name: f.name, required: f.required },
      f.placeholder !== undefined ? h("option", { value: "" }, f.placeholder) : null,
      f.options.map((o) => h("option", { value: o.value ?? o, selected: (o.value ?? o) === f.value }, o.label ?? o)));
  }
  if (f.multiline) return h("textarea", { id, name: f.name, rows: f.rows || 4, required: f.required, placeholder: f.placeholder || "" }, f.value || "");
  return h("input", { id, name: f.name, type: f.type || "text", value: f.value ?? "", required: f.required, placeholder: f.placeholder || "", list: f.list, min: f.min, max: f.max });
}

// A modal form that stays open until ``submit(values)`` succeeds: errors appear inside it, in words,
// and nothing typed is lost. Resolves with submit's result, or null when cancelled.
export function formDialog({ title, intro, fields = [], okLabel = "确定", submit, id }) {
  return new Promise((resolve) => {
    const labels = Object.fromEntries(fields.map((f) => [f.name, f.errorLabel || f.label.replace(/（.*）$/, "")]));
    const errors = h("div", { class: "dlg-errors" });
    const inputs = fields.map((f, i) => {
      const fid = `dlg-${f.name}-${i}`;
      return [h("label", { for: fid }, f.label), dialogInput(f, fid), f.hint ? h("p", { class: "hint" }, f.hint) : null];
    });
    const ok = h("button", { class: "btn primary", type: "submit" }, okLabel);
    const form = h("form", { method: "dialog", novalidate: true }, h("h2", {}, title), intro ? h("div", { class: "dlg-intro" }, intro) : null,
      inputs, errors,
      h("div", { class: "btn-row" },
        h("button", { class: "btn", type: "button", onclick: () => dlg.close() }, "取消"), ok));
    const dlg = h("dialog", { "aria-label": title, id }, form);
    let result = null;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      const missing = fields.filter((f) => f.required && !String(values[f.name] ?? "").trim());
      if (missing.length) {
        clear(errors, dialogError({ details: missing.map((f) => ({ field: f.name, message: f.requiredMessage || `请填写${f.label}` })) }, labels));
        return;
      }
      ok.disabled = true;
      try {
        result = submit ? await submit(values) : values;
        if (result === undefined) result = values;
        dlg.close();
      } catch (e) {
        clear(errors, dialogError(e, labels));
      } finally {
        ok.disabled = false;
      }
    });
    dlg.addEventListener("close", () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// A yes/no question in a modal; resolves true only when confirmed.
export function confirmDialog(title, message, okLabel = "确定", { danger = false, id } = {}) {
  return new Promise((resolve) => {
    let yes = false;
    const dlg = h("dialog", { "aria-label": title, id },
      h("h2", {}, title), h("div", { class: "dlg-intro" }, message),
      h("div", { class: "btn-row" },
        h("button", { class: "btn", type: "button", onclick: () => dlg.close() }, "取消"),
        h("button", { class: danger ? "btn danger" : "btn primary", type: "button", onclick: () => { yes = true; dlg.close(); } }, okLabel)));
    dlg.addEventListener("close", () => { dlg.remove(); resolve(yes); });
    document.body.append(dlg);
    dlg.showModal();
  });
}
