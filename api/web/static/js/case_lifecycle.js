// 办理阶段 on the case page: stage, due date, overdue badge, the allowed steps with their inputs,
// and the transitions (who, when, reason). Every step is recorded at the server's time.
import { api } from "./api.js";
import { $, badge, can, clear, formDialog, fmtTime, h, toast } from "./ui.js";

const TEXT_LABELS = { reject: "不予受理告知书", reply: "答复意见书", review_reply: "复查意见书", recheck_reply: "复核意见书" };
const NEED_LABELS = { reason: "理由", approver: "批准人", text: "文书内容", days: "延期天数" };

function fieldsFor(step) {
  const out = [];
  for (const need of step.needs || []) {
    if (need === "text") out.push({ name: "text", label: TEXT_LABELS[step.action] || NEED_LABELS.text, multiline: true, rows: 6, required: true });
    else if (need === "reason") out.push({ name: "reason", label: NEED_LABELS.reason, multiline: true, rows: 3, required: true });
    else if (need === "approver") out.push({ name: "approver", label: NEED_LABELS.approver, required: true, placeholder: "批准延期的负责人" });
  }
  if (step.action === "extend") out.push({ name: "days", label: "延期天数", type: "number", min: 1, max: 365, placeholder: "默认按规定的最长延期", hint: "不填则按规定的最长延期天数" });
  if (!(step.needs || []).includes("reason") && step.action !== "accept") out.push({ name: "reason", label: "说明（选填）", multiline: true, rows: 2 });
  return out;
}

function body(values) {
  const out = {};
  for (const [k, v] of Object.entries(values)) {
    const s = String(v).trim();
    if (!s) continue;
    out[k] = k === "days" ? Number(s) : s;
  }
  return out;
}

export async function lifecyclePanel(caseId, onChange) {
  const card = $("#lc-card");
  let lc;
  try {
    lc = await api(`/api/cases/${caseId}/lifecycle`);
  } catch {
    card.hidden = true;
    return null;
  }
  card.hidden = false;
  const due = lc.due_date
    ? h("p", { class: "lc-due" }, `${lc.due_kind_label || "办理期限"}：`, h("strong", {}, lc.due_date), " ",
      lc.overdue ? badge("已超期", "red") : lc.near_due ? badge("即将超期", "amber") : null,
      lc.extended ? [" ", badge("已延期", "")] : null)
    : h("p", { class: "muted small" }, "当前阶段没有办理期限");
  const steps = can("workflow:write") ? (lc.allowed || []) : [];
  clear($("#lc-state"),
    h("p", { id: "lc-stage", dataset: { stage: lc.stage } }, badge(lc.stage_label, lc.overdue ? "red" : "blue")),
    due,
    lc.request_until ? h("p", { class: "small" }, `信访人可在 ${lc.request_until} 前申请复查/复核`) : null,
    steps.length
      ? h("div", { class: "btn-row", id: "lc-actions" }, steps.map((s) => h("button", {
        class: s.action === "reject" ? "btn small danger" : "btn small primary", type: "button", dataset: { action: s.action },
        onclick: async () => {
          const done = await formDialog({
            title: s.label, okLabel: s.label, id: "lc-dialog",
            intro: h("p", { class: "small muted" }, `当前阶段：${lc.stage_label}。记录时间以服务器时间为准。`),
            fields: fieldsFor(s),
            submit: (v) => api(`/api/cases/${caseId}/lifecycle`, { method: "POST", body: { action: s.action, ...body(v) } }),
          });
          if (done) { toast(`${s.label}已记录`); onChange?.(); }
        },
      }, s.label)))
      : h("p", { class: "muted small" }, can("workflow:write") ? "本案当前没有可执行的办理步骤" : "只读：无办理权限"));
  const items = [...(lc.transitions || [])].reverse();
  $("#lc-history-card").hidden = !items.length;
  clear($("#lc-history"), items.map((t) => h("li", { dataset: { action: t.action } },
    h("time", {}, fmtTime(t.at)),
    `${t.actor}${t.actor_unit ? `（${t.actor_unit}）` : ""} · ${t.label}`,
    t.to_stage_label ? ` → ${t.to_stage_label}` : "",
    t.due_date_after ? h("span", { class: "muted small" }, `（期限 ${t.due_date_after}）`) : null,
    t.approver ? h("div", { class: "small" }, `批准人：${t.approver}`) : null,
    t.reason ? h("div", { class: "small" }, `理由：${t.reason}`) : null,
    t.text ? h("div", { class: "small lc-text" }, t.text) : null)));
  return lc;
}
