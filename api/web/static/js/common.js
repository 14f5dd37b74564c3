// Pieces several pages share: facet options, case rows, hit cards, suggestion and guidance blocks.
import { api } from "./api.js";
import { markButtons } from "./feedback.js";
import { badge, fmtPct, h, highlight, snippet, statusBadge } from "./ui.js";

export async function fillFacets(selects) {
  const facets = await api("/api/facets");
  for (const [name, select] of Object.entries(selects)) {
    for (const { value, count } of facets[name] || []) {
      if (value === null || value === "") continue;
      const label = name === "status" ? (STATUS_NAMES[value] || value) : value;
      select.append(h("option", { value }, `${label}（${count}）`));
    }
  }
  return facets;
}

const STATUS_NAMES = { pending: "待办", in_progress: "办理中", resolved: "已化解", unresolved: "未化解", closed: "已办结" };

export function caseBadges(c) {
  return h(
    "span",
    { class: "badges" },
    statusBadge(c.status, c.status_label),
    c.city ? badge(c.city, "outline") : null,
    c.department ? badge(c.department, "outline") : null,
    c.category ? badge(c.category, "blue") : null,
    c.litigation ? badge("涉法涉诉", "red") : null,
  );
}

// A case table row that never wraps at 1366 px: short columns stay on one line, the title takes the
// remaining width and is cut with an ellipsis (full text in its tooltip).
export function caseRow(c) {
  const short = (text) => h("td", { class: "short", title: text || "" }, text || "—");
  return h(
    "tr",
    { dataset: { caseId: c.id } },
    h("td", { class: "nowrap" }, h("a", { href: `/cases/${c.id}` }, c.external_no)),
    h("td", { class: "clip fill", title: c.title || "" }, c.title || c.content.slice(0, 40)),
    h("td", { class: "nowrap" }, c.city || "—"),
    short(c.department),
    short(c.category),
    h("td", { class: "nowrap" }, c.received_date),
    h("td", { class: "nowrap" }, statusBadge(c.status, c.status_label), c.overdue ? [" ", badge("已超期", "red")] : null,
      c.litigation ? [" ", badge("涉诉", "red")] : null),
    h("td", { class: "nowrap" }, h("a", { href: `/?case=${c.id}`, class: "small" }, "研判")),
  );
}

// query (optional): the search's { text } or { case_id }, for the 相关 / 不相关 marks.
export function hitItem(hit, rank, query = null) {
  const c = hit.case;
  const terms = hit.matched_terms || [];
  const pct = Math.max(0, Math.min(1, hit.dense_score ?? hit.score));
  return h(
    "li",
    { class: hit.low_relevance ? "hit low" : "hit", dataset: { caseId: c.id, externalNo: c.external_no } },
    h("div", { class: "hit-rank" }, rank),
    h(
      "div",
      {},
      h("a", { class: "hit-title", href: `/cases/${c.id}` }, highlight(c.title || c.external_no, terms)),
      hit.low_relevance ? [" ", badge("相关度较低", "amber")] : null,
      h("div", { class: "hit-meta" }, caseBadges(c), h("span", { class: "muted small" }, `  ${c.external_no} · ${c.received_date}`)),
      h("p", { class: "hit-snippet" }, highlight(snippet(c.content, terms), terms)),
      hit.reasons?.length ? h("ul", { class: "hit-reasons" }, hit.reasons.map((r) => h("li", {}, r))) : null,
      markButtons("case", c.id, query, hit.my_mark ?? null),
    ),
    h(
      "div",
      { class: "score" },
      "语义相似度",
      h("strong", {}, hit.dense_score === null || hit.dense_score === undefined ? "—" : fmtPct(hit.dense_score, 0)),
      h("div", { class: "meter", "aria-hidden": "true" }, h("span", { style: `width:${(pct * 100).toFixed(0)}%` })),
      hit.lexical_score ? h("div", {}, `词项得分 ${hit.lexical_score.toFixed(1)}`) : null,
    ),
  );
}

const TARGET_LABELS = { department: "责任部门", city: "属地" };

export function suggestionBlock(found) {
  if (!found) return h("p", { class: "empty" }, "交办建议服务未启用");
  return Object.entries(found).map(([target, s]) => [
    h(
      "div",
      { class: "suggest-row" },
      h("span", { class: "lbl" }, TARGET_LABELS[target] || target),
      h(
        "span",
        { class: "val" },
        s.value || "无法建议",
        " ",
        s.conflict ? badge("文中地名与模型不一致", "amber") : s.place ? badge("依据文中地名", "green") : s.value ? badge(s.low_confidence ? "仅供参考" : "建议", s.low_confidence ? "amber" : "green") : null,
      ),
      h("span", { class: "num" }, s.value ? fmtPct(s.confidence, 0) : ""),
    ),
    s.value ? h("div", { class: "meter", "aria-label": `置信度 ${fmtPct(s.confidence, 0)}` }, h("span", { style: `width:${(s.confidence * 100).toFixed(0)}%` })) : null,
    // The API's alternatives already leave out the top value: all of them are runners-up.
    s.alternatives?.length
      ? h("p", { class: "alts" }, "备选：", s.alternatives.slice(0, 3).map(([v, p]) => `${v} ${fmtPct(p, 0)}`).join("，"))
      : null,
    // The message repeats the suggestion when confident; it matters when the router hesitates.
    s.message && (s.low_confidence || !s.value || s.place) ? h("p", { class: "alts suggest-note" }, s.message) : null,
  ]);
}

// query (optional): the look-up's { text } or { case_id }, for the 相关 / 不相关 marks.
export function guidanceBlock(resp, terms = [], query = null) {
  if (!resp) return h("p", { class: "empty" }, "典型案例库未启用");
  if (!resp.hits.length) return h("p", { class: "empty" }, "暂无匹配的已发布典型案例");
  return resp.hits.slice(0, 2).map((hit) => {
    const m = hit.model_case;
    const steps = m.guidance?.steps || [];
    return h(
      "article",
      { class: hit.low_relevance ? "mc low" : "mc", dataset: { modelCaseId: m.id } },
      h("a", { class: "mc-title", href: `/modelcases/${m.id}` }, highlight(m.title, hit.matched_terms || terms)),
      " ",
      badge(m.authority, m.authority === "指导性" ? "red" : "blue"),
      hit.low_relevance ? [" ", badge("相关度较低", "amber")] : null,
      h("div", { class: "muted small" }, [m.code, m.lead_department, m.category].filter(Boolean).join(" · ")),
      steps.length ? h("ol", { class: "steps" }, steps.slice(0, 3).map((s) => h("li", {}, s))) : null,
      h("a", { class: "small", href: `/modelcases/${m.id}` }, `查看完整操作指引（${steps.length} 步）→`),
      markButtons("modelcase", m.id, query, hit.my_mark ?? null),
    );
  });
}
