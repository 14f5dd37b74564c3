// 诉访分离: the referrals the user may see; a case's file (steps, 三到位一处理, 司法救助); the receiving
// unit's account records the steps, the referring side refers. The server decides who may do what.
import { api } from "./api.js";
import { $, badge, can, clear, errorBlock, fmtTime, formDialog, h, toast } from "./ui.js";

const STATUS = { referred: "已移交待核查", checked: "已核查", corrected: "已纠错", resolved: "已化解", returned: "已退回", concluded: "已依法终结" };
const COLORS = { referred: "blue", checked: "blue", corrected: "amber", resolved: "green", returned: "amber", concluded: "green" };
const AID = [["granted", "予以救助"], ["partly", "部分救助"], ["refused", "不予救助"]];
let units = [];

function show(e) { clear($("#lt-error"), errorBlock(e)); }

function row(r) {
  return h("tr", { dataset: { referral: r.id } },
    h("td", {}, h("a", { href: `/cases/${r.case_id}` }, r.external_no)),
    h("td", {}, r.title),
    h("td", {}, r.unit),
    h("td", {}, badge(r.status_label, COLORS[r.status])),
    h("td", { class: r.overdue ? "overdue" : "" }, r.feedback_due, r.overdue ? h("span", { class: "badge red" }, `逾期 ${r.overdue_days} 天`) : null),
    h("td", {}, `${r.referred_by}${r.referred_by_unit ? "（" + r.referred_by_unit + "）" : ""}`),
    h("td", {}, h("button", { class: "btn small", type: "button", onclick: () => openCase(r.case_id) }, r.can_act ? "办理" : "查看")));
}

