// 批量决定 dialog: preview exactly what will change, then apply exactly that (the preview's token).
import { api } from "./api.js";
import { clear, dialogError, h } from "./ui.js";

const STATUSES = [["resolved", "已化解"], ["closed", "已办结"], ["unresolved", "未化解"], ["in_progress", "办理中"]];

// Resolves the decision's result when applied, null when cancelled.
export function decisionDialog(groupId, { late = false } = {}) {
  return new Promise((resolve) => {
    let result = null;
    let token = null;
    const decision = h("textarea", { id: "bd-decision", name: "decision", rows: 3 });
    const reply = h("textarea", { id: "bd-reply", name: "reply", rows: 2, placeholder: "默认同决定内容" });
    const status = h("select", { id: "bd-status", name: "status" }, STATUSES.map(([v, l]) => h("option", { value: v }, l)));
    const keepClosed = h("input", { type: "checkbox", id: "bd-keep-closed", value: "closed", checked: true });
    const keepUnresolved = h("input", { type: "checkbox", id: "bd-keep-unresolved", value: "unresolved" });
    const preview = h("div", { id: "bd-preview", class: "dlg-intro", "aria-live": "polite" }, "请先预览将变更的案件。");
    const errors = h("div", { class: "dlg-errors" });
    const apply = h("button", { class: "btn primary", type: "button", id: "bd-apply", disabled: true }, "确认应用");
    const leave = () => [keepClosed, keepUnresolved].filter((x) => x.checked).map((x) => x.value);
    const stale = () => { token = null; apply.disabled = true; clear(preview, "选择已改变，请重新预览。"); };
    for (const el of [status, keepClosed, keepUnresolved]) el.addEventListener("change", stale);
    const look = h("button", { class: "btn", type: "button", id: "bd-preview-btn", onclick: async () => {
      clear(errors);
      try {
        const p = await api(`/api/groups/${groupId}/decision/preview`, { method: "POST", body: { status: status.value, leave_alone: leave() } });
        token = p.token;
        apply.disabled = p.change.length === 0;
        clear(preview, h("p", { id: "bd-message" }, p.message),
          p.change.length ? h("p", { class: "muted small", id: "bd-change" }, "将变更：", p.change.map((c) => c.external_no).join("、")) : null);
      } catch (e) { clear(errors, dialogError(e)); }
    } }, "预览");
    apply.addEventListener("click", async () => {
      clear(errors);
      if (!decision.value.trim()) { clear(errors, dialogError({ details: [{ field: "decision", message: "请填写决定内容" }] })); return; }
      apply.disabled = true;
      try {
        result = await api(`/api/groups/${groupId}/decision`, { method: "POST", body: {
          decision: decision.value, status: status.value, token, leave_alone: leave(), reply: reply.value || null } });
        dlg.close();
      } catch (e) { clear(errors, dialogError(e)); apply.disabled = false; }
    });
    const title = late ? "按同一政策处理后加入的案件" : "批量决定";
    const dlg = h("dialog", { "aria-label": title, id: "decide-dialog" },
      h("h2", {}, title),
      h("label", { for: "bd-decision" }, "决定内容"), decision,
      h("label", { for: "bd-reply" }, "给信访人的答复"), reply,
      h("label", { for: "bd-status" }, "成员案件改为"), status,
      h("div", {}, h("label", {}, keepClosed, " 保留已办结案件不变")),
      h("div", {}, h("label", {}, keepUnresolved, " 保留未化解案件不变")),
      preview, errors,
      h("div", { class: "btn-row" }, h("button", { class: "btn", type: "button", onclick: () => dlg.close() }, "取消"), look, apply));
    dlg.addEventListener("close", () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}
