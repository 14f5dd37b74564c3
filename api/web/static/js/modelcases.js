// 典型案例库: browse by status/category, look up guidance by text, create a draft, export.
import { api } from "./api.js";
import { $, badge, can, clear, errorBlock, h, highlight } from "./ui.js";

const STATUS_COLOR = { published: "green", draft: "amber", retired: "" };
const status = $("#mc-status");
const category = $("#mc-category");
// Only drafting roles may list drafts and retired model cases; everyone else reads what is published.
const READABLE = can("modelcases:draft") ? ["draft", "published", "retired"] : ["published"];

export function mcCard(m, terms = [], extra = null) {
  return h(
    "article",
    { class: "mc mc-item", dataset: { mcId: m.id } },
    h("div", { class: "card-head" },
      h("a", { class: "mc-title", href: `/modelcases/${m.id}` }, highlight(m.title, terms)),
      h("span", { class: "badges" }, badge(m.status_label, STATUS_COLOR[m.status] ?? ""), badge(m.authority, m.authority === "指导性" ? "red" : "blue"),
        m.unpublished_changes && m.status === "published" ? badge("有未发布修改", "amber") : null)),
    h("div", { class: "muted small" }, [m.code, m.category, m.lead_department, m.locality, `第 ${m.version} 版`].filter(Boolean).join(" · ")),
    h("p", { class: "hit-snippet" }, highlight(m.summary, terms)),
    extra,
  );
}

async function loadList() {
  const box = $("#mc-list");
  $("#mc-list-title").textContent = "典型案例";
  try {
    const page = await api("/api/modelcases", { query: { status: status.value || READABLE, category: category.value, limit: 200 } });
    $("#mc-meta").textContent = `共 ${page.total} 件`;
    clear(box, page.items.length ? page.items.map((m) => mcCard(m)) : h("p", { class: "empty" }, "没有符合条件的典型案例"));
    return page;
  } catch (e) {
    clear(box, errorBlock(e));
    return null;
  }
}

async function lookUp(text) {
  const box = $("#mc-list");
  try {
    const res = await api("/api/modelcases/guidance", { method: "POST", body: { text, k: 10 } });
    $("#mc-list-title").textContent = "匹配的操作指引";
    $("#mc-meta").textContent = res.hits.length ? `${res.hits.length} 件，按相关度排序` : "";
    clear(box, res.hits.length
      ? res.hits.map((hit) => mcCard(hit.model_case, hit.matched_terms,
        hit.reasons?.length ? h("ul", { class: "hit-reasons" }, hit.reasons.map((r) => h("li", {}, r))) : null))
      : h("p", { class: "empty" }, "没有匹配的已发布典型案例"));
  } catch (e) {
    clear(box, errorBlock(e));
  }
}

$("#mc-search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = $("#mc-q").value.trim();
  if (text) lookUp(text);
});
$("#mc-q").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("#mc-search").requestSubmit(); }
});
$("#mc-reset").addEventListener("click", () => { $("#mc-q").value = ""; loadList(); });
$("#mc-filters").addEventListener("change", loadList);

const actions = $("#mc-actions");
if (can("modelcases:draft")) {
  actions.append(h("button", { class: "btn primary", type: "button", id: "mc-new", onclick: async () => {
    try {
      const m = await api("/api/modelcases", { method: "POST", body: { title: "新建典型案例（草稿）", summary: "请填写案情摘要。", approach: "", steps: [] } });
      location.assign(`/modelcases/${m.id}?edit=1`);
    } catch (e) { $("#mc-list").prepend(errorBlock(e)); }
  } }, "新建草稿"));
}
for (const [fmt, label] of [["xlsx", "导出 Excel"], ["md", "导出 Markdown"], ["json", "导出 JSON"]]) {
  actions.append(h("a", { class: "btn", href: `/api/modelcases/export?format=${fmt}`, download: "" }, label));
}

(async () => {
  if (!can("modelcases:draft")) {
    for (const opt of [...status.options]) if (opt.value !== "published") opt.remove();
    status.disabled = true;
  }
  const all = await api("/api/modelcases", { query: { status: READABLE, limit: 1000 } }).catch(() => null);
  const cats = [...new Set((all?.items || []).map((m) => m.category).filter(Boolean))].sort();
  for (const c of cats) category.append(h("option", { value: c }, c));
  loadList();
})();