const addDays = (iso, n) => { const d = new Date(`${iso}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); };

// Counts per receiving unit (no rates): answered, answered late, open, overdue, due within three days.
function summary(all) {
  const soonest = addDays($("#lt-summary-box").dataset.today, 3);
  const by = new Map();
  for (const r of all) {
    const u = by.get(r.unit) || { unit: r.unit, total: 0, answered: 0, late: 0, open: 0, overdue: 0, soon: 0, next: null };
    u.total += 1;
    if (r.answered_at) { u.answered += 1; if (r.answered_at.slice(0, 10) > r.feedback_due) u.late += 1; }
    else if (r.open) {
      u.open += 1;
      if (r.overdue) u.overdue += 1;
      else if (r.feedback_due <= soonest) u.soon += 1;
      if (!r.overdue && (!u.next || r.feedback_due < u.next)) u.next = r.feedback_due;
    }
    by.set(r.unit, u);
  }
  const rows = [...by.values()].sort((a, b) => b.overdue - a.overdue || b.open - a.open || a.unit.localeCompare(b.unit, "zh"));
  return h("table", { class: "table", id: "lt-summary-table" },
    h("thead", {}, h("tr", {}, ["接收单位", "移交", "已反馈", "逾期后反馈", "待反馈", "逾期未反馈", "三日内到期", "最近反馈期限"].map((t, i) => h("th", { class: i > 0 && i < 7 ? "num" : "" }, t)))),
    h("tbody", {}, rows.map((u) => h("tr", { dataset: { unit: u.unit } }, h("td", {}, u.unit),
      ...[u.total, u.answered, u.late, u.open].map((v) => h("td", { class: "num" }, v)),
      h("td", { class: "num" }, u.overdue ? badge(`${u.overdue} 件`, "red") : "0"),
      h("td", { class: "num" }, u.soon ? badge(`${u.soon} 件`, "amber") : "0"),
      h("td", {}, u.next || "—")))));
}

async function load() {
  try {
    const [rows, all] = await Promise.all([
      api("/api/litigation/referrals", { query: { status: $("#lt-status").value, overdue: $("#lt-overdue").value ? "true" : "" } }),
      api("/api/litigation/referrals", { query: { limit: 1000 } })]);
    if (all.length) { $("#lt-summary-box").hidden = false; clear($("#lt-summary"), summary(all)); }
    const table = h("table", { class: "table", id: "lt-referrals" },
      h("thead", {}, h("tr", {}, ["登记编号", "标题", "接收单位", "状态", "反馈期限", "移交人", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows.length ? rows.map(row) : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "没有移交记录"))));
    clear($("#lt-table"), table);
  } catch (e) { show(e); }
}

async function act(fn, caseId, message) {
  const result = await fn();
  toast(message, "ok");
  await Promise.all([load(), openCase(caseId)]);
  return result;
}

function stepButtons(d) {
  const cur = d.current;
  if (!cur || !cur.can_act) return null;
  return h("div", { class: "btn-row", id: "lt-steps" }, cur.allowed.map((s) =>
    h("button", { class: "btn", type: "button", dataset: { action: s.action }, onclick: () => formDialog({
      title: `${s.label}（${cur.unit}）`, id: "lt-step-dialog", okLabel: s.label,
      fields: [{ name: "text", label: s.needs, multiline: true, required: true }],
      submit: (v) => act(() => api(`/api/litigation/referrals/${cur.id}/steps`, { method: "POST", body: { action: s.action, text: v.text } }), d.case_id, `已${s.label}`),
    }) }, s.label)));
}

function checklist(d) {
  const editable = d.current && d.current.can_act;
  const rows = d.checklist.map((c) => {
    const state = c.applies === null ? "未填写" : !c.applies ? "不适用" : c.done ? "已到位" : "未到位";
    const select = h("select", { name: c.item, "aria-label": c.label, disabled: !editable },
      [["", "未填写"], ["done", "已到位"], ["todo", "未到位"], ["na", "不适用"]].map(([v, t]) =>
        h("option", { value: v, selected: t === state }, t)));
    return h("tr", {}, h("td", {}, c.label), h("td", {}, editable ? select : state),
      h("td", { class: "muted small" }, c.at ? `${c.actor}（${c.actor_unit || "省级"}）${fmtTime(c.at)}` : ""));
  });
  const form = h("form", { id: "lt-checklist" }, h("table", { class: "table" }, h("tbody", {}, rows)),
    editable ? h("button", { class: "btn", type: "submit" }, "保存清单") : null,
    d.checklist_gaps.length ? h("p", { class: "muted small" }, "依法终结前：" + d.checklist_gaps.join("；")) : null);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const items = [...form.querySelectorAll("select")].filter((s) => s.value).map((s) => ({
      item: s.name, applies: s.value !== "na", done: s.value === "done" }));
    if (!items.length) return toast("请至少填写一项");
    act(() => api(`/api/litigation/${d.case_id}/checklist`, { method: "PUT", body: { items } }), d.case_id, "清单已保存").catch(show);
  });
  return form;
}

function aid(d) {
  const editable = d.current && d.current.can_act;
  const list = h("ul", { id: "lt-aid" }, d.judicial_aid.map((a) => h("li", { dataset: { aid: a.id } },
    `申请人 ${a.applicant}，申请 ${a.amount.toFixed(2)} 元 · ${a.decision_label}`,
    a.decided_amount !== null ? `，决定 ${a.decided_amount.toFixed(2)} 元（${a.decided_by}，${fmtTime(a.decided_at)}）` : "",
    editable && !a.decision ? h("button", { class: "btn small", type: "button", onclick: () => formDialog({
      title: "司法救助决定", id: "lt-aid-decision", okLabel: "决定",
      fields: [{ name: "decision", label: "决定", options: AID.map(([value, label]) => ({ value, label })), required: true },
               { name: "amount", label: "决定金额（元，部分救助必填）", type: "number" }, { name: "note", label: "说明" }],
      submit: (v) => act(() => api(`/api/litigation/aid/${a.id}/decision`, { method: "POST",
        body: { decision: v.decision, amount: v.amount ? Number(v.amount) : null, note: v.note || null } }), d.case_id, "已作出决定"),
    }) }, "作出决定") : null)));
  const add = editable ? h("button", { class: "btn", type: "button", id: "lt-aid-add", onclick: () => formDialog({
    title: "登记司法救助申请", id: "lt-aid-dialog", okLabel: "登记",
    fields: [{ name: "applicant", label: "申请人", required: true }, { name: "amount", label: "申请金额（元）", type: "number", required: true },
             { name: "reason", label: "申请理由", multiline: true }],
    submit: (v) => act(() => api(`/api/litigation/${d.case_id}/aid`, { method: "POST",
      body: { applicant: v.applicant, amount: Number(v.amount), reason: v.reason || null } }), d.case_id, "已登记申请"),
  }) }, "登记司法救助申请") : null;
  return [d.judicial_aid.length ? list : h("p", { class: "muted" }, "无司法救助申请"), add];
}

function timeline(d) {
  return d.referrals.map((r) => h("div", { class: "lt-referral" },
    h("h3", {}, `移交 #${r.id} → ${r.unit}（${r.unit_type_label}）`, badge(r.status_label, COLORS[r.status]),
      r.overdue ? badge(`反馈逾期 ${r.overdue_days} 天`, "red") : null),
    h("p", { class: "muted small" }, `政法委督办：${r.supervisor} · 反馈期限 ${r.feedback_due}`),
    h("ol", { class: "lt-timeline" }, r.steps.map((s) => h("li", {},
      h("strong", {}, s.label), ` ${s.actor}（${s.actor_unit || "省级"}）${fmtTime(s.at)} `, s.text || "")))));
}

