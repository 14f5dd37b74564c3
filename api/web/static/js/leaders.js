// 领导包案: the leader register, packages opened from ranked candidates (with their reasons), plans,
// milestones and status, and each leader's progress report (with its definition). The server checks
// every write (packages:write, the quota, one open package per case); buttons only show what may be tried.
import { api } from "./api.js";
import { $, badge, can, clear, confirmDialog, errorBlock, fmtPct, formDialog, h, statusBadge, toast } from "./ui.js";

const controls = $("#ld-controls");
const write = can("packages:write");
let picking = null; // the leader whose candidates are shown

function show(e) { clear($("#ld-error"), errorBlock(e)); }
const split = (text) => String(text || "").split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);

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

function rosterTable(leaders, maxOpen) {
  return h("table", { class: "table", id: "ld-leaders" },
    h("thead", {}, h("tr", {}, ["领导", "职务", "单位", "分管领域", "未办结包案", "状态", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, leaders.length ? leaders.map((l) => h("tr", { dataset: { leaderId: l.id } },
      h("td", {}, l.name), h("td", {}, l.post), h("td", {}, l.unit), h("td", {}, l.domains.join("、")),
      h("td", { class: "num" }, `${l.open_packages} / ${maxOpen}`),
      h("td", {}, l.active ? badge("在册", "green") : badge("已停用")),
      h("td", {}, write && l.active ? h("div", { class: "btn-row nowrap" },
        h("button", { class: "btn small", type: "button", "data-action": "pick", disabled: l.open_packages >= maxOpen,
          title: l.open_packages >= maxOpen ? `已有 ${maxOpen} 个未办结包案` : null, onclick: () => pick(l) }, "选案包案"),
        h("button", { class: "btn small", type: "button", "data-action": "domains", onclick: () => editDomains(l) }, "分管领域")) : null)))
      : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "名册中还没有领导"))));
}

async function pick(leader) {
  picking = leader;
  const box = $("#ld-candidates-box");
  box.hidden = false;
  $("#ld-candidates-title").textContent = `包案候选：${leader.name}（${leader.domains.join("、")}）`;
  clear($("#ld-package-error"));
  clear($("#ld-candidates"), h("p", { class: "muted" }, "正在排序候选案件…"));
  try {
    const found = await api("/api/workflow/packages/candidates", { query: { leader_id: leader.id, limit: 20 } });
    clear($("#ld-candidates"), found.length ? h("table", { class: "table", id: "ld-candidate-table" },
      h("thead", {}, h("tr", {}, ["", "登记编号", "标题", "属地", "责任部门", "类别", "状态", "难度分", "理由"].map((t) => h("th", {}, t)))),
      h("tbody", {}, found.map((c, i) => h("tr", { dataset: { caseId: c.case_id } },
        h("td", {}, h("input", { type: "checkbox", class: "pick", value: String(c.case_id), checked: i < 3, "aria-label": `选择 ${c.external_no}` })),
        h("td", {}, h("a", { href: `/cases/${c.case_id}` }, c.external_no)), h("td", {}, c.title), h("td", {}, c.city || "—"),
        h("td", {}, c.department || "—"), h("td", {}, c.category || "—"), h("td", {}, statusBadge(c.status)),
        h("td", { class: "num" }, c.score.toFixed(1)), h("td", { class: "small reasons" }, c.reasons.join("；"))))))
      : h("p", { class: "muted" }, "分管领域内没有可包案的未办结案件"));
    box.scrollIntoView({ block: "start" });
  } catch (e) { clear($("#ld-candidates"), errorBlock(e)); }
}

async function openPackage(ev) {
  ev.preventDefault();
  const ids = [...document.querySelectorAll("#ld-candidate-table .pick:checked")].map((x) => Number(x.value));
  if (!ids.length) { clear($("#ld-package-error"), errorBlock({ message: "请至少勾选一件案件" })); return; }
  try {
    const made = await api("/api/workflow/packages", { method: "POST", body: {
      leader_id: picking.id, case_ids: ids, plan: $("#ld-plan").value.trim() || null, deadline: $("#ld-deadline").value || null } });
    toast(`已建立包案 ${made.id}（${made.total} 件）`, "ok");
    $("#ld-candidates-box").hidden = true;
    $("#ld-plan").value = "";
    await load();
  } catch (e) { clear($("#ld-package-error"), errorBlock(e)); }
}

