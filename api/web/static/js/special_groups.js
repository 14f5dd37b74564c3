// 专项小组 list.
import { api } from "./api.js";
import { $, clear, errorBlock, h } from "./ui.js";
try {
  const found = await api("/api/special-groups");
  clear($("#sgl-table tbody"), found.map((s) => h("tr", {},
    h("td", {}, h("a", { href: `/special-groups/${s.id}` }, s.name)), h("td", {}, s.lead_unit),
    h("td", {}, `${s.policy_title || ""} ${s.policy_number || ""}`), h("td", { class: "num" }, s.cases), h("td", {}, s.late || "—"), h("td", {}, s.status_label))));
} catch (e) { clear($("#sgl-error"), errorBlock(e)); }
