// 专项小组: lead and member units, the policy document, its case groups and their batch decisions.
import { api } from "./api.js";
import { decisionDialog } from "./batch_decision.js";
import { $, badge, can, clear, errorBlock, h, toast } from "./ui.js";

const specialId = Number(location.pathname.split("/").pop());
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
  } catch (e) {
    clear($("#sg-error"), errorBlock(e));
  }
}

load();
