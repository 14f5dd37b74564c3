// 类案组 list: size, keywords, spread over cities, monthly trend, status; filter and sort.
import { columns } from "./charts.js";
import { familyHref, familyLabels, groupState, listFamilies, listGroups } from "./groups_api.js";
import { $, badge, clear, errorBlock, h } from "./ui.js";

let all = [];
let families = new Map(); // family id -> family (name, groups, size)
let familyNames = new Map(); // family id -> name shown (numbered when names repeat)

// The last 12 months up to ``end`` (YYYY-MM) as labels.
function months(end) {
  const [y, m] = end.split("-").map(Number);
  return Array.from({ length: 12 }, (_, i) => {
    const d = new Date(Date.UTC(y, m - 12 + i, 1));
    return d.toISOString().slice(0, 7);
  });
}

function familyCell(g) {
  const f = families.get(g.family_id);
  if (!f) return "—";
  return h("a", { href: familyHref(f.id), title: `同一问题类型的 ${f.groups} 个类案组；关键词：${f.keywords.slice(0, 5).join("、")}`, onclick: (ev) => { ev.preventDefault(); pickFamily(f.id); } }, familyNames.get(f.id));
}

function pickFamily(id) {
  $("#g-family").value = String(id);
  render();
}

function fillFamilies() {
  const select = $("#g-family");
  const wanted = new URLSearchParams(location.search).get("family") || select.value;
  const used = new Set(all.map((g) => g.family_id));
  const list = [...families.values()].filter((f) => used.has(f.id)).sort((a, b) => b.size - a.size || a.id - b.id);
  clear(select, h("option", { value: "" }, "全部组族"),
    list.map((f) => h("option", { value: String(f.id) }, `${familyNames.get(f.id)}（${f.groups} 组 · ${f.size} 件）`)),
    all.some((g) => !families.has(g.family_id)) ? h("option", { value: "none" }, "未归族") : null);
  if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
}

function row(g, end) {
  const cities = (g.cities || []).sort((a, b) => b[1] - a[1]);
  const top = cities.slice(0, 3).map(([c, n]) => `${c} ${n}`).join("、");
  let spark = "—";
  if (g.months && end) {
    const labels = months(end);
    const byMonth = new Map(g.months);
    spark = columns(labels, labels.map((m) => byMonth.get(m) || 0), { width: 140, height: 34, label: `${g.name} 近 12 个月受理趋势` });
  }
  return h("tr", { dataset: { groupId: g.id } },
    h("td", {}, h("a", { href: `/groups/${g.id}`, class: "mc-title" }, g.name), g.lead_department ? h("div", { class: "muted small" }, `牵头：${g.lead_department}`) : null),
    h("td", { class: "small family" }, familyCell(g)),
    h("td", { class: "num" }, h("strong", {}, g.size)),
    h("td", {}, h("span", { class: "badges" }, g.keywords.slice(0, 5).map((k) => badge(k, "blue")))),
    h("td", { class: "small" }, cities.length ? `${cities.length} 个地市` : "—", top ? h("div", { class: "muted" }, top) : null),
    h("td", { class: "spark" }, spark),
    h("td", {}, groupState(g)));
}

function render() {
  const q = $("#g-q").value.trim();
  const state = $("#g-state").value;
  const family = $("#g-family").value;
  let items = all.filter((g) => !q || g.name.includes(q) || g.keywords.some((k) => k.includes(q)));
  if (family === "none") items = items.filter((g) => !families.has(g.family_id));
  else if (family) items = items.filter((g) => g.family_id === Number(family));
  const url = new URL(location.href);
  if (family) url.searchParams.set("family", family);
  else url.searchParams.delete("family");
  history.replaceState(null, "", url);
  if (state === "locked") items = items.filter((g) => g.locked);
  else if (state === "batch") items = items.filter((g) => g.batch_status === "handling");
  else if (state === "decided") items = items.filter((g) => g.batch_status === "decided");
  else if (state === "open") items = items.filter((g) => !g.batch_status);
  const sort = $("#g-sort").value;
  const key = { size: (g) => g.size, spread: (g) => (g.cities || []).length, recent: (g) => g.date_to || "" }[sort];
  items.sort((a, b) => (key(b) > key(a) ? 1 : key(b) < key(a) ? -1 : a.id - b.id));
  const end = all.map((g) => g.date_to).filter(Boolean).sort().at(-1)?.slice(0, 7);
  const f = families.get(Number(family));
  $("#g-meta").textContent = `${f ? `组族“${familyNames.get(f.id)}”：` : ""}共 ${items.length} 组，覆盖 ${items.reduce((n, g) => n + g.size, 0)} 件案件`;
  clear($("#g-table tbody"), items.length ? items.map((g) => row(g, end)) : h("tr", {}, h("td", { colspan: 7, class: "empty" }, "没有符合条件的类案组")));
}

$("#g-filters").addEventListener("input", render);
$("#g-filters").addEventListener("submit", (ev) => ev.preventDefault());

(async () => {
  try {
    // One request for the list with each group's spread over cities and months, one for all families.
    const [groups, fams] = await Promise.all([listGroups(true), listFamilies()]);
    families = new Map(fams.map((f) => [f.id, f]));
    familyNames = familyLabels(fams);
    all = groups.map((g) => ({
      ...g,
      cities: (g.spread?.cities || []).map((x) => [x.name, x.count]),
      months: (g.spread?.months || []).map((x) => [x.name, x.count]),
      date_to: g.spread?.date_to || null,
    }));
    fillFamilies();
    render();
  } catch (e) {
    clear($("#g-error"), errorBlock(e));
  }
})();
