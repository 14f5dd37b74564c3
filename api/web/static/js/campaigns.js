// 积案化解攻坚: a campaign's progress per lead unit, responsibility letters, weekly notices, visits.
import { api } from "./api.js";
import { $, badge, can, clear, errorBlock, fmtPct, h } from "./ui.js";

const pct = (v) => fmtPct(v, 1);
const points = (v) => (v === null || v === undefined ? "—" : v === 0 ? "持平" : `${v > 0 ? "▲" : "▼"}${Math.abs(v * 100).toFixed(1)}`);

function stat(k, v, d) {
  return h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v), h("div", { class: "d" }, d || "\u00a0"));
}

function table(id, head, rows) {
  return h("table", { class: "table", id }, h("thead", {}, h("tr", {}, head.map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))));
}

async function showNotice(cid, week) {
  const n = await api(`/api/campaigns/${cid}/notices/${week}`);
  const rows = n.rows.map((r) => [r.unit, r.listed, r.resolved, pct(r.resolution_rate), points(r.change_resolution_rate),
    `${pct(r.repeat_rate)}（${r.repeat_followed}/${r.repeat_base}）`, `${r.weeks} 周`, r.reasons.join("；")]);
  const docx = can("reports:export") ? h("a", { class: "btn", href: `/api/campaigns/${cid}/notices/${week}?format=docx`, download: "" }, "下载 Word") : null;
  clear($("#cp-notice"),
    h("h3", {}, n.title), h("p", { class: "muted" }, n.issued_note), docx,
    table("cp-notice-table", ["单位", "列入", "已化解", "化解率", "较上周", "再次信访率", "连续上榜", "原因"], rows),
    h("h4", {}, "上期整改回复"),
    h("ul", { id: "cp-replies" }, n.replies.map((r) => h("li", {}, h("b", {}, r.unit), `（${r.filed_at.slice(0, 10)}）：${r.text}`)),
      n.missing_replies.length ? h("li", {}, badge("未回复", "red"), " ", n.missing_replies.join("、")) : null));
}

async function load() {
  const cid = $("#cp-campaign").value;
  if (!cid) return;
  try {
    const query = $("#cp-asof").value ? { as_of: $("#cp-asof").value } : {};
    const [camp, prog, letters, notices, visits] = await Promise.all([
      api(`/api/campaigns/${cid}`), api(`/api/campaigns/${cid}/progress`, { query }), api(`/api/campaigns/${cid}/letters`, { query }),
      api(`/api/campaigns/${cid}/notices`), api(`/api/campaigns/${cid}/visits`),
    ]);
    $("#cp-title").textContent = `${camp.name}（截止 ${camp.deadline}，化解率线 ${pct(camp.resolution_line)}，再次信访率线 ${pct(camp.repeat_line)}）`;
    const t = prog.total;
    clear($("#cp-stats"), stat("列入案件", t.listed), stat("已化解", t.resolved, `统计日 ${prog.as_of}${prog.frozen ? "（已冻结）" : ""}`),
      stat("化解率", pct(t.resolution_rate)), stat("再次信访率", pct(t.repeat_rate), `${t.repeat_followed} / ${t.repeat_base}`));
    clear($("#cp-progress"), table("cp-progress-table", ["牵头单位", "列入", "已化解", "化解率", "再次信访率", "逾期未化解", ""],
      prog.units.map((u) => [u.unit, u.listed, u.resolved, pct(u.resolution_rate), pct(u.repeat_rate), u.overdue,
        u.ranked ? (u.resolution_rate < camp.resolution_line ? badge("低于化解率线", "red") : "") : h("span", { class: "muted small" }, "件数不足，不排名")])));
    clear($("#cp-letters"), table("cp-letters-table", ["单位", "签订", "化解率目标", "当前化解率", "再次信访率上限", "当前", "完成情况"],
      letters.map((l) => [l.unit, `${l.signed_on} ${l.signatory}`, pct(l.resolution_target), pct(l.resolution_rate), pct(l.repeat_target), pct(l.repeat_rate),
        l.resolution_met && l.repeat_met ? badge("达标", "green") : badge(`尚差 ${l.gap_cases} 件`, "red")])));
    clear($("#cp-exports"), can("reports:export") ? h("a", { class: "btn", href: `/api/campaigns/${cid}/letters/export`, download: "" }, "导出责任状完成情况") : null);
    clear($("#cp-notice-list"), notices.map((n) => h("button", { class: "btn", type: "button", onclick: () => showNotice(cid, n.week_end) }, `${n.week_end} 通报（${n.units.length} 个单位）`)));
    if (notices.length) await showNotice(cid, notices[notices.length - 1].week_end);
    else clear($("#cp-notice"), h("p", { class: "muted" }, "尚未印发通报"));
    clear($("#cp-visits"), visits.length ? h("ul", {}, visits.map((v) => h("li", {}, h("b", {}, v.team), `（${v.starts_on} 至 ${v.ends_on}）督查 ${v.units.join("、")}：${v.findings}`))) : h("p", { class: "muted" }, "暂无督查组"));
    clear($("#cp-definitions"), ...Object.entries(prog.definitions || {}).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    $("#cp-body").hidden = false;
    clear($("#cp-error"));
  } catch (e) {
    clear($("#cp-error"), errorBlock(e));
  }
}

async function init() {
  try {
    const list = await api("/api/campaigns");
    clear($("#cp-campaign"), list.map((c) => h("option", { value: String(c.id) }, `${c.name}（${c.status === "open" ? "进行中" : "已结束"}）`)));
    if (!list.length) { clear($("#cp-error"), h("p", { class: "muted" }, "尚无攻坚活动")); return; }
    await load();
  } catch (e) {
    clear($("#cp-error"), errorBlock(e));
  }
}

$("#cp-controls").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
init();
