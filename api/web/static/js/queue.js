// 我的待办: the four queues (待签收 / 待办 / 即将超期 / 已超期) with sign and return in place; workload.
import { api } from "./api.js";
import { deadlineBadge } from "./handling.js";
import { $, can, clear, errorBlock, formDialog, h, toast } from "./ui.js";

let data = null;
let current = new URLSearchParams(location.search).get("tab") || "pending_sign";

function actions(item) {
  if (item.kind !== "sign" || !item.assignment_id || !can("workflow:write")) {
    return h("a", { class: "btn small", href: `/cases/${item.case_id}` }, "办理");
  }
  const sign = h("button", { class: "btn small primary", type: "button", onclick: async () => {
    try {
      await api(`/api/workflow/assignments/${item.assignment_id}/sign`, { method: "POST" });
      toast("已签收");
      await load();
    } catch (e) { clear($("#q-error"), errorBlock(e)); }
  } }, "签收");
  const back = h("button", { class: "btn small", type: "button", onclick: async () => {
    const done = await formDialog({
      title: `退回 ${item.external_no}`, okLabel: "退回", id: "return-dialog",
      intro: "退回须写明理由（如不属本单位职责），交办单位将收到通知。",
      fields: [{ name: "reason", label: "退回理由", multiline: true, required: true, requiredMessage: "请填写退回理由" }],
      submit: (v) => api(`/api/workflow/assignments/${item.assignment_id}/return`, { method: "POST", body: { reason: v.reason } }),
    });
    if (done) { toast("已退回"); await load(); }
  } }, "退回");
  return h("span", { class: "btn-row nowrap" }, sign, back, h("a", { class: "btn small", href: `/cases/${item.case_id}` }, "查看"));
}

function row(item) {
  return h("tr", { dataset: { caseId: item.case_id } },
    h("td", { class: "nowrap" }, h("a", { href: `/cases/${item.case_id}` }, item.external_no)),
    h("td", { class: "clip fill", title: item.title }, item.title),
    h("td", { class: "short", title: item.unit }, item.unit),
    h("td", { class: "nowrap" }, item.city || "—"),
    h("td", { class: "nowrap" }, `${item.deadline_label} ${item.deadline || "—"} `, deadlineBadge(item)),
    h("td", { class: "nowrap" }, actions(item)));
}

function render() {
  for (const tab of document.querySelectorAll("#q-tabs .tab")) {
    const key = tab.dataset.tab;
    tab.setAttribute("aria-selected", String(key === current));
    tab.querySelector(".tab-count").textContent = String((data.counts && data.counts[key]) ?? data[key].length);
  }
  $("#q-panel").setAttribute("aria-labelledby", `tab-${current}`);
  const items = data[current] || [];
  clear($("#q-table tbody"), items.length ? items.map(row) : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "没有待处理的事项")));
}

async function load() {
  try {
    data = await api("/api/workflow/queue");
    render();
  } catch (e) {
    clear($("#q-error"), errorBlock(e));
  }
}

async function workload() {
  try {
    const [units, users] = await Promise.all([
      api("/api/workflow/workload", { query: { by: "unit" } }),
      api("/api/workflow/workload", { query: { by: "user" } }),
    ]);
    const num = (v) => h("td", { class: "num" }, v);
    clear($("#q-units tbody"), units.units.map((u) => h("tr", {}, h("td", { class: "nowrap" }, u.unit), num(u.active), num(u.pending_sign), num(u.returned), num(u.sign_overdue), num(u.open_cases), num(u.overdue))));
    clear($("#q-users tbody"), users.users.map((u) => h("tr", {}, h("td", { class: "nowrap" }, u.username), h("td", { class: "short" }, u.unit), num(u.open_cases), num(u.near_due), num(u.overdue))));
    $("#q-workload-card").hidden = !(units.units.length || users.users.length);
  } catch {
    $("#q-workload-card").hidden = true;
  }
}

$("#q-tabs").addEventListener("click", (ev) => {
  const tab = ev.target.closest(".tab");
  if (!tab) return;
  current = tab.dataset.tab;
  history.replaceState(null, "", `?tab=${current}`);
  render();
});

load();
workload();
