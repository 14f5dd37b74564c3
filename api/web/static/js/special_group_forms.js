// 专项小组 forms: a dialog that picks case groups (active groups no special group holds yet), the
// founding form (name, lead and member units, policy document, case groups) and the policy edit.
// Errors stay inside the dialog, in words; the server checks every rule (kb/groups/special.py).
import { api } from "./api.js";
import { clear, dialogError, h } from "./ui.js";

const LABELS = { name: "专项小组名称", lead_unit: "牵头单位", member_units: "成员单位", policy_title: "政策文件标题",
  policy_number: "文号", policy_date: "成文日期", policy_text: "政策文件内容", group_ids: "类案组", add_group_ids: "类案组" };
export const splitUnits = (text) => String(text || "").split(/[,，、;；\s]+/).map((s) => s.trim()).filter(Boolean);

// Active case groups that belong to no special group, largest first.
export async function freeGroups() {
  const [groups, specials] = await Promise.all([api("/api/groups"), api("/api/special-groups")]);
  const held = new Set(specials.flatMap((s) => s.groups.map((g) => g.id)));
  return groups.filter((g) => g.state === "active" && !held.has(g.id)).sort((a, b) => b.size - a.size || a.id - b.id);
}

function unitList(id, units) {
  return h("datalist", { id }, units.map((u) => h("option", { value: u.name })));
}

function groupChecks(groups) {
  return h("div", { class: "sg-pick", id: "sg-pick" }, groups.length
    ? groups.map((g) => h("div", {}, h("label", {}, h("input", { type: "checkbox", name: "group", value: String(g.id) }),
      ` #${g.id} ${g.name}（${g.size} 件${g.batch_status ? "，已在批量处理" : ""}）`)))
    : h("p", { class: "muted" }, "没有可纳入的类案组（每个类案组只能属于一个专项小组）"));
}

function field(label, input, hint) {
  return [h("label", { for: input.id }, label), input, hint ? h("p", { class: "hint" }, hint) : null];
}

// A modal built from ``body`` nodes; ``submit(form)`` returns the result or throws (shown inside).
function modal({ id, title, body, okLabel, submit }) {
  return new Promise((resolve) => {
    let result = null;
    const errors = h("div", { class: "dlg-errors" });
    const ok = h("button", { class: "btn primary", type: "submit" }, okLabel);
    const form = h("form", { method: "dialog", novalidate: true }, h("h2", {}, title), body, errors,
      h("div", { class: "btn-row" }, h("button", { class: "btn", type: "button", onclick: () => dlg.close() }, "取消"), ok));
    const dlg = h("dialog", { "aria-label": title, id, class: "wide" }, form);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      ok.disabled = true;
      try { result = await submit(form); dlg.close(); } catch (e) { clear(errors, dialogError(e, LABELS)); } finally { ok.disabled = false; }
    });
    dlg.addEventListener("close", () => { dlg.remove(); resolve(result); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

const picked = (form) => [...form.querySelectorAll("input[name=group]:checked")].map((x) => Number(x.value));

function policyInputs(sg = {}) {
  return {
    title: h("input", { id: "sg-f-title", name: "policy_title", value: sg.policy_title || "", placeholder: "如：关于统一处理某小区逾期交房问题的意见" }),
    number: h("input", { id: "sg-f-number", name: "policy_number", value: sg.policy_number || "", placeholder: "如：粤信〔2026〕3号" }),
    date: h("input", { id: "sg-f-date", name: "policy_date", type: "date", value: sg.policy_date || "" }),
    text: h("textarea", { id: "sg-f-text", name: "policy_text", rows: 4 }, sg.policy_text || ""),
  };
}

function policyFields(p) {
  return [field("政策文件标题", p.title), field("文号", p.number), field("成文日期", p.date), field("政策文件内容（要点或全文）", p.text)];
}

export async function createDialog() {
  const [groups, units] = await Promise.all([freeGroups(), api("/api/units")]);
  const name = h("input", { id: "sg-f-name", name: "name", placeholder: "如：某小区逾期交房专项工作组" });
  const lead = h("input", { id: "sg-f-lead", name: "lead_unit", list: "sg-unit-list" });
  const members = h("input", { id: "sg-f-members", name: "member_units", list: "sg-unit-list" });
  const p = policyInputs();
  return modal({
    id: "sg-create-dialog", title: "成立专项小组", okLabel: "成立",
    body: [unitList("sg-unit-list", units), field("专项小组名称", name), field("牵头单位", lead, "单位目录中的名称或别名"),
      field("成员单位（多个用顿号分隔）", members, "牵头单位自动列为成员单位"), ...policyFields(p),
      h("h3", {}, "所辖类案组"), groupChecks(groups)],
    submit: (form) => {
      const ids = picked(form);
      const missing = [];
      if (!name.value.trim()) missing.push({ field: "name", message: "请填写专项小组名称" });
      if (!lead.value.trim()) missing.push({ field: "lead_unit", message: "请填写牵头单位" });
      if (!p.title.value.trim()) missing.push({ field: "policy_title", message: "请填写政策文件标题" });
      if (!ids.length) missing.push({ field: "group_ids", message: "请至少选择一个类案组" });
      if (missing.length) throw { details: missing };
      return api("/api/special-groups", { method: "POST", body: {
        name: name.value.trim(), lead_unit: lead.value.trim(), member_units: splitUnits(members.value),
        policy_title: p.title.value.trim(), policy_number: p.number.value.trim() || null, policy_date: p.date.value || null,
        policy_text: p.text.value.trim() || null, group_ids: ids } });
    },
  });
}

export async function attachDialog(specialId) {
  const groups = await freeGroups();
  return modal({
    id: "sg-attach-dialog", title: "纳入类案组", okLabel: "纳入", body: [groupChecks(groups)],
    submit: (form) => {
      const ids = picked(form);
      if (!ids.length) throw { details: [{ field: "add_group_ids", message: "请至少选择一个类案组" }] };
      return api(`/api/special-groups/${specialId}`, { method: "PATCH", body: { add_group_ids: ids } });
    },
  });
}

export async function editDialog(sg) {
  const units = await api("/api/units");
  const members = h("input", { id: "sg-f-members", name: "member_units", list: "sg-unit-list", value: sg.member_units.join("、") });
  const p = policyInputs(sg);
  return modal({
    id: "sg-edit-dialog", title: "修改政策文件与成员单位", okLabel: "保存",
    body: [unitList("sg-unit-list", units), field("成员单位（多个用顿号分隔）", members), ...policyFields(p)],
    submit: (form) => {
      if (!p.title.value.trim()) throw { details: [{ field: "policy_title", message: "请填写政策文件标题" }] };
      return api(`/api/special-groups/${sg.id}`, { method: "PATCH", body: {
        member_units: splitUnits(members.value), policy_title: p.title.value.trim(), policy_number: p.number.value.trim() || null,
        policy_date: p.date.value || null, policy_text: p.text.value.trim() || null } });
    },
  });
}
