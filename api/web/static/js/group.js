// 类案组 detail: profile, charts over time and cities, members, reviewer actions, batch decision.
import { api } from "./api.js";
import { decisionDialog } from "./batch_decision.js";
import { columns, hbars } from "./charts.js";
import { historyItems } from "./group_history.js";
import { mergeDialog } from "./group_merge.js";
import { actions, countBy, familyHref, getFamily, getProfile, groupState, pairs } from "./groups_api.js";
import { $, badge, can, clear, confirmDialog, errorBlock, fmtPct, fmtTime, formDialog, h, statusBadge, toast } from "./ui.js";

const root = $("#g-root");
const groupId = Number(root.dataset.groupId);
let group = null;
let cases = [];
let late = [];

function stat(k, v, d) {
  const long = String(v).length > 8;
  return h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: long ? "v v-long" : "v" }, v), h("div", { class: "d muted" }, d || "\u00a0"));
}

let profile = null;

function render() {
  const g = group;
  const p = profile;
  document.title = `${g.name} · 类案组`;
  $("#g-name").textContent = g.name;
  clear($("#g-badges"), groupState(g), h("span", { class: "muted small" }, `  编号 ${g.id}`));
  const months = countBy(cases, (c) => c.received_date?.slice(0, 7)).sort((a, b) => a[0].localeCompare(b[0]));
  const cities = pairs(p.cities);
  const depts = pairs(p.departments);
  const lead = p.suggested_lead;
  clear($("#g-stats"),
    stat("案件数", p.size, lead ? `${lead.source === "batch" ? "牵头" : "建议牵头"}：${lead.name}` : ""),
    stat("涉及地市", cities.length, cities.slice(0, 3).map((x) => x[0]).join("、")),
    stat("涉及部门", depts.length, depts.slice(0, 2).map((x) => x[0]).join("、")),
    stat("时间跨度", p.date_from ? `${p.date_from} 至 ${p.date_to}` : "—",
      `重复信访 ${fmtPct(p.repeat_share, 0)} · 涉法涉诉 ${fmtPct(p.litigation_share, 0)}`));
  clear($("#g-chart-time"), months.length ? columns(months.map((m) => m[0].slice(2)), months.map((m) => m[1]), { label: "按月受理数量", width: 520, height: 190 }) : h("p", { class: "empty" }, "暂无数据"));
  clear($("#g-chart-city"), cities.length ? hbars(cities.slice(0, 8).map(([c, n]) => ({ label: c, value: n })), { label: "地市分布", width: 520, labelWidth: 80, format: (v) => Math.round(v) }) : h("p", { class: "empty" }, "暂无数据"));
  clear($("#g-keywords"), g.keywords.length ? g.keywords.map((k) => badge(k, "blue")) : h("span", { class: "muted" }, "—"));
  renderDecision();
  renderActions();
}

function renderMembers() {
  $("#g-members-meta").textContent = `${cases.length} 件`;
  clear($("#g-members tbody"), cases.map((c) => h("tr", { dataset: { caseId: c.id } },
    h("td", {}, h("input", { type: "checkbox", class: "pick", value: c.id, "aria-label": `选择 ${c.external_no}` })),
    h("td", { class: "nowrap" }, h("a", { href: `/cases/${c.id}` }, c.external_no)),
    h("td", { class: "clip fill", title: c.title || "" }, c.title || (c.content || "").slice(0, 30)),
    h("td", { class: "nowrap" }, c.city || "—"), h("td", { class: "short", title: c.department || "" }, c.department || "—"),
    h("td", { class: "nowrap" }, c.received_date || "—"),
    h("td", { class: "nowrap" }, statusBadge(c.status, c.status_label),
      late.includes(c.id) ? h("span", { class: "badge amber late" }, "后加入，待按同一政策处理") : null))));
}

function renderDecision() {
  const g = group;
  const d = profile.history?.decisions?.at(-1) || null;
  clear($("#g-decision"),
    g.batch_status ? h("p", {}, badge(g.batch_status === "decided" ? "已作出批量决定" : "批量处理中", g.batch_status === "decided" ? "green" : "amber")) : h("p", { class: "muted" }, "尚未启动批量处理"),
    h("p", { class: "small" }, "成员状态：", Object.entries(profile.statuses || {}).map(([k, n]) => [statusBadge(k), ` ${n} `])),
    g.lead_department ? h("p", { class: "small" }, "牵头部门：", h("strong", {}, g.lead_department)) : null,
    g.policy_note ? h("p", { class: "small" }, "政策口径：", g.policy_note) : null,
    d ? h("div", { class: "alert green small" }, h("strong", {}, "决定"), h("div", {}, d.decision, `（${fmtTime(d.created_at)} ${d.actor}，适用 ${d.n_cases} 件）`)) : null);
}