function register() {
  formDialog({
    title: "登记包案领导", id: "ld-register-dialog", okLabel: "登记",
    fields: [
      { name: "name", label: "领导姓名", required: true },
      { name: "post", label: "职务", required: true, placeholder: "如：副厅长" },
      { name: "unit", label: "所在单位", required: true, list: "ld-units", hint: "单位目录中的名称或别名" },
      { name: "domains", label: "分管领域（案件类别或责任部门，多个用顿号分隔）", required: true, placeholder: "如：住房建设、劳动社保" },
    ],
    submit: async (v) => {
      const made = await api("/api/workflow/leaders", { method: "POST", body: { name: v.name.trim(), post: v.post.trim(), unit: v.unit.trim(), domains: split(v.domains) } });
      toast(`已登记 ${made.name}`, "ok");
      await load();
      return made;
    },
  });
}

function editDomains(l) {
  formDialog({
    title: `分管领域：${l.name}`, id: "ld-domains-dialog", okLabel: "保存",
    fields: [{ name: "domains", label: "分管领域（多个用顿号分隔）", required: true, value: l.domains.join("、") },
             { name: "active", label: "状态", options: [{ value: "1", label: "在册" }, { value: "0", label: "停用" }], value: "1" }],
    submit: async (v) => {
      const out = await api(`/api/workflow/leaders/${l.id}`, { method: "PATCH", body: { domains: split(v.domains), active: v.active === "1" } });
      await load();
      return out;
    },
  });
}

function packageActions(p) {
  if (!write || p.status !== "open") return null;
  const run = (fn, message) => async () => { try { await fn(); toast(message, "ok"); await load(); } catch (e) { show(e); } };
  return h("div", { class: "btn-row pk-actions" },
    h("button", { class: "btn small", type: "button", "data-action": "plan", onclick: () => formDialog({
      title: `包案 ${p.id}：方案与期限`, id: "pk-plan-dialog", okLabel: "保存",
      fields: [{ name: "plan", label: "包案方案", multiline: true, value: p.plan || "" }, { name: "deadline", label: "包案期限", type: "date", value: p.deadline || "" }],
      submit: async (v) => { const out = await api(`/api/workflow/packages/${p.id}/plan`, { method: "PUT", body: { plan: v.plan || null, deadline: v.deadline || null } }); await load(); return out; },
    }) }, "修改方案与期限"),
    h("button", { class: "btn small", type: "button", "data-action": "milestone", onclick: () => formDialog({
      title: `包案 ${p.id}：添加节点`, id: "pk-milestone-dialog", okLabel: "添加",
      fields: [{ name: "title", label: "节点名称", required: true, placeholder: "如：首次约见信访人" }, { name: "due_date", label: "计划完成日期", type: "date", required: true }],
      submit: async (v) => { const out = await api(`/api/workflow/packages/${p.id}/milestones`, { method: "POST", body: { title: v.title.trim(), due_date: v.due_date } }); await load(); return out; },
    }) }, "添加节点"),
    h("button", { class: "btn small", type: "button", "data-action": "conclude", onclick: async () => {
      if (await confirmDialog("办结包案", `办结包案 ${p.id}？须全部案件已化解或已办结（当前 ${p.concluded}/${p.total}）。`, "办结")) {
        await run(() => api(`/api/workflow/packages/${p.id}/end`, { method: "POST", body: { status: "concluded" } }), "包案已办结")();
      }
    } }, "办结"),
    h("button", { class: "btn small danger", type: "button", "data-action": "withdraw", onclick: () => formDialog({
      title: `撤销包案 ${p.id}`, id: "pk-withdraw-dialog", okLabel: "撤销",
      fields: [{ name: "note", label: "撤销理由", multiline: true, required: true }],
      submit: async (v) => { const out = await api(`/api/workflow/packages/${p.id}/end`, { method: "POST", body: { status: "withdrawn", note: v.note } }); await load(); return out; },
    }) }, "撤销"));
}

