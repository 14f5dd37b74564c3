// 领导包案: each leader's progress report (with its definition), packages, milestones and cases.
import { api } from "./api.js";
import { $, badge, clear, errorBlock, fmtPct, h, statusBadge } from "./ui.js";

const controls = $("#ld-controls");

function reportTable(rep) {
  const cols = ["领导", "职务", "单位", "分管领域", "未办结包案", "逾期包案", "包案案件", "已办结", "办结率", "本期办结", "本期节点", "已完成", "逾期节点"];
  return h("table", { class: "table", id: "ld-table" },
    h("thead", {}, h("tr", {}, cols.map((c, i) => h("th", { class: i > 3 ? "num" : "" }, c)))),
    h("tbody", {}, rep.rows.map((r) => h("tr", { dataset: { leader: r.leader } },
      h("td", {}, r.leader), h("td", {}, r.post), h("td", {}, r.unit), h("td", {}, r.domains.join("、")),
      ...[r.packages_open, r.packages_overdue, r.cases, r.cases_concluded].map((v) => h("td", { class: "num" }, v)),
      h("td", { class: "num" }, fmtPct(r.conclusion_rate, 0)),
      ...[r.concluded_in_period, r.milestones_due, r.milestones_done, r.milestones_overdue].map((v) => h("td", { class: "num" }, v))))));
}

function packageCard(p) {
  return h("article", { class: "card", dataset: { packageId: p.id } },
    h("div", { class: "card-head" }, h("h3", { class: "card-title" }, `包案 ${p.id}：${p.leader}（${p.department}）`),
      h("span", { class: "badges" }, badge(p.status_label, p.status === "open" ? "amber" : "green"), p.overdue ? badge("已逾期", "red") : null)),
    h("p", { class: "muted small" }, `期限：${p.deadline || "未定"} · 进度：${p.concluded}/${p.total}`),
    p.plan ? h("p", {}, "方案：", p.plan) : null,
    h("ul", { class: "milestones" }, p.milestones.map((m) => h("li", {},
      `${m.due_date} ${m.title} `, m.done_date ? badge(`${m.done_date} 完成`, "green") : m.overdue ? badge("逾期", "red") : badge("待完成", "blue")))),
    h("table", { class: "table" }, h("tbody", {}, p.cases.map((c) => h("tr", {},
      h("td", {}, h("a", { href: `/cases/${c.id}` }, c.external_no)), h("td", {}, c.title), h("td", {}, statusBadge(c.status)), h("td", { class: "muted small" }, c.reasons))))));
}

async function load(ev) {
  ev?.preventDefault();
  const query = {};
  if ($("#ld-from").value) query.date_from = $("#ld-from").value;
  if ($("#ld-to").value) query.date_to = $("#ld-to").value;
  try {
    const [rep, packages] = await Promise.all([api("/api/workflow/packages/report", { query }), api("/api/workflow/packages")]);
    $("#ld-period").textContent = `${rep.date_from} 至 ${rep.date_to}`;
    $("#ld-definition").textContent = rep.definition;
    $("#ld-export").href = `/api/workflow/packages/report/export?format=xlsx&date_from=${rep.date_from}&date_to=${rep.date_to}`;
    clear($("#ld-report"), reportTable(rep));
    clear($("#ld-packages"), packages.length ? packages.map(packageCard) : h("p", { class: "muted" }, "暂无包案"));
    clear($("#ld-error"));
  } catch (e) {
    clear($("#ld-error"), errorBlock(e));
  }
}

controls.addEventListener("submit", load);
load();