async function act(label, fn) {
  try {
    await fn();
    toast(`${label}成功`);
    await load();
  } catch (e) {
    clear($("#g-notice"), errorBlock(e));
  }
}

// A reviewer's edit through a dialog that stays open on a refusal and shows it inside, in words.
async function edit(label, spec, call) {
  const done = await formDialog({ ...spec, submit: call });
  if (done) {
    toast(`${label}成功`);
    await load();
  }
}

function renderActions() {
  const box = clear($("#g-actions"));
  const g = group;
  if (can("groups:write")) {
    box.append(
      h("button", { class: "btn", type: "button", id: "g-rename", onclick: async () => {
        edit("重命名", { title: "重命名类案组", okLabel: "保存", id: "rename-dialog",
          fields: [{ name: "name", label: "新名称", value: g.name, required: true }] }, (v) => actions.rename(groupId, v.name));
      } }, "重命名"),
      h("button", { class: "btn", type: "button", id: "g-merge", onclick: merge }, "合并"),
      h("button", { class: "btn", type: "button", id: "g-split", onclick: async () => {
        const picked = [...document.querySelectorAll(".pick:checked")].map((x) => Number(x.value));
        if (!picked.length) { toast("请先在成员列表中勾选要拆分出去的案件", "error"); return; }
        edit("拆分", { title: `拆分 ${picked.length} 件案件为新类案组`, okLabel: "拆分", id: "split-dialog",
          fields: [{ name: "name", label: "新类案组名称", required: true }] }, (v) => actions.split(groupId, picked, v.name));
      } }, "拆分所选"),
      h("button", { class: "btn", type: "button", id: "g-lock", onclick: () => act(g.locked ? "解锁" : "锁定", () => actions.lock(groupId, !g.locked)) }, g.locked ? "解除锁定" : "锁定"),
    );
    const last = profile.undoable;
    if (last) {
      box.append(h("button", { class: "btn", type: "button", id: "g-undo", title: `${last.actor} 于 ${fmtTime(last.created_at)}` , onclick: async () => {
        const yes = await confirmDialog("撤销上一步", `撤销 ${last.actor} 于 ${fmtTime(last.created_at)} 的“${last.label}”，恢复到操作之前的状态？`, `撤销${last.label}`, { id: "undo-dialog" });
        if (yes) act(`撤销${last.label}`, () => actions.undo(groupId));
      } }, `撤销上一步：${last.label}`));
    }
  }
  if (can("groups:decide")) {
    if (!g.batch_status) {
      box.append(h("button", { class: "btn primary", type: "button", id: "g-batch", onclick: async () => {
        edit("启动批量处理", { title: "启动批量处理", okLabel: "启动", id: "batch-dialog", fields: [
          { name: "lead", label: "牵头部门", value: profile.suggested_lead?.name || "", required: true, errorLabel: "牵头部门" },
          { name: "note", label: "政策口径说明", multiline: true, required: true },
        ] }, (v) => actions.startBatch(groupId, v.lead, v.note));
      } }, "启动批量处理"));
    } else if (g.batch_status !== "decided" || late.length) {
      const isLate = g.batch_status === "decided";
      box.append(h("button", { class: "btn primary", type: "button", id: "g-decide", onclick: async () => {
        const out = await decisionDialog(groupId, { late: isLate });
        if (out) { toast(out.message); await load(); }
      } }, isLate ? `处理后加入的 ${late.length} 件` : "批量决定"));
    }
  }
}

async function merge() {
  // The merge itself runs inside the dialog so a refusal is shown there; the page reloads after.
  if (await mergeDialog(group, (other) => actions.merge(groupId, other))) {
    toast("合并成功");
    await load();
  }
}

function renderHistory() {
  const items = historyItems(profile.history || {}, groupId);
  $("#g-history-card").hidden = !items.length;
  clear($("#g-history"), h("ol", { class: "timeline", id: "g-timeline" }, items.slice(0, 30)));
}

// The family (issue type) above this matter-level group, linking to the list of its groups.
async function renderFamily(id) {
  const box = $("#g-family");
  if (id === null || id === undefined) return;
  try {
    const f = await getFamily(id);
    const others = f.members.filter((m) => m.id !== groupId).length;
    box.hidden = false;
    clear(box, "所属组族（问题类型）：", h("a", { href: familyHref(f.id), id: "g-family-link" }, f.name),
      others ? `，同族另有 ${others} 个类案组` : "，同族没有其他类案组");
  } catch (e) {
    box.hidden = false;
    clear(box, `所属组族 #${id}（${e.message}）`);
  }
}

async function load() {
  try {
    profile = await getProfile(groupId);
    group = profile.group;
    const page = await api(`/api/groups/${groupId}/members`, { query: { limit: 500 } });
    cases = page.items;
    late = page.late_ids || [];
    render();
    renderMembers();
    renderHistory();
    renderFamily(group.family_id);
  } catch (e) {
    clear(root, errorBlock(e));
  }
}

load();