function milestoneItem(p, m) {
  const done = write && p.status === "open" && !m.done_date ? h("button", { class: "btn small", type: "button", "data-action": "done", onclick: async () => {
    try { await api(`/api/workflow/packages/${p.id}/milestones/${m.id}/done`, { method: "POST", body: {} }); toast("节点已完成（记为今天）", "ok"); await load(); } catch (e) { show(e); }
  } }, "完成") : null;
  return h("li", { dataset: { milestoneId: m.id } }, `${m.due_date} ${m.title} `,
    m.done_date ? badge(`${m.done_date} 完成`, "green") : m.overdue ? badge("逾期", "red") : badge("待完成", "blue"), " ", done);
}

function packageCard(p) {
  return h("article", { class: "card", dataset: { packageId: p.id } },
    h("div", { class: "card-head" }, h("h3", { class: "card-title" }, `包案 ${p.id}：${p.leader}（${p.department}）`),
      h("span", { class: "badges" }, badge(p.status_label, p.status === "open" ? "amber" : "green"), p.overdue ? badge("已逾期", "red") : null)),
    h("p", { class: "muted small" }, `期限：${p.deadline || "未定"} · 进度：${p.concluded}/${p.total}（已化解或已办结的件数 / 包案案件数）`),
    p.plan ? h("p", { class: "pk-plan" }, "方案：", p.plan) : null,
    h("ul", { class: "milestones" }, p.milestones.map((m) => milestoneItem(p, m))),
    h("table", { class: "table" }, h("tbody", {}, p.cases.map((c) => h("tr", {},
      h("td", {}, h("a", { href: `/cases/${c.id}` }, c.external_no)), h("td", {}, c.title), h("td", {}, statusBadge(c.status)), h("td", { class: "muted small" }, c.reasons))))),
    packageActions(p),
    h("p", {}, h("a", { class: "small", href: `/api/workflow/packages/${p.id}/export?format=xlsx` }, "导出本包案案件清单")));
}

async function load(ev) {
  ev?.preventDefault();
  const query = {};
  if ($("#ld-from").value) query.date_from = $("#ld-from").value;
  if ($("#ld-to").value) query.date_to = $("#ld-to").value;
  try {
    const [rep, packages, leaders] = await Promise.all([
      api("/api/workflow/packages/report", { query }), api("/api/workflow/packages"), api("/api/workflow/leaders")]);
    $("#ld-period").textContent = `${rep.date_from} 至 ${rep.date_to}`;
    $("#ld-definition").textContent = rep.definition;
    const period = `date_from=${rep.date_from}&date_to=${rep.date_to}`;
    $("#ld-export").href = `/api/workflow/packages/report/export?format=xlsx&${period}`;
    $("#ld-export-csv").href = `/api/workflow/packages/report/export?format=csv&${period}`;
    clear($("#ld-roster"), rosterTable(leaders, Number($("#ld-settings").dataset.maxOpen || 3)));
    clear($("#ld-report"), reportTable(rep));
    clear($("#ld-packages"), packages.length ? packages.map(packageCard) : h("p", { class: "muted" }, "暂无包案"));
    clear($("#ld-error"));
  } catch (e) {
    show(e);
  }
}

controls.addEventListener("submit", load);
$("#ld-package-form").addEventListener("submit", openPackage);
$("#ld-cancel").addEventListener("click", () => { $("#ld-candidates-box").hidden = true; });
if (write) {
  $("#ld-register").hidden = false;
  $("#ld-register").addEventListener("click", register);
  api("/api/units").then((units) => clear($("#ld-units"), units.map((u) => h("option", { value: u.name })))).catch(() => {});
}
load();
