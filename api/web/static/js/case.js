// 案件详情: all fields (masked), the lifecycle, dual assignment, reminders and orders, satisfaction,
// repeat links (manual link and unlink), the case's group, history.
import { api, optional } from "./api.js";
import { assignmentPanel } from "./case_assign.js";
import { lifecyclePanel } from "./case_lifecycle.js";
import { evaluationPanel, noticesPanel } from "./case_notices.js";
import { getProfile, groupOfCase, groupState } from "./groups_api.js";
import { evidenceCell } from "./repeat_evidence.js";
import { $, badge, can, clear, confirmDialog, errorBlock, fmtTime, formDialog, h, statusBadge, toast } from "./ui.js";

const root = $("#case-root");
const caseId = Number(root.dataset.caseId);

function fact(label, value) {
  return [h("dt", {}, label), h("dd", {}, value === null || value === undefined || value === "" ? "—" : value)];
}

function renderCase(c) {
  document.title = `${c.title || c.external_no} · 类案研判平台`;
  $("#case-title").textContent = c.title || c.external_no;
  clear($("#case-sub"), `${c.external_no} · 受理于 ${c.received_date} · `, statusBadge(c.status, c.status_label),
    c.litigation ? [" ", badge("涉法涉诉", "red")] : null);
  $("#case-content").textContent = c.content;
  clear(
    $("#case-facts"),
    fact("登记编号", c.external_no),
    fact("受理日期", c.received_date),
    fact("信访渠道", c.channel),
    fact("属地", [c.city, c.district].filter(Boolean).join(" ")),
    fact("责任部门", c.department),
    fact("问题类别", c.category),
    fact("办理状态", statusBadge(c.status, c.status_label)),
    fact("办理阶段", c.stage_label ? badge(c.stage_label, c.overdue ? "red" : "blue") : null),
    fact("办理期限", c.due_date ? [c.due_date, c.overdue ? [" ", badge("已超期", "red")] : null] : null),
    fact("办结日期", c.resolved_date),
    fact("信访人", c.petitioner_name),
    fact("信访人标识", c.petitioner_ref ? [h("code", {}, c.petitioner_ref), " ", h("a", { href: `/petitioners/${c.petitioner_ref}`, id: "petitioner-link", class: "small" }, "全部来信")] : null),
    fact("涉及人数", c.participants),
    fact("涉法涉诉", c.litigation ? badge("是", "red") : "否"),
    fact("更新时间", fmtTime(c.updated_at)),
  );
  if (c.resolution_note) {
    $("#resolution-card").hidden = false;
    $("#case-resolution").textContent = c.resolution_note;
  }
  if (can("pii:read") && !$("#reveal")) {
    $("#case-actions").prepend(h("button", { class: "btn", id: "reveal", type: "button", onclick: reveal }, "显示个人信息"));
  }
  if (c.status === "resolved" && can("modelcases:draft") && !$("#promote")) {
    $("#case-actions").prepend(h("button", { class: "btn", id: "promote", type: "button", onclick: promote }, "推荐为典型案例"));
  }
}

async function reveal() {
  // Revealing is audited server-side; the button is only offered to roles holding pii:read.
  const c = await api(`/api/cases/${caseId}`, { query: { reveal: true } });
  renderCase(c);
  $("#reveal").disabled = true;
  $("#reveal").textContent = "已显示（已记录审计）";
}

async function promote() {
  try {
    const mc = await api("/api/modelcases/promote", { method: "POST", body: { case_id: caseId } });
    location.assign(`/modelcases/${mc.id}`);
  } catch (e) {
    $("#case-root").prepend(errorBlock(e));
  }
}

function linkRow(l) {
  return h("tr", { dataset: { otherId: l.other_id } },
    h("td", {}, badge(l.label || l.kind, l.kind === "repeat" ? "red" : "amber"), l.manual ? [" ", badge("人工", "")] : null),
    h("td", {}, h("a", { href: `/cases/${l.other_id}` }, l.other_external_no || `#${l.other_id}`)),
    h("td", { class: "num" }, l.similarity === null || l.similarity === undefined ? "—" : `${(l.similarity * 100).toFixed(0)}%`),
    evidenceCell(l),
    can("workflow:write") ? h("td", {}, h("button", { class: "btn small", type: "button", dataset: { act: "unlink" }, onclick: () => unlink(l) }, "解除")) : null);
}

