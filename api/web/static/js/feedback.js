// Relevance marks (issue 19): 相关 / 不相关 on a similar-case hit or a model case, POST /api/feedback
// (CSRF header from api.js, audited server-side). The current mark comes back on the next search as
// my_mark, so it stays visible; a new click replaces it.
import { api } from "./api.js";
import { can, h, toast } from "./ui.js";

const LABELS = { true: "已标为相关", false: "已标为不相关" };

// query: { text } or { case_id }; target: "case" | "modelcase"; current: true / false / null.
export function markButtons(target, itemId, query, current) {
  if (!can("search") || !query) return null;
  const state = h("span", { class: "mark-state small muted", role: "status" }, current === true || current === false ? LABELS[current] : "");
  const buttons = [true, false].map((relevant) =>
    h("button", {
      type: "button",
      class: "btn small mark-btn",
      "aria-pressed": current === relevant ? "true" : "false",
      dataset: { relevant: String(relevant) },
      onclick: (ev) => send(ev.currentTarget.closest(".marks"), relevant),
    }, relevant ? "相关" : "不相关"));
  const box = h("div", { class: "marks", dataset: { target, itemId: String(itemId) }, "aria-label": "标注该结果是否相关" }, buttons, state);

  async function send(el, relevant) {
    const body = { target, item_id: itemId, relevant };
    if (query.case_id) body.query_case_id = query.case_id;
    else body.query_text = query.text;
    for (const b of el.querySelectorAll("button")) b.disabled = true;
    try {
      await api("/api/feedback", { method: "POST", body });
      for (const b of el.querySelectorAll("button")) b.setAttribute("aria-pressed", b.dataset.relevant === String(relevant) ? "true" : "false");
      state.textContent = LABELS[relevant];
    } catch (e) {
      toast(e.message || "标注失败", "error");
    } finally {
      for (const b of el.querySelectorAll("button")) b.disabled = false;
    }
  }
  return box;
}
