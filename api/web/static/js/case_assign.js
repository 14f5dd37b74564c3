// 双向交办 on the case page: every assigned unit's 签收 / 退回 / 答复, handlers, the handling history,
// and the assignment dialog (errors inside the open dialog, in words; nothing typed is lost).
import { api, optional } from "./api.js";
import { ensureUnitList } from "./handling.js";
import { $, badge, can, clear, formDialog, fmtTime, h, me, toast } from "./ui.js";

const STATUS_COLORS = { pending_sign: "amber", signed: "green", returned: "red" };

function record(a) {
  if (a.return_reason) return h("div", { class: "small" }, `退回理由：${a.return_reason}`);
  if (a.kind === "locality" && a.outcome_text) {
    return h("div", { class: "small" }, a.resolved === true ? badge("已化解", "green") : a.resolved === false ? badge("未化解", "red") : null, ` ${a.outcome_text}`);
  }
  if (a.guidance) return h("div", { class: "small" }, `指导意见：${a.guidance}`);
  return null;
}

function unitActions(a, reload) {
  if (!can("workflow:write") || !me.unit || me.unit !== a.unit) return null;
  const btns = [];
  if (a.status === "pending_sign") {
    btns.push(h("button", { class: "btn small primary", type: "button", dataset: { act: "sign" }, onclick: async () => {
      try { await api(`/api/workflow/assignments/${a.id}/sign`, { method: "POST" }); toast("已签收"); reload(); }
      catch (e) { toast(e.message, "error"); }
    } }, "签收"));
    btns.push(h("button", { class: "btn small", type: "button", dataset: { act: "return" }, onclick: async () => {
      const done = await formDialog({ title: "退回交办", okLabel: "退回", id: "return-dialog",
        fields: [{ name: "reason", label: "退回理由", multiline: true, required: true, requiredMessage: "请填写退回理由" }],
        submit: (v) => api(`/api/workflow/assignments/${a.id}/return`, { method: "POST", body: { reason: v.reason } }) });
      if (done) { toast("已退回"); reload(); }
    } }, "退回"));
  } else if (a.status === "signed") {
    const locality = a.kind === "locality";
    btns.push(h("button", { class: "btn small primary", type: "button", dataset: { act: "answer" }, onclick: async () => {
      const fields = [{ name: "text", label: locality ? "化解情况" : "指导意见", multiline: true, rows: 5, required: true, value: (locality ? a.outcome_text : a.guidance) || "" }];
      if (locality) fields.push({ name: "resolved", label: "是否已化解", required: true, placeholder: "请选择", options: [{ value: "true", label: "已化解" }, { value: "false", label: "未化解" }], requiredMessage: "请选择是否已化解" });
      const done = await formDialog({ title: locality ? "录入化解情况" : "录入指导意见", okLabel: "保存", id: "answer-dialog", fields,
        submit: (v) => api(`/api/workflow/assignments/${a.id}/answer`, { method: "POST", body: locality ? { text: v.text, resolved: v.resolved === "true" } : { text: v.text } }) });
      if (done) { toast("已保存"); reload(); }
    } }, locality ? "录入化解情况" : "录入指导意见"));
  }
  return btns.length ? h("div", { class: "btn-row" }, btns) : null;
}

