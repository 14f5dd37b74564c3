// 积案化解攻坚: a campaign's progress per lead unit, responsibility letters, weekly notices, visits;
// provincial supervisors create campaigns, put cases on the list, record letters and visits, issue
// notices and close the campaign; a unit on a notice files its rectification reply. The server checks
// every write (api/routes/campaigns.py); buttons only show what the account may try.
import { api } from "./api.js";
import { $, badge, can, clear, confirmDialog, errorBlock, fmtPct, fmtTime, formDialog, h, me, toast } from "./ui.js";

const pct = (v) => fmtPct(v, 1);
const points = (v) => (v === null || v === undefined ? "—" : v === 0 ? "持平" : `${v > 0 ? "▲" : "▼"}${Math.abs(v * 100).toFixed(1)}`);
const provincial = me.scope === "province";
const manage = can("workflow:write") && provincial; // create, list, letters, visits, notices, close
const RATE_NOTE = "化解率、再次信访率按本页“统计口径”计算。";
const serverToday = $("#cp-settings").dataset.today; // the server's date (the page carries it)
let current = null; // the campaign shown

// A percentage typed as 80 or 80% or 0.8, as the fraction the API takes (null when blank).
function fraction(text) {
  const s = String(text ?? "").trim().replace(/[%％]$/, "");
  if (!s) return null;
  const n = Number(s);
  if (Number.isNaN(n)) return NaN;
  return n > 1 ? n / 100 : n;
}

function percentField(name, label, value, required = true) {
  return { name, label: `${label}（%）`, value: value === undefined ? "" : String(Math.round(value * 1000) / 10), required, hint: "填百分数，如 80 表示 80%" };
}

function stat(k, v, d) {
  return h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v), h("div", { class: "d" }, d || "\u00a0"));
}

function table(id, head, rows) {
  return h("table", { class: "table", id }, h("thead", {}, h("tr", {}, head.map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => h("tr", { dataset: r.dataset || {} }, (r.cells || r).map((c) => h("td", {}, c))))));
}

function definitionList(defs) {
  return Object.entries(defs || {}).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]);
}

function problemsOf(values, checks) {
  const details = checks.filter(([, bad]) => bad(values)).map(([field, , message]) => ({ field, message }));
  if (details.length) throw { details };
}

const badPct = (name) => (v) => { const f = fraction(v[name]); return f === null || Number.isNaN(f) || f < 0 || f > 1; };

async function replyDialog(cid, week, unit) {
  const done = await formDialog({
    title: `整改回复：${unit}`, id: "cp-reply-dialog", okLabel: "提交回复",
    intro: `${week} 通报上榜单位的整改回复；下一期通报列示各单位的回复情况。`,
    fields: [{ name: "text", label: "整改回复", multiline: true, required: true, rows: 5 }],
    submit: (v) => api(`/api/campaigns/${cid}/notices/${week}/replies`, { method: "POST", body: { unit, text: v.text } }),
  });
  if (done) { toast(`已提交 ${unit} 的整改回复`, "ok"); await showNotice(cid, week); }
}