async function unlink(l) {
  const yes = await confirmDialog("解除关联", `解除本案与 ${l.other_external_no || `#${l.other_id}`} 的关联？操作会记入审计。`, "解除", { danger: true, id: "unlink-dialog" });
  if (!yes) return;
  try {
    await api(`/api/workflow/cases/${caseId}/links/${l.other_id}`, { method: "DELETE" });
    toast("已解除关联");
    reloadWorkflow();
  } catch (e) {
    toast(e.message, "error");
  }
}

async function linkDialog() {
  const done = await formDialog({
    title: "关联重复信访", okLabel: "关联", id: "link-dialog",
    intro: h("p", { class: "small muted" }, "同一信访人就同一事项的另一次来信；较晚的一件记为较早一件的重复信访。"),
    fields: [
      { name: "other", label: "另一案件的登记编号", required: true, requiredMessage: "请填写另一案件的登记编号", errorLabel: "登记编号" },
      { name: "note", label: "关联说明", multiline: true },
    ],
    submit: async (v) => {
      const other = await api(`/api/cases/by-external/${encodeURIComponent(v.other.trim())}`).catch((e) => {
        if (e.status === 404) throw Object.assign(new Error(`没有登记编号为“${v.other.trim()}”的案件`), { details: [] });
        throw e;
      });
      return api(`/api/workflow/cases/${caseId}/links`, { method: "POST", body: { other_id: other.id, note: v.note.trim() || null } });
    },
  });
  if (done) { toast("已关联"); reloadWorkflow(); }
}

function renderWorkflow(wf) {
  if (!wf) return;
  const links = wf.links || [];
  $("#links-card").hidden = false;
  clear(
    $("#case-links"),
    links.length
      ? h("table", { class: "table compact", id: "links" },
        h("thead", {}, h("tr", {}, h("th", {}, "关系"), h("th", {}, "关联案件"), h("th", { class: "num" }, "相似度"), h("th", {}, "识别依据"), can("workflow:write") ? h("th", {}, "") : null)),
        h("tbody", {}, links.map(linkRow)))
      : h("p", { class: "empty" }, "没有关联案件"),
    wf.later_repeats ? h("p", { class: "muted" }, `此案之后另有 ${wf.later_repeats} 件重复信访。`) : null,
    can("workflow:write") ? h("button", { class: "btn small", type: "button", id: "link-btn", onclick: linkDialog }, "关联重复信访") : null,
  );
  assignmentPanel(caseId, wf, current, reloadAll);
  const lit = wf.litigation;
  if (lit) {
    $("#lit-card").hidden = false;
    clear(
      $("#case-lit"),
      h("p", {}, badge(lit.status_label || lit.status, lit.status === "concluded" ? "green" : "red")),
      lit.evidence?.length ? h("ul", { class: "small" }, lit.evidence.map((e) => h("li", {}, `${e.rule || "依据"}：`, h("mark", {}, e.phrase || "")))) : null,
      lit.events?.length ? h("ol", { class: "timeline" }, lit.events.map((e) => h("li", {}, h("time", {}, fmtTime(e.at)), e.status_label || e.status, e.note ? `：${e.note}` : ""))) : null,
      lit.status !== "dismissed" ? h("a", { class: "btn small", href: `/litigation?case=${caseId}`, id: "lit-handover" }, "诉访分离移交与办理") : null,
    );
  }
}

let current = null;

async function reloadWorkflow() {
  if (can("workflow:read")) renderWorkflow(await optional(`/api/workflow/cases/${caseId}`).catch(() => null));
}

// After any handling step: the case (stage, due date), every panel, and the inbox count in the nav.
async function reloadAll() {
  try {
    current = await api(`/api/cases/${caseId}`);
    renderCase(current);
  } catch { /* keep what is shown */ }
  await Promise.all([lifecyclePanel(caseId, reloadAll), reloadWorkflow(), noticesPanel(caseId, reloadAll), evaluationPanel(caseId, reloadAll)]);
  document.dispatchEvent(new Event("inbox:changed"));
}

async function renderGroup() {
  if (!can("groups:read")) return;
  const g = await groupOfCase(caseId).catch(() => null);
  if (!g) return;
  const p = await getProfile(g.id).catch(() => null);
  const d = p?.history?.decisions?.at(-1);
  $("#group-card").hidden = false;
  clear(
    $("#case-group"),
    h("a", { href: `/groups/${g.id}`, class: "mc-title" }, g.name),
    h("div", {}, groupState(g)),
    h("div", { class: "muted small" }, `${g.size} 件 · ${g.keywords.slice(0, 5).join("、")}`),
    g.lead_department ? h("p", { class: "small" }, "牵头部门：", g.lead_department) : null,
    d ? h("div", { class: "alert green small" }, h("strong", {}, "批量决定"), h("div", {}, d.decision, `（${fmtTime(d.created_at)}）`)) : null,
  );
}

async function renderHistory() {
  if (!can("audit:read")) return;
  const page = await optional("/api/audit", { query: { record_type: "cases", record_id: String(caseId), limit: 20 } }).catch(() => null);
  if (!page || !page.items.length) return;
  $("#history-card").hidden = false;
  clear($("#case-history"), h("ol", { class: "timeline" }, page.items.map((e) => h("li", {}, h("time", {}, fmtTime(e.at)), `${e.username} · ${e.action}`))));
}

(async () => {
  try {
    current = await api(`/api/cases/${caseId}`);
    renderCase(current);
  } catch (e) {
    clear(root, errorBlock(e));
    return;
  }
  if (can("workflow:read")) {
    lifecyclePanel(caseId, reloadAll);
    reloadWorkflow();
    noticesPanel(caseId, reloadAll);
    evaluationPanel(caseId, reloadAll);
  }
  renderGroup();
  renderHistory();
})();