async function openCase(caseId) {
  try {
    const d = await api(`/api/litigation/${caseId}`);
    const box = $("#lt-detail");
    box.hidden = false;
    clear(box, h("h2", { class: "card-title" }, `${d.external_no} ${d.title}`),
      h("p", { class: "muted" }, `诉访分离：${d.track_status_label} · ${d.city || ""}`),
      timeline(d), stepButtons(d),
      h("h3", {}, "三到位一处理"), checklist(d),
      h("h3", {}, "司法救助"), aid(d));
    box.dataset.case = String(caseId);
  } catch (e) { show(e); }
}

function refer() {
  formDialog({
    title: "移交政法单位", id: "lt-refer-dialog", okLabel: "移交",
    intro: "移交后由接收单位记录核查、纠错、化解、退回或依法终结；政法委督办。多件案件用逗号分隔即并案移交。",
    fields: [{ name: "cases", label: "案件编号", required: true },
             { name: "unit", label: "接收单位", options: units.map((u) => ({ value: u.name, label: `${u.name}（${u.type_label}）` })), required: true },
             { name: "days", label: "反馈期限（天，留空为默认）", type: "number" }, { name: "note", label: "移交说明", multiline: true }],
    submit: async (v) => {
      const ids = String(v.cases).split(/[,，\s]+/).filter(Boolean).map(Number);
      const body = { unit: v.unit, note: v.note || null, feedback_days: v.days ? Number(v.days) : null };
      const done = ids.length === 1
        ? await api(`/api/litigation/${ids[0]}/referrals`, { method: "POST", body })
        : await api("/api/litigation/handovers", { method: "POST", body: { ...body, case_ids: ids } });
      toast(`已移交${done.unit}（${done.case_ids.length} 件）`, "ok");
      await load();
      return done;
    },
  });
}

clear($("#lt-status"), h("option", { value: "" }, "全部状态"), Object.entries(STATUS).map(([k, v]) => h("option", { value: k }, v)));
$("#lt-filters").addEventListener("change", load);
$("#lt-filters").addEventListener("submit", (ev) => ev.preventDefault());
if (can("workflow:write")) {
  api("/api/litigation/units").then((found) => { units = found; $("#lt-refer").hidden = false; }).catch(show);
  $("#lt-refer").addEventListener("click", refer);
}
const wanted = new URLSearchParams(location.search).get("case");
load().then(() => { if (wanted) openCase(Number(wanted)); });
