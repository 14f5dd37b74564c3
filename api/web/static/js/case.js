// 案件详情: all fields (masked), workflow (repeats, assignments, litigation), group, history.
import { api, optional } from "./api.js";
import { getProfile, groupOfCase, groupState } from "./groups_api.js";
import { $, ask, badge, can, clear, errorBlock, fmtTime, h, statusBadge, toast } from "./ui.js";

const KINDS = { locality: "属地", department: "行业部门" };

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
    fact("办结日期", c.resolved_date),
    fact("信访人", c.petitioner_name),
    fact("信访人标识", c.petitioner_ref ? h("code", {}, c.petitioner_ref) : null),
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

function renderWorkflow(wf) {
  if (!wf) return;
  const links = wf.links || [];
  if (links.length || wf.later_repeats) {
    $("#links-card").hidden = false;
    clear(
      $("#case-links"),
      links.length
        ? h("table", { class: "table compact" },
          h("thead", {}, h("tr", {}, h("th", {}, "关系"), h("th", {}, "关联案件"), h("th", { class: "num" }, "相似度"))),
          h("tbody", {}, links.map((l) => h("tr", {},
            h("td", {}, badge(l.label || l.kind, l.kind === "repeat" ? "red" : "amber")),
            h("td", {}, h("a", { href: `/cases/${l.other_id}` }, l.other_external_no || `#${l.other_id}`)),
            h("td", { class: "num" }, l.similarity === null || l.similarity === undefined ? "—" : `${(l.similarity * 100).toFixed(0)}%`)))))
        : null,
      wf.later_repeats ? h("p", { class: "muted" }, `此案之后另有 ${wf.later_repeats} 件重复信访。`) : null,
    );
  }
  const active = wf.assignments || [];
  $("#assign-card").hidden = false;
  clear(
    $("#case-assign"),
    active.length
      ? h("table", { class: "table compact", id: "assignments" },
        h("thead", {}, h("tr", {}, h("th", {}, "类型"), h("th", {}, "承办单位"), h("th", {}, "交办人"), h("th", {}, "时间"))),
        h("tbody", {}, active.map((a) => h("tr", {},
          h("td", {}, badge(KINDS[a.kind] || a.kind, a.kind === "locality" ? "blue" : "")),
          h("td", {}, a.unit, a.lead ? [" ", badge("主责", "red")] : null),
          h("td", {}, a.assigned_by),
          h("td", {}, fmtTime(a.assigned_at))))))
      : h("p", { class: "empty" }, "尚未交办"),
    can("workflow:write") ? h("button", { class: "btn small", type: "button", id: "assign-btn", onclick: assign }, active.length ? "调整交办" : "双向交办") : null,
  );
  const lit = wf.litigation;
  if (lit) {
    $("#lit-card").hidden = false;
    clear(
      $("#case-lit"),
      h("p", {}, badge(lit.status_label || lit.status, lit.status === "concluded" ? "green" : "red")),
      lit.evidence?.length ? h("ul", { class: "small" }, lit.evidence.map((e) => h("li", {}, `${e.rule || "依据"}：`, h("mark", {}, e.phrase || "")))) : null,
      lit.events?.length ? h("ol", { class: "timeline" }, lit.events.map((e) => h("li", {}, h("time", {}, fmtTime(e.at)), e.status_label || e.status, e.note ? `：${e.note}` : ""))) : null,
    );
  }
}

let current = null;

async function assign() {
  // Pre-fill with the routing suggestion: the handler confirms or corrects it.
  const sug = await optional("/api/workflow/route", { method: "POST", body: { case_id: caseId } }).catch(() => null);
  const v = await ask("双向交办", [
    { name: "locality", label: "属地（地市）", value: sug?.city?.value || current?.city || "" },
    { name: "departments", label: "行业部门（多个用顿号分隔）", value: sug?.department?.value || current?.department || "" },
    { name: "lead", label: "主责单位（多个部门时必填）", value: "" },
    { name: "note", label: "交办说明", multiline: true },
  ], "交办");
  if (!v) return;
  const departments = v.departments.split(/[、,，\s]+/).map((x) => x.trim()).filter(Boolean);
  try {
    await api(`/api/workflow/cases/${caseId}/assignments`, { method: "PUT", body: {
      locality: v.locality.trim() || null, departments, lead: v.lead.trim() || (departments.length === 1 ? departments[0] : null), note: v.note || null } });
    toast("已交办");
    renderWorkflow(await optional(`/api/workflow/cases/${caseId}`));
  } catch (e) {
    $("#case-assign").prepend(errorBlock(e));
  }
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
  if (can("workflow:read")) renderWorkflow(await optional(`/api/workflow/cases/${caseId}`).catch(() => null));
  renderGroup();
  renderHistory();
})();