async function showNotice(cid, week) {
  const n = await api(`/api/campaigns/${cid}/notices/${week}`);
  const filed = new Map((n.filed_replies || []).map((r) => [r.unit, r]));
  const rows = n.rows.map((r) => {
    const reply = filed.get(r.unit);
    const mayReply = n.issued && can("workflow:write") && !reply && (provincial || r.unit === me.unit || r.unit === me.city);
    return { dataset: { unit: r.unit }, cells: [r.unit, r.listed, r.resolved, pct(r.resolution_rate), points(r.change_resolution_rate),
      `${pct(r.repeat_rate)}（${r.repeat_followed}/${r.repeat_base}）`, `${r.weeks} 周`, r.reasons.join("；"),
      reply ? h("span", {}, badge("已回复", "green"), ` ${reply.text}`)
        : mayReply ? h("button", { class: "btn small", type: "button", "data-action": "reply", onclick: () => replyDialog(cid, week, r.unit) }, "填报整改回复")
          : n.issued ? badge("待回复", "amber") : "—"] };
  });
  const files = can("reports:export") ? [
    h("a", { class: "btn", id: "cp-docx", href: `/api/campaigns/${cid}/notices/${n.week_end}?format=docx`, download: "" }, "下载 Word"),
    h("a", { class: "btn", id: "cp-md", href: `/api/campaigns/${cid}/notices/${n.week_end}?format=md`, download: `周滚动通报-${n.week_end}.md` }, "下载 Markdown"),
  ] : [];
  const issue = !n.issued && manage && current.status === "open" ? h("button", { class: "btn primary", type: "button", id: "cp-issue", onclick: async () => {
    if (!await confirmDialog("印发通报", `印发 ${n.week_end} 这一周的通报？印发后存档，不再随案件变化而改变。`, "印发")) return;
    try {
      await api(`/api/campaigns/${cid}/notices`, { method: "POST", query: { week_end: n.week_end } });
      toast("通报已印发", "ok");
      await load(n.week_end);
    } catch (e) { clear($("#cp-error"), errorBlock(e)); }
  } }, "印发本期通报") : null;
  clear($("#cp-notice"),
    h("h3", { id: "cp-notice-title" }, n.title, " ", n.issued ? badge("已印发", "green") : badge("预览", "blue")),
    h("p", { class: "muted", id: "cp-issued-note" }, n.issued_note),
    h("div", { class: "btn-row" }, issue, files),
    n.rows.length
      ? table("cp-notice-table", ["单位", "列入", "已化解", "化解率", "较上周", "再次信访率", "连续上榜", "原因", "本期整改回复"], rows)
      : h("p", { class: "muted" }, "本周没有单位低于化解率线或高于再次信访率线"),
    h("h4", {}, n.previous_notice ? `上期（${n.previous_notice}）整改回复` : "上期整改回复"),
    h("ul", { id: "cp-replies" }, n.replies.map((r) => h("li", {}, h("b", {}, r.unit), `（${r.filed_at.slice(0, 10)}）：${r.text}`)),
      n.missing_replies.length ? h("li", {}, badge("未回复", "red"), " ", n.missing_replies.join("、")) : null,
      !n.replies.length && !n.missing_replies.length ? h("li", { class: "muted" }, "无") : null),
    h("details", { class: "small" }, h("summary", {}, "本期通报的统计口径"), h("dl", { class: "definitions" }, definitionList(n.definitions))));
}

