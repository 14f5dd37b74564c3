// 督查督办: weekly rolling report by department and by city, charts, trend and exports.
import { api } from "./api.js";
import { hbars, lines } from "./charts.js";
import { $, badge, can, clear, errorBlock, fmtPct, h } from "./ui.js";

const controls = $("#sv-controls");
const pct = (v) => fmtPct(v, 0);

function change(v, goodUp = true) {
  if (v === null || v === undefined) return "";
  const up = v > 0;
  const color = v === 0 ? "muted" : up === goodUp ? "up-good" : "up-bad";
  return h("span", { class: `delta ${color}` }, `${up ? "▲" : v < 0 ? "▼" : "＝"}${Math.abs(v * 100).toFixed(1)}`);
}

function stat(k, v, d) {
  return h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v), h("div", { class: "d" }, d || "\u00a0"));
}

function table(report, unitLabel) {
  return h("table", { class: "table", id: `sv-table-${report.group_by}` },
    h("thead", {}, h("tr", {}, h("th", {}, unitLabel), h("th", { class: "num" }, "本周受理"), h("th", { class: "num" }, "应化解"), h("th", { class: "num" }, "已化解"),
      h("th", { class: "num" }, "化解率"), h("th", { class: "num" }, "再次信访率"), h("th", { class: "num" }, "积案"),
      h("th", { class: "num" }, "按期受理率"), h("th", { class: "num" }, "按期办结率"), h("th", { class: "num" }, "参评率"), h("th", { class: "num" }, "满意率"), h("th", {}, ""))),
    h("tbody", {}, report.rows.map((r) => h("tr", {},
      h("td", {}, r.unit),
      h("td", { class: "num" }, r.received),
      h("td", { class: "num" }, r.due),
      h("td", { class: "num" }, r.cohort_resolved),
      h("td", { class: "num" }, pct(r.resolution_rate), " ", change(r.change_resolution_rate, true)),
      h("td", { class: "num", title: `${r.repeats} / ${r.repeat_base}` }, pct(r.repeat_rate), " ", change(r.change_repeat_rate, false)),
      h("td", { class: "num" }, r.backlog),
      ...rates(r, "td"),
      h("td", {}, r.lowest ? badge("排名靠后", "red") : null, r.repeat_alert ? badge("再次信访率偏高", "red") : null,
        r.ranked ? null : h("span", { class: "muted small" }, "不参与排名"))))),
    h("tfoot", {}, h("tr", {}, h("th", {}, "合计"), h("th", { class: "num" }, report.total.received), h("th", { class: "num" }, report.total.due), h("th", { class: "num" }, report.total.cohort_resolved),
      h("th", { class: "num" }, pct(report.total.resolution_rate)), h("th", { class: "num" }, pct(report.total.repeat_rate)), h("th", { class: "num" }, report.total.backlog),
      ...rates(report.total, "th"), h("th", {}))));
}

// 按期受理率 / 按期办结率 (lifecycle deadlines) and 参评率 / 满意率 (evaluations), with their counts.
function rates(r, cell) {
  const one = (rate, n, of) => h(cell, { class: "num", title: of ? `${n} / ${of}` : "" }, pct(rate));
  return [
    one(r.on_time_acceptance_rate, r.accepted_on_time, r.acceptance_due),
    one(r.on_time_reply_rate, r.replied_on_time, r.handling_due),
    one(r.evaluation_rate, r.evaluated, r.replied),
    one(r.satisfaction_rate, r.satisfied, r.evaluated),
  ];
}

function chartRows(report) {
  const rows = report.rows.filter((r) => r.due > 0).sort((a, b) => (b.resolution_rate ?? -1) - (a.resolution_rate ?? -1)).slice(0, 12);
  // Mark the lowest three as in the weekly ranking, so weak units stand out in the chart too.
  const low = new Set(rows.slice(-3).filter((r) => rows.length > 5).map((r) => r.unit));
  return rows.map((r) => ({ label: r.unit, value: r.resolution_rate, highlight: r.lowest || low.has(r.unit) }));
}

