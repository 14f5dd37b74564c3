// The 合并 dialog: nothing is preselected, the most similar groups come first, and the merge is
// confirmed with both groups' case counts before anything changes. Errors stay inside the dialog.
import { api } from "./api.js";
import { clear, dialogError, fmtPct, h } from "./ui.js";

const TOP = 5;

function option(entry) {
  const g = entry.group;
  const id = `merge-${g.id}`;
  return h("li", {},
    h("input", { type: "radio", name: "other", value: g.id, id }),
    h("label", { for: id },
      h("span", { class: "merge-name" }, g.name), ` （${g.size} 件）`,
      entry.similarity === null || entry.similarity === undefined ? null : h("span", { class: "merge-sim" }, `相似度 ${fmtPct(entry.similarity, 0)}`),
      g.keywords?.length ? h("span", { class: "muted small merge-kw" }, g.keywords.slice(0, 4).join("、")) : null));
}

// Resolves true when a merge was made.
export function mergeDialog(target, merge) {
  return new Promise((resolve) => {
    let merged = false;
    let list = [];
    const errors = h("div", { class: "dlg-errors" });
    const body = h("div", { class: "merge-body" }, h("p", { class: "muted" }, "正在查找相似的类案组……"));
    const dlg = h("dialog", { id: "merge-dialog", class: "wide", "aria-label": "合并类案组" },
      h("h2", {}, `将其他类案组并入「${target.name}」`), body, errors);
    dlg.addEventListener("close", () => { dlg.remove(); resolve(merged); });
    document.body.append(dlg);
    dlg.showModal();

    const cancel = () => h("button", { class: "btn", type: "button", onclick: () => dlg.close() }, "取消");

    function choose() {
      clear(errors);
      const filter = h("input", { id: "merge-q", type: "search", placeholder: "按名称或关键词筛选", "aria-label": "筛选类案组" });
      const lists = h("div", { class: "merge-lists" });
      const next = h("button", { class: "btn primary", type: "button", id: "merge-next", disabled: true }, "下一步");
      const draw = () => {
        const q = filter.value.trim();
        const shown = list.filter((e) => !q || e.group.name.includes(q) || e.group.keywords.some((k) => k.includes(q)));
        const similar = q ? [] : shown.filter((e) => e.similarity !== null && e.similarity !== undefined).slice(0, TOP);
        const rest = shown.filter((e) => !similar.includes(e));
        clear(lists,
          similar.length ? [h("h3", {}, "最相似的类案组"), h("ul", { class: "merge-list", id: "merge-similar" }, similar.map(option))] : null,
          rest.length ? [h("h3", {}, q ? "符合条件的类案组" : "其他类案组"), h("ul", { class: "merge-list", id: "merge-others" }, rest.map(option))] : null,
          shown.length ? null : h("p", { class: "empty" }, "没有可并入的类案组"));
        next.disabled = true;
      };
      lists.addEventListener("change", () => { next.disabled = !lists.querySelector("input:checked"); });
      next.addEventListener("click", () => {
        const picked = Number(lists.querySelector("input:checked")?.value);
        const entry = list.find((e) => e.group.id === picked);
        if (entry) confirm(entry);
      });
      filter.addEventListener("input", draw);
      clear(body, h("p", { class: "small muted" }, "请选择要并入本组的类案组。按与本组的相似度排序，最相似的在前。"), filter, lists,
        h("div", { class: "btn-row" }, cancel(), next));
      draw();
      filter.focus();
    }

    function confirm(entry) {
      const other = entry.group;
      const total = target.size + other.size;
      const ok = h("button", { class: "btn primary", type: "button", id: "merge-confirm" }, "确认合并");
      ok.addEventListener("click", async () => {
        ok.disabled = true;
        try {
          await merge(other.id);
          merged = true;
          dlg.close();
        } catch (e) {
          clear(errors, dialogError(e));
          ok.disabled = false;
        }
      });
      clear(body,
        h("div", { class: "merge-confirm", id: "merge-summary" },
          h("p", {}, "将 ", h("strong", {}, `「${other.name}」（${other.size} 件）`), " 并入 ", h("strong", {}, `「${target.name}」（${target.size} 件）`), "。"),
          h("p", {}, `合并后「${target.name}」共 ${total} 件，「${other.name}」不再单独列出。`),
          entry.similarity === null || entry.similarity === undefined ? null : h("p", { class: "small muted" }, `两组相似度 ${fmtPct(entry.similarity, 0)}。`),
          h("p", { class: "small muted" }, "合并后如有误，可在本页点击“撤销上一步”恢复两组。")),
        h("div", { class: "btn-row" },
          h("button", { class: "btn", type: "button", onclick: choose }, "返回重选"), ok));
      ok.focus();
    }

    api(`/api/groups/${target.id}/similar`)
      .then((found) => { list = found; choose(); })
      .catch((e) => { clear(body, h("div", { class: "btn-row" }, cancel())); clear(errors, dialogError(e)); });
  });
}