async function load(week) {
  const cid = $("#cp-campaign").value;
  if (!cid) return;
  try {
    const query = $("#cp-asof").value ? { as_of: $("#cp-asof").value } : {};
    const [camp, prog, letters, notices, visits, entries, orders] = await Promise.all([
      api(`/api/campaigns/${cid}`), api(`/api/campaigns/${cid}/progress`, { query }), api(`/api/campaigns/${cid}/letters`, { query }),
      api(`/api/campaigns/${cid}/notices`), api(`/api/campaigns/${cid}/visits`), api(`/api/campaigns/${cid}/cases`),
      api(`/api/campaigns/${cid}/orders`),
    ]);
    current = camp;
    const open = camp.status === "open";
    $("#cp-title").textContent = `${camp.name}（${camp.starts_on} 至 ${camp.deadline}，化解率线 ${pct(camp.resolution_line)}，再次信访率线 ${pct(camp.repeat_line)}）`;
    $("#cp-actions").hidden = !(manage && open);
    clear($("#cp-frozen"), open ? null : h("div", { class: "alert blue", id: "cp-frozen-note", role: "note" },
      badge("已结束", "green"), ` 活动于 ${fmtTime(camp.closed_at)} 结束，以下数字为结束时冻结的数字，不再随案件变化。`));
    const t = prog.total;
    clear($("#cp-stats"), stat("列入案件", t.listed), stat("已化解", t.resolved, `统计日 ${prog.as_of}${prog.frozen ? "（已冻结）" : ""}`),
      stat("化解率", pct(t.resolution_rate), "已化解 ÷ 列入（定义见统计口径）"), stat("再次信访率", pct(t.repeat_rate), `${t.repeat_followed} / ${t.repeat_base}（定义见统计口径）`));
    clear($("#cp-progress"), table("cp-progress-table", ["牵头单位", "列入", "已化解", "化解率", "再次信访率", "逾期未化解", ""],
      prog.units.map((u) => ({ dataset: { unit: u.unit }, cells: [u.unit, u.listed, u.resolved, pct(u.resolution_rate), pct(u.repeat_rate), u.overdue,
        u.ranked ? (u.resolution_rate < camp.resolution_line ? badge("低于化解率线", "red") : "") : h("span", { class: "muted small" }, "件数不足，不排名")] }))),
    h("p", { class: "muted small" }, RATE_NOTE));
    clear($("#cp-units"), prog.units.map((u) => h("option", { value: u.unit })));
    clear($("#cp-letters"), letters.length ? table("cp-letters-table", ["单位", "签订", "化解率目标", "当前化解率", "再次信访率上限", "当前", "完成时限", "完成情况"],
      letters.map((l) => ({ dataset: { unit: l.unit }, cells: [l.unit, `${l.signed_on} ${l.signatory}`, pct(l.resolution_target), pct(l.resolution_rate), pct(l.repeat_target), pct(l.repeat_rate), l.deadline,
        l.resolution_met && l.repeat_met ? badge("达标", "green") : badge(l.gap_cases ? `尚差 ${l.gap_cases} 件` : "未达标", "red")] }))) : h("p", { class: "muted" }, "尚未登记责任状"),
    letters.length ? h("p", { class: "muted small" }, RATE_NOTE) : null);
    clear($("#cp-exports"), can("reports:export") ? h("a", { class: "btn", href: `/api/campaigns/${cid}/letters/export`, download: "" }, "导出责任状完成情况") : null);
    $("#cp-notice-tools").hidden = !(manage && open);
    if (!$("#cp-week").value && serverToday) $("#cp-week").value = serverToday;
    if (serverToday) $("#cp-week").max = serverToday;
    clear($("#cp-notice-list"), notices.map((n) => h("button", { class: "btn", type: "button", dataset: { week: n.week_end }, onclick: () => showNotice(cid, n.week_end).catch(showError) }, `${n.week_end} 通报（${n.units.length} 个单位）`)));
    if (week) await showNotice(cid, week);
    else if (notices.length) await showNotice(cid, notices[notices.length - 1].week_end);
    else clear($("#cp-notice"), h("p", { class: "muted" }, "尚未印发通报"));
    clear($("#cp-visits"), visits.length ? h("ul", { id: "cp-visit-list" }, visits.map((v) => h("li", {}, h("b", {}, v.team), `（${v.starts_on} 至 ${v.ends_on}）督查 ${v.units.join("、")}：${v.findings}`))) : h("p", { class: "muted" }, "暂无督查组"));
    $("#cp-link-order").hidden = !manage;
    clear($("#cp-orders"), orders.length ? table("cp-orders-table", ["督办单", "案件", "督办对象", "督办要求", "办理时限", "下发", "回复"],
      orders.map((o) => ({ dataset: { orderId: o.id }, cells: [`#${o.id}`, h("a", { href: `/cases/${o.case_id}` }, `案件 ${o.case_id}`), o.unit, o.requirement, o.deadline,
        fmtTime(o.issued_at), o.replied_at ? badge(`${fmtTime(o.replied_at)} 已回复`, "green") : o.deadline < (serverToday || "") ? badge("逾期未回复", "red") : badge("待回复", "amber")] })))
      : h("p", { class: "muted" }, "尚未关联督办单（督办单在案件页“催办与督办”中下发）"));
    $("#cp-entries-count").textContent = String(entries.length);
    clear($("#cp-entries"), table("cp-entries-table", ["登记编号", "标题", "属地", "责任部门", "牵头单位", "化解期限", "结果"],
      entries.map((e) => ({ dataset: { caseId: e.case_id }, cells: [h("a", { href: `/cases/${e.case_id}` }, e.external_no), e.title, e.locality, e.department || "—", e.lead_unit, e.target_date,
        e.outcome === "已化解" ? badge(`已化解 ${e.resolved_on || ""}`.trim(), "green") : badge(e.outcome, "amber")] }))));
    clear($("#cp-definitions"), ...definitionList(prog.definitions));
    $("#cp-body").hidden = false;
    clear($("#cp-error"));
  } catch (e) {
    showError(e);
  }
}

function showError(e) { clear($("#cp-error"), errorBlock(e)); }

