// 专项小组 list; a reviewer (groups:decide) founds a new one from free case groups.
import { api } from "./api.js";
import { createDialog } from "./special_group_forms.js";
import { $, can, clear, errorBlock, h, toast } from "./ui.js";

async function load() {
  try {
    const found = await api("/api/special-groups");
    clear($("#sgl-table tbody"), found.length ? found.map((s) => h("tr", { dataset: { specialId: s.id } },
      h("td", {}, h("a", { href: `/special-groups/${s.id}` }, s.name)), h("td", {}, s.lead_unit),
      h("td", {}, `${s.policy_title || ""} ${s.policy_number || ""}`), h("td", { class: "num" }, s.cases), h("td", {}, s.late || "—"), h("td", {}, s.status_label)))
      : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "尚无专项小组")));
  } catch (e) { clear($("#sgl-error"), errorBlock(e)); }
}

if (can("groups:decide")) {
  $("#sgl-create").hidden = false;
  $("#sgl-create").addEventListener("click", async () => {
    try {
      const made = await createDialog();
      if (made) { toast(`已成立“${made.name}”`, "ok"); location.assign(`/special-groups/${made.id}`); }
    } catch (e) { clear($("#sgl-error"), errorBlock(e)); }
  });
}
load();