async function load() {
  const weeks = Number($("#sv-weeks").value) || 8;
  const query = { weeks, week_end: $("#sv-end").value || undefined };
  const body = $("#sv-body");
  try {
    const dep = await api("/api/workflow/reports/weekly", { query: { ...query, group_by: "department" } });
    const end = new Date(`${dep.date_to}T00:00:00Z`);
    const start = new Date(end.getTime() - (weeks * 7 - 1) * 86400000).toISOString().slice(0, 10);
    const period = { date_from: start, date_to: dep.date_to };
    const [city, pdep, pcity] = await Promise.all([
      api("/api/workflow/reports/weekly", { query: { ...query, group_by: "city" } }),
      api("/api/workflow/reports/period", { query: { ...period, group_by: "department" } }),
      api("/api/workflow/reports/period", { query: { ...period, group_by: "city" } }),
    ]);
    for (const id of ["#sv-chart-dep-title", "#sv-chart-city-title"]) $(id).dataset.range = `${start} 至 ${dep.date_to}`;
    $("#sv-chart-dep-title").textContent = `近 ${weeks} 周各责任部门化解率`;
    $("#sv-chart-city-title").textContent = `近 ${weeks} 周各地市化解率`;
    if (!$("#sv-end").value) $("#sv-end").value = dep.date_to;
    const t = dep.total;
    $("#sv-title").textContent = dep.title;
    clear($("#sv-stats"),
      stat("本周受理", t.received),
      stat("本周应化解", t.due, `其中已化解 ${t.cohort_resolved} 件；本周化解 ${t.resolved} 件`),
      stat("化解率", pct(t.resolution_rate), t.change_resolution_rate !== null && t.change_resolution_rate !== undefined ? ["较上周 ", change(t.change_resolution_rate, true), " 个百分点"] : null),
      stat("再次信访率", pct(t.repeat_rate), t.change_repeat_rate !== null && t.change_repeat_rate !== undefined ? ["较上周 ", change(t.change_repeat_rate, false), " 个百分点"] : null),
      stat("积案", t.backlog, "受理 60 天以上未办结"));
    clear($("#sv-rates"),
      stat("按期受理率", pct(t.on_time_acceptance_rate), `${t.accepted_on_time} / ${t.acceptance_due} 件按期受理`),
      stat("按期办结率", pct(t.on_time_reply_rate), `${t.replied_on_time} / ${t.handling_due} 件按期答复`),
      stat("参评率", pct(t.evaluation_rate), `${t.evaluated} / ${t.replied} 件已评价`),
      stat("满意率", pct(t.satisfaction_rate), `${t.satisfied} / ${t.evaluated} 件满意或基本满意`));
    const trend = dep.trend || [];
    // Scale the trend to its data (rates are often low): the next 10 % step above the highest point.
    const peak = Math.max(0, ...trend.flatMap((p) => [p.resolution_rate ?? 0, p.repeat_rate ?? 0]));
    const top = Math.min(1, Math.ceil((peak + 0.01) * 10) / 10);
    clear($("#sv-trend"),
      lines(trend.map((p) => p.week_end.slice(5)), [
        { name: "化解率", values: trend.map((p) => p.resolution_rate) },
        { name: "再次信访率", values: trend.map((p) => p.repeat_rate), color: "#b3261e" },
      ], { label: "近几周化解率与再次信访率", max: top, format: pct, width: 1240, height: 170 }),
      h("div", { class: "legend" }, h("span", {}, h("i", { style: "background:#1d5fb4" }), "化解率"), h("span", {}, h("i", { style: "background:#b3261e" }), "再次信访率")));
    clear($("#sv-chart-dep"), hbars(chartRows(pdep), { label: "各部门化解率", max: 1, format: pct }));
    clear($("#sv-chart-city"), hbars(chartRows(pcity), { label: "各地市化解率", max: 1, format: pct, labelWidth: 90 }));
    clear($("#sv-table-dep-wrap"), table(dep, "责任部门"));
    clear($("#sv-table-city-wrap"), table(city, "地市"));
    clear($("#sv-definitions"), ...Object.entries(dep.definitions || {}).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    body.hidden = false;
    clear($("#sv-error"));
  } catch (e) {
    clear($("#sv-error"), errorBlock(e));
  }
}

function exportLink(fmt, group, label) {
  return h("a", { class: "btn", download: "", onclick: (ev) => {
    const q = new URLSearchParams({ format: fmt, group_by: group, weeks: $("#sv-weeks").value || "8" });
    if ($("#sv-end").value) q.set("week_end", $("#sv-end").value);
    ev.currentTarget.href = `/api/workflow/reports/weekly/export?${q}`;
  }, href: "#" }, label);
}

controls.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
if (can("reports:export")) {
  $("#sv-exports").append(
    exportLink("xlsx", "department", "导出周报（部门）Excel"),
    exportLink("xlsx", "city", "导出周报（地市）Excel"),
    exportLink("csv", "department", "导出 CSV"),
    exportLink("png", "department", "导出趋势图"),
  );
}
load();