async function campaigns(selected) {
  const list = await api("/api/campaigns");
  clear($("#cp-campaign"), list.map((c) => h("option", { value: String(c.id), selected: String(c.id) === String(selected) }, `${c.name}（${c.status === "open" ? "进行中" : "已结束"}）`)));
  return list;
}

function newCampaign() {
  return formDialog({
    title: "新建攻坚活动", id: "cp-new-dialog", okLabel: "新建",
    fields: [
      { name: "name", label: "活动名称", required: true, placeholder: "如：2026 年重复信访积案化解攻坚" },
      { name: "starts_on", label: "开始日期（留空为今天）", type: "date" },
      { name: "deadline", label: "截止日期（清单案件默认化解期限）", type: "date", required: true },
      percentField("resolution_line", "化解率通报线：低于此线上通报", 0.8),
      percentField("repeat_line", "再次信访率通报线：高于此线上通报", 0.1),
      { name: "description", label: "说明", multiline: true, rows: 3 },
    ],
    submit: async (v) => {
      problemsOf(v, [["resolution_line", badPct("resolution_line"), "请填写 0 到 100 之间的百分数"], ["repeat_line", badPct("repeat_line"), "请填写 0 到 100 之间的百分数"]]);
      const made = await api("/api/campaigns", { method: "POST", body: {
        name: v.name.trim(), deadline: v.deadline, starts_on: v.starts_on || null, description: v.description || "",
        resolution_line: fraction(v.resolution_line), repeat_line: fraction(v.repeat_line) } });
      await campaigns(made.id);
      await load();
      toast(`已新建“${made.name}”`, "ok");
      return made;
    },
  });
}

// Pasted registry numbers go through the list import (one column 登记编号), so unknown numbers are
// refused with their line, exactly as a handed-down file would be.
function addCases() {
  return formDialog({
    title: "列入案件", id: "cp-cases-dialog", okLabel: "列入清单",
    intro: "粘贴交办清单中的登记编号，每行一个；属地、责任部门取自案件，属地为牵头单位，化解期限为活动截止日期。",
    fields: [{ name: "numbers", label: "登记编号", multiline: true, rows: 8, required: true }],
    submit: async (v) => {
      const numbers = String(v.numbers).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
      const csv = "登记编号\n" + numbers.map((s) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)).join("\n") + "\n";
      const form = new FormData();
      form.append("file", new Blob([csv], { type: "text/csv" }), "pasted.csv");
      let out;
      try {
        out = await api(`/api/campaigns/${current.id}/cases/import`, { method: "POST", form });
      } catch (e) {
        // The file's line 1 is the header: line N + 1 is the N-th pasted number.
        for (const d of e.details || []) if (d.row) d.row -= 1;
        throw e;
      }
      toast(`新列入 ${out.added} 件（已在清单中的不重复列入）`, "ok");
      await load();
      return out;
    },
  });
}

function importFile() {
  return formDialog({
    title: "导入交办清单", id: "cp-import-dialog", okLabel: "导入",
    intro: "CSV 或 XLSX，首行为表头：登记编号（必填）、属地、责任部门、牵头单位、化解期限；有一行出错则整份不导入。",
    fields: [{ name: "file", label: "清单文件", type: "file", required: true }],
    submit: async (v) => {
      if (!(v.file instanceof File) || !v.file.name) throw { details: [{ field: "file", message: "请选择清单文件" }] };
      const form = new FormData();
      form.append("file", v.file, v.file.name);
      const out = await api(`/api/campaigns/${current.id}/cases/import`, { method: "POST", form });
      toast(`新列入 ${out.added} 件`, "ok");
      await load();
      return out;
    },
  });
}

