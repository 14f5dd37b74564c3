// 专项小组: lead and member units, the policy document, its case groups and their batch decisions.
import { api } from "./api.js";
import { decisionDialog } from "./batch_decision.js";
import { attachDialog, editDialog } from "./special_group_forms.js";
import { $, badge, can, clear, confirmDialog, errorBlock, fmtTime, h, toast } from "./ui.js";

const specialId = Number(location.pathname.split("/").pop());
let shown = null; // the special group on the page
const BATCH = { handling: ["批量处理中", "amber"], decided: ["已作出批量决定", "green"] };

function actionFor(g, sg) {
  if (!can("groups:decide") || sg.status !== "active") return null;
  if (!g.batch_status) {
    return h("button", { class: "btn", type: "button", "data-action": "batch", onclick: async () => {
      try { await api(`/api/special-groups/${specialId}/groups/${g.id}/batch`, { method: "POST" }); toast("已启动批量处理"); await load(); }
      catch (e) { clear($("#sg-error"), errorBlock(e)); }
    } }, "按政策文件启动批量处理");
  }
  if (g.batch_status === "handling" || g.late) {
    return h("button", { class: "btn primary", type: "button", "data-action": "decide", onclick: async () => {
      const out = await decisionDialog(g.id, { late: g.batch_status === "decided" });
      if (out) { toast(out.message); await load(); }
    } }, g.batch_status === "decided" ? `处理后加入的 ${g.late} 件` : "批量决定");
  }
  return null;
}

async function load() {
  try {
    const sg = await api(`/api/special-groups/${specialId}`);
    shown = sg;
    $("#sg-actions").hidden = !(can("groups:decide") && sg.status === "active");
    $("#sg-export").href = `/api/special-groups/${specialId}/export?format=xlsx`;
    $("#sg-export-csv").href = `/api/special-groups/${specialId}/export?format=csv`;
    $("#sg-name").textContent = `${sg.name}（${sg.status_label}）`;
    $("#sg-units").textContent = `牵头单位：${sg.lead_unit} · 成员单位：${sg.member_units.join("、")}`;
    clear($("#sg-policy"),
      h("p", {}, h("strong", {}, sg.policy_title || "—"), sg.policy_number ? ` ${sg.policy_number}` : "", sg.policy_date ? `（${sg.policy_date}）` : ""),
      sg.policy_text ? h("p", { class: "muted" }, sg.policy_text) : null);
    $("#sg-meta").textContent = `${sg.groups.length} 个类案组 · ${sg.cases} 件案件${sg.late ? ` · ${sg.late} 件后加入` : ""}`;
    clear($("#sg-groups tbody"), sg.groups.map((g) => h("tr", { dataset: { groupId: g.id } },
      h("td", {}, h("a", { href: `/groups/${g.id}` }, `#${g.id} ${g.name}`)),
      h("td", { class: "num" }, g.size),
      h("td", {}, g.batch_status ? badge(...BATCH[g.batch_status]) : badge("未启动", "blue")),
      h("td", {}, g.late ? badge(`${g.late} 件 ${g.late_label}`, "amber") : "—"),
      h("td", {}, actionFor(g, sg)))));
    await decisions(sg);
  } catch (e) {
    clear($("#sg-error"), errorBlock(e));
  }
}

// Each decided group's decisions: when, what, how many cases changed or were left alone, the reply.
async function decisions(sg) {
  const decided = sg.groups.filter((g) => g.batch_status === "decided");
  if (!decided.length) return;
  const found = await Promise.all(decided.map((g) => api(`/api/groups/${g.id}/decisions`).then((list) => [g, list])));
  const items = found.flatMap(([g, list]) => list.map((d) => {
    const changed = d.cases.filter((c) => c.new_status).length;
    const replies = [...new Set(d.cases.map((c) => c.reply).filter(Boolean))];
    return h("li", { dataset: { decisionId: d.id } }, h("b", {}, `#${g.id} ${g.name}`), `（${fmtTime(d.created_at)}，${d.actor}）：${d.decision}；`,
      `变更 ${changed} 件，保留不变 ${d.cases.length - changed} 件`, replies.length ? `；答复：${replies.join(" / ")}` : "");
  }));
  clear($("#sg-decisions"), h("ul", { id: "sg-decision-list" }, items));
}

async function run(fn, message) {
  try { const out = await fn(); if (out) { toast(message, "ok"); await load(); } } catch (e) { clear($("#sg-error"), errorBlock(e)); }
}

async function setStatus(status, label) {
  if (!await confirmDialog(`${label}专项小组`, `${label}“${shown.name}”？之后不能再纳入类案组或修改政策文件。`, label, { danger: status === "dissolved", id: "sg-status-dialog" })) return null;
  return api(`/api/special-groups/${specialId}`, { method: "PATCH", body: { status } });
}

$("#sg-attach").addEventListener("click", () => run(() => attachDialog(specialId), "已纳入类案组"));
$("#sg-edit").addEventListener("click", () => run(() => editDialog(shown), "已保存"));
$("#sg-conclude").addEventListener("click", () => run(() => setStatus("concluded", "结束"), "专项小组已结束"));
$("#sg-dissolve").addEventListener("click", () => run(() => setStatus("dissolved", "撤销"), "专项小组已撤销"));
load();