export function assignmentPanel(caseId, wf, current, reload) {
  const active = wf.assignments || [];
  $("#assign-card").hidden = false;
  const handlers = wf.handlers || [];
  clear($("#case-assign"),
    active.length
      ? h("table", { class: "table compact", id: "assignments" },
        h("thead", {}, h("tr", {}, h("th", {}, "单位"), h("th", {}, "状态"), h("th", {}, "经办人"), h("th", {}, "记录"))),
        h("tbody", {}, active.map((a) => h("tr", { dataset: { assignmentId: a.id, unit: a.unit } },
          h("td", { class: "nowrap" }, badge(a.kind_label, a.kind === "locality" ? "blue" : ""), " ", a.unit, a.lead ? [" ", badge("主责", "red")] : null,
            h("div", { class: "muted small" }, `${a.assigned_by}${a.assigned_by_unit ? `（${a.assigned_by_unit}）` : "（省级）"} ${fmtTime(a.assigned_at)}`)),
          h("td", { class: "nowrap" }, badge(a.status_label, STATUS_COLORS[a.status] || ""),
            a.status === "pending_sign" && a.sign_due ? h("div", { class: "muted small" }, `签收期限 ${a.sign_due}`) : null,
            a.signed_at ? h("div", { class: "muted small" }, `${a.signed_by} ${fmtTime(a.signed_at)}`) : null),
          h("td", { class: "nowrap" }, a.handler || handlers.find((x) => x.unit === a.unit)?.username || "—"),
          h("td", {}, record(a), unitActions(a, reload))))))
      : h("p", { class: "empty" }, "尚未交办"),
    can("workflow:write") ? h("div", { class: "btn-row gap-top" },
      h("button", { class: "btn small", type: "button", id: "assign-btn", onclick: () => assignDialog(caseId, active, current, reload) }, active.length ? "调整交办" : "双向交办"),
      me.unit ? h("button", { class: "btn small", type: "button", id: "handler-btn", onclick: () => handlerDialog(caseId, reload) }, "移交经办人") : null) : null);
  const hist = [...(wf.history || [])].reverse();
  $("#handling-card").hidden = !hist.length;
  clear($("#case-handling"), hist.slice(0, 30).map((e) => h("li", {}, h("time", {}, fmtTime(e.at)),
    `${e.actor}${e.actor_unit ? `（${e.actor_unit}）` : ""} · ${e.action_label}`, e.unit ? ` · ${e.unit}` : "", e.detail ? `：${e.detail}` : "")));
}

async function assignDialog(caseId, active, current, reload) {
  // Pre-filled with the current assignment, else the routing suggestion: the handler confirms or corrects it.
  const sug = active.length ? null : await optional("/api/workflow/route", { method: "POST", body: { case_id: caseId } }).catch(() => null);
  const list = ensureUnitList();
  const locality = active.find((a) => a.kind === "locality")?.unit || sug?.city?.value || current?.city || "";
  const depts = active.filter((a) => a.kind === "department").map((a) => a.unit);
  const lead = active.find((a) => a.lead && a.kind === "department")?.unit || "";
  const done = await formDialog({
    title: "双向交办", okLabel: "交办", id: "assign-dialog",
    intro: h("p", { class: "small muted" }, "属地负责化解，行业部门给出政策指导；涉及多个部门时须指定主责单位。各单位须在期限内签收或退回。"),
    fields: [
      { name: "locality", label: "属地（地市或区县）", value: locality, list },
      { name: "departments", label: "行业部门（多个用顿号分隔）", value: depts.length ? depts.join("、") : sug?.department?.value || current?.department || "", list },
      { name: "lead", label: "主责单位（多个部门时必填）", value: lead, list },
      { name: "note", label: "交办说明", multiline: true },
    ],
    submit: (v) => {
      const departments = v.departments.split(/[、,，;；\s]+/).map((x) => x.trim()).filter(Boolean);
      return api(`/api/workflow/cases/${caseId}/assignments`, { method: "PUT", body: {
        locality: v.locality.trim() || null, departments,
        lead: v.lead.trim() || (departments.length === 1 ? departments[0] : null), note: v.note.trim() || null } });
    },
  });
  if (done) { toast("已交办"); reload(); }
}

async function handlerDialog(caseId, reload) {
  const done = await formDialog({
    title: "移交经办人", okLabel: "移交", id: "handler-dialog",
    intro: h("p", { class: "small muted" }, `在本单位（${me.unit}）内移交本案的经办人。`),
    fields: [{ name: "username", label: "接手经办人（用户名）", required: true, requiredMessage: "请填写接手的经办人" }],
    submit: (v) => api(`/api/workflow/cases/${caseId}/handler`, { method: "PUT", body: { username: v.username.trim() } }),
  });
  if (done) { toast("已移交"); reload(); }
}