function letterDialog() {
  return formDialog({
    title: "登记责任状", id: "cp-letter-dialog", okLabel: "登记",
    intro: "每个单位一份；同一单位再次登记即更新。",
    fields: [
      { name: "unit", label: "单位", required: true, list: "cp-units" },
      percentField("resolution_target", "化解率目标", current.resolution_line),
      percentField("repeat_target", "再次信访率上限", current.repeat_line),
      { name: "deadline", label: "完成时限", type: "date", required: true, value: current.deadline },
      { name: "signed_on", label: "签订日期", type: "date", required: true, value: serverToday || "" },
      { name: "signatory", label: "签订人", required: true, placeholder: "如：广州市联席办主任" },
    ],
    submit: async (v) => {
      problemsOf(v, [["resolution_target", badPct("resolution_target"), "请填写 0 到 100 之间的百分数"], ["repeat_target", badPct("repeat_target"), "请填写 0 到 100 之间的百分数"]]);
      const out = await api(`/api/campaigns/${current.id}/letters`, { method: "POST", body: {
        unit: v.unit.trim(), resolution_target: fraction(v.resolution_target), repeat_target: fraction(v.repeat_target),
        deadline: v.deadline, signed_on: v.signed_on, signatory: v.signatory.trim() } });
      toast(`已登记 ${out.unit} 的责任状`, "ok");
      await load();
      return out;
    },
  });
}

function visitDialog() {
  return formDialog({
    title: "登记督查组", id: "cp-visit-dialog", okLabel: "登记",
    fields: [
      { name: "team", label: "督查组", required: true, placeholder: "如：第二督查组" },
      { name: "units", label: "被督查单位（多个用顿号或逗号分隔）", required: true, list: "cp-units" },
      { name: "starts_on", label: "开始日期", type: "date", required: true, value: serverToday || "" },
      { name: "ends_on", label: "结束日期", type: "date", required: true, value: serverToday || "" },
      { name: "findings", label: "发现的问题与要求", multiline: true, required: true },
    ],
    submit: async (v) => {
      const units = String(v.units).split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);
      const out = await api(`/api/campaigns/${current.id}/visits`, { method: "POST", body: {
        team: v.team.trim(), units, findings: v.findings, starts_on: v.starts_on, ends_on: v.ends_on } });
      toast(`已登记${out.team}`, "ok");
      await load();
      return out;
    },
  });
}

function linkOrder() {
  return formDialog({
    title: "关联督办单", id: "cp-order-dialog", okLabel: "关联",
    intro: "督办单在案件页“催办与督办”中下发；填写督办单编号，把它计入本活动。",
    fields: [{ name: "order_id", label: "督办单编号", type: "number", required: true, min: 1 }],
    submit: async (v) => {
      const out = await api(`/api/campaigns/${current.id}/orders`, { method: "POST", body: { order_id: Number(v.order_id) } });
      toast(`已关联督办单 #${v.order_id}`, "ok");
      await load();
      return out;
    },
  });
}

async function closeCampaign() {
  const yes = await confirmDialog("结束攻坚活动", `结束“${current.name}”？结束后各单位的化解率、再次信访率冻结为结束时的数字，不能再列入案件、印发通报。`, "结束活动", { danger: true, id: "cp-close-dialog" });
  if (!yes) return;
  try {
    await api(`/api/campaigns/${current.id}/close`, { method: "POST" });
    toast("活动已结束，数字已冻结", "ok");
    await campaigns(current.id);
    await load();
  } catch (e) { showError(e); }
}

async function init() {
  try {
    const list = await campaigns(new URLSearchParams(location.search).get("campaign"));
    $("#cp-new").hidden = !manage;
    if (!list.length) { clear($("#cp-error"), h("p", { class: "muted" }, manage ? "尚无攻坚活动，可点击“新建攻坚活动”。" : "尚无攻坚活动")); return; }
    await load();
  } catch (e) {
    showError(e);
  }
}

$("#cp-controls").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
$("#cp-campaign").addEventListener("change", () => { $("#cp-week").value = ""; load(); });
$("#cp-new").addEventListener("click", newCampaign);
$("#cp-add-cases").addEventListener("click", addCases);
$("#cp-import").addEventListener("click", importFile);
$("#cp-letter").addEventListener("click", letterDialog);
$("#cp-visit").addEventListener("click", visitDialog);
$("#cp-close").addEventListener("click", closeCampaign);
$("#cp-link-order").addEventListener("click", linkOrder);
$("#cp-preview").addEventListener("click", () => {
  const week = $("#cp-week").value;
  if (!week) { toast("请选择通报周末日期", "error"); return; }
  showNotice(current.id, week).then(() => clear($("#cp-error"))).catch(showError);
});
init();
