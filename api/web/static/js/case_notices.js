// 催办 / 督办单 and 满意度评价 / 回访 on the case page; replies are answered in place by the unit.
import { api } from "./api.js";
import { ensureUnitList, METHODS, RATING_COLORS, RATINGS } from "./handling.js";
import { $, badge, can, clear, formDialog, fmtTime, h, me, toast } from "./ui.js";

function replyButton(kind, item, reload) {
  if (!can("workflow:write") || !me.unit || me.unit !== item.unit || item.reply_text) return null;
  const path = kind === "order" ? `/api/workflow/orders/${item.id}/reply` : `/api/workflow/reminders/${item.id}/reply`;
  return h("button", { class: "btn small", type: "button", dataset: { act: `reply-${kind}` }, onclick: async () => {
    const done = await formDialog({ title: kind === "order" ? "回复督办单" : "回复催办", okLabel: "回复", id: "reply-dialog",
      intro: kind === "order" ? h("p", { class: "small" }, `督办要求：${item.requirement}（${item.deadline} 前回复）`) : h("p", { class: "small" }, item.text),
      fields: [{ name: "text", label: "回复内容", multiline: true, required: true, requiredMessage: "请填写回复内容" }],
      submit: (v) => api(path, { method: "POST", body: { text: v.text } }) });
    if (done) { toast("已回复"); reload(); }
  } }, "回复");
}

function notice(kind, item, reload) {
  const color = item.status === "replied" ? "green" : item.status === "overdue" ? "red" : "amber";
  return h("li", { dataset: { kind, id: item.id } },
    h("time", {}, fmtTime(item.issued_at)),
    badge(kind === "order" ? "督办单" : "催办", kind === "order" ? "red" : "blue"), " ",
    `${item.issued_by}${item.issued_by_unit ? `（${item.issued_by_unit}）` : "（省级）"} → ${item.unit} `, badge(item.status_label, color),
    h("div", { class: "small" }, kind === "order" ? `督办要求：${item.requirement}（回复期限 ${item.deadline}）` : item.text),
    item.reply_text ? h("div", { class: "small reply" }, `回复（${item.replied_by} ${fmtTime(item.replied_at)}）：${item.reply_text}`) : null,
    replyButton(kind, item, reload));
}

export async function noticesPanel(caseId, reload) {
  const [reminders, orders] = await Promise.all([
    api(`/api/workflow/cases/${caseId}/reminders`).catch(() => []),
    api("/api/workflow/orders").then((all) => all.filter((o) => o.case_id === caseId)).catch(() => []),
  ]);
  $("#notices-card").hidden = false;
  const items = [...reminders.map((r) => ["reminder", r]), ...orders.map((o) => ["order", o])]
    .sort((a, b) => String(b[1].issued_at).localeCompare(String(a[1].issued_at)));
  clear($("#case-notices"),
    items.length ? h("ol", { class: "timeline", id: "notices" }, items.map(([k, it]) => notice(k, it, reload))) : h("p", { class: "empty" }, "暂无催办或督办"),
    can("workflow:write") ? h("div", { class: "btn-row gap-top" },
      h("button", { class: "btn small", type: "button", id: "remind-btn", onclick: async () => {
        const list = ensureUnitList();
        const done = await formDialog({ title: "催办", okLabel: "发出催办", id: "remind-dialog",
          fields: [{ name: "unit", label: "被催办单位", required: true, list, requiredMessage: "请填写被催办单位" },
            { name: "text", label: "催办内容", multiline: true, required: true, requiredMessage: "请填写催办内容" }],
          submit: (v) => api(`/api/workflow/cases/${caseId}/reminders`, { method: "POST", body: { unit: v.unit.trim(), text: v.text } }) });
        if (done) { toast("已催办"); reload(); }
      } }, "催办"),
      h("button", { class: "btn small", type: "button", id: "order-btn", onclick: async () => {
        const list = ensureUnitList();
        const done = await formDialog({ title: "下发督办单", okLabel: "下发", id: "order-dialog",
          fields: [{ name: "unit", label: "督办对象单位", required: true, list, requiredMessage: "请填写督办对象单位" },
            { name: "requirement", label: "督办要求", multiline: true, required: true, requiredMessage: "请填写督办要求" },
            { name: "deadline", label: "回复期限", type: "date", required: true, requiredMessage: "请选择回复期限" }],
          submit: (v) => api(`/api/workflow/cases/${caseId}/orders`, { method: "POST", body: { unit: v.unit.trim(), requirement: v.requirement, deadline: v.deadline } }) });
        if (done) { toast("已下发督办单"); reload(); }
      } }, "下发督办单")) : null);
}

export async function evaluationPanel(caseId, reload) {
  let st;
  try { st = await api(`/api/workflow/cases/${caseId}/evaluations`); } catch { $("#eval-card").hidden = true; return; }
  $("#eval-card").hidden = false;
  const cur = st.current;
  clear($("#case-eval"),
    st.reply ? h("p", { class: "small" }, `评价对象：${fmtTime(st.reply.at)} 的答复`) : h("p", { class: "muted small" }, "尚未答复，答复后可录入满意度评价"),
    cur ? h("p", {}, "满意度：", badge(cur.rating_label, RATING_COLORS[cur.rating] || ""), cur.note ? ` ${cur.note}` : "") : null,
    st.review_hint ? h("div", { class: "alert amber small", id: "eval-hint" }, h("strong", {}, "提示"), h("div", {}, st.review_hint)) : null,
    st.followups.length ? h("ul", { class: "small plain" }, st.followups.map((f) => h("li", {}, `${fmtTime(f.recorded_at)} ${f.method_label}回访：${f.note || ""}`))) : null,
    can("workflow:write") ? h("div", { class: "btn-row" },
      st.may_evaluate ? h("button", { class: "btn small primary", type: "button", id: "eval-btn", onclick: async () => {
        const done = await formDialog({ title: "录入满意度评价", okLabel: "保存", id: "eval-dialog",
          fields: [{ name: "rating", label: "满意度", required: true, placeholder: "请选择", options: RATINGS, requiredMessage: "请选择满意度" },
            { name: "note", label: "说明", multiline: true }],
          submit: (v) => api(`/api/workflow/cases/${caseId}/evaluations`, { method: "POST", body: { rating: v.rating, note: v.note.trim() || null } }) });
        if (done) { toast("已录入评价"); reload(); }
      } }, "录入满意度评价") : null,
      h("button", { class: "btn small", type: "button", id: "followup-btn", onclick: async () => {
        const done = await formDialog({ title: "录入回访记录", okLabel: "保存", id: "followup-dialog",
          fields: [{ name: "method", label: "回访方式", required: true, placeholder: "请选择", options: METHODS, requiredMessage: "请选择回访方式" },
            { name: "note", label: "回访情况", multiline: true }],
          submit: (v) => api(`/api/workflow/cases/${caseId}/followups`, { method: "POST", body: { method: v.method, note: v.note.trim() || null } }) });
        if (done) { toast("已录入回访"); reload(); }
      } }, "录入回访")) : null);
}
