// 案件研判: search by text or by case, with suggestions, guidance, warnings; the case list below.
import { api, ApiError, optional } from "./api.js";
import { caseRow, fillFacets, guidanceBlock, hitItem, suggestionBlock } from "./common.js";
import { evidenceWords } from "./repeat_evidence.js";
import { $, badge, can, clear, errorBlock, h } from "./ui.js";

const form = $("#query-form");
const text = $("#q-text");
const filtersForm = $("#filters");
// The filter controls are rendered from the field table; multi-value ones get their options from facets.
const controls = [...filtersForm.querySelectorAll("[data-kind]")];
const selects = Object.fromEntries(controls.filter((el) => el.dataset.kind === "multi").map((el) => [el.dataset.field, el]));
const PAGE = 20;
let offset = 0;
let current = null; // { text } or { case_id }

function filters() {
  const out = {};
  for (const el of controls) {
    if (!el.value) continue;
    const kind = el.dataset.kind;
    out[el.name] = kind === "multi" ? [el.value] : kind === "boolean" ? el.value === "true" : el.value;
  }
  return out;
}

async function loadList() {
  const f = filters();
  const query = { ...f, limit: PAGE, offset };
  const tbody = $("#recent tbody");
  try {
    const page = await api("/api/cases", { query });
    clear(tbody, page.items.length ? page.items.map(caseRow) : h("tr", {}, h("td", { colspan: 8, class: "empty" }, "没有符合条件的案件")));
    $("#recent-meta").textContent = `共 ${page.total} 件`;
    // The example number is a real one from the data: registries number cases their own way.
    if (page.items.length) $("#q-external").placeholder = `如 ${page.items[0].external_no}`;
    const pager = clear($("#recent-pager"));
    if (page.total > PAGE) {
      pager.append(
        h("button", { class: "btn small", disabled: offset === 0, onclick: () => { offset -= PAGE; loadList(); } }, "上一页"),
        h("span", { class: "muted" }, `${offset + 1}–${Math.min(offset + PAGE, page.total)} / ${page.total}`),
        h("button", { class: "btn small", disabled: offset + PAGE >= page.total, onclick: () => { offset += PAGE; loadList(); } }, "下一页"),
      );
    }
  } catch (e) {
    clear(tbody, h("tr", {}, h("td", { colspan: 8 }, errorBlock(e))));
  }
}

function alertBox(color, title, body) {
  return h("div", { class: `alert ${color}`, role: "alert" }, h("strong", {}, title), h("div", {}, body));
}

async function warnings(query, hits) {
  const box = clear($("#alerts"));
  if (query.case_id && can("workflow:read")) {
    const wf = await optional(`/api/workflow/cases/${query.case_id}`).catch(() => null);
    if (wf) {
      for (const link of wf.links || []) {
        if (link.kind === "repeat") {
          box.append(alertBox("red", "重复信访", [`同一信访人就同一事项再次信访（${link.label || "重复信访"}），前案 `,
            h("a", { href: `/cases/${link.other_id}` }, link.other_external_no || `#${link.other_id}`), "。请核查前案办理情况，避免重复交办。", h("div", { class: "small" }, `识别依据：${evidenceWords(link)}`)]));
        }
      }
      if (wf.later_repeats) box.append(alertBox("amber", "后续重复", `此案之后已有 ${wf.later_repeats} 件重复信访。`));
      if (wf.litigation && wf.litigation.status !== "dismissed") {
        box.append(alertBox("red", "涉法涉诉", `识别为涉法涉诉信访（${wf.litigation.status_label || wf.litigation.status}），应导入政法渠道依法处理。`));
      }
    }
  }
  const source = query.source;
  if (source?.litigation && !box.querySelector(".alert.red")) {
    box.append(alertBox("red", "涉法涉诉", "此案标记为涉法涉诉，应按诉访分离导入政法渠道。"));
  }
  const lit = hits.slice(0, 5).filter((x) => x.case.litigation).length;
  if (lit >= 2) box.append(alertBox("amber", "疑似涉法涉诉", `最相似的 5 件中有 ${lit} 件为涉法涉诉案件，请核查是否涉及诉讼、执行或公安司法程序。`));
  const same = hits.filter((x) => source && x.case.petitioner_ref && x.case.petitioner_ref === source.petitioner_ref);
  if (same.length && !box.textContent.includes("重复信访")) {
    box.append(alertBox("red", "重复信访", ["同一信访人另有 ", String(same.length), " 件相似信访：",
      same.map((x, i) => [i ? "、" : "", h("a", { href: `/cases/${x.case.id}` }, x.case.external_no)]), "。请核查是否重复信访，避免重复交办。"]));
  }
}

async function run(query) {
  current = query;
  const submit = $("#q-submit");
  submit.disabled = true;
  submit.textContent = "研判中…";
  clear($("#alerts"));
  const body = { ...query, filters: filters(), k: 10 };
  delete body.source;
  try {
    const [res, suggest, guide] = await Promise.all([
      api("/api/search", { method: "POST", body }),
      can("workflow:read") ? optional("/api/workflow/route", { method: "POST", body: query.case_id ? { case_id: query.case_id } : { text: query.text } }).catch(() => null) : null,
      can("modelcases:read") ? optional("/api/modelcases/guidance", { method: "POST", body: query.case_id ? { case_id: query.case_id, k: 3 } : { text: query.text, k: 3 } }).catch(() => null) : null,
    ]);
    $("#results").hidden = false;
    const allLow = res.hits.length > 0 && res.hits.every((x) => x.low_relevance);
    $("#hits-meta").textContent = !res.hits.length ? "" : allLow ? "所有结果均相关度较低，可能没有真正相似的案件" : `按相关度排序，前 ${res.hits.length} 件`;
    const asked = query.case_id ? { case_id: query.case_id } : { text: query.text };
    clear($("#hits"), res.hits.length ? res.hits.map((x, i) => hitItem(x, i + 1, asked)) : h("li", { class: "empty" }, "没有找到相似案件，可放宽筛选条件后重试"));
    clear($("#suggest"), suggestionBlock(suggest));
    clear($("#models"), guidanceBlock(guide, res.query_terms, asked));
    await warnings(query, res.hits);
    window.scrollTo({ top: 0 });
  } catch (e) {
    clear($("#alerts"), errorBlock(e));
  } finally {
    submit.disabled = false;
    submit.textContent = "研判";
  }
}

function showSource(c) {
  clear(
    $("#source"),
    h("section", { class: "card source" },
      h("div", { class: "card-head" },
        h("h2", { class: "card-title" }, "当前案件：", h("a", { href: `/cases/${c.id}` }, c.title || c.external_no)),
        h("span", { class: "muted small" }, `${c.external_no} · ${c.received_date}`)),
      h("div", { class: "badges" }, [c.city, c.department, c.category].filter(Boolean).map((x) => badge(x, "outline")), badge(c.status_label)),
      h("p", { class: "hit-snippet" }, c.content)),
  );
}

async function openCase(caseId) {
  try {
    const c = await api(`/api/cases/${caseId}`);
    showSource(c);
    await run({ case_id: c.id, source: c });
  } catch (e) {
    clear($("#alerts"), errorBlock(e));
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = text.value.trim();
  if (!value) { text.focus(); return; }
  clear($("#source"));
  history.replaceState(null, "", "/");
  run({ text: value });
});
text.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    form.requestSubmit();
  }
});
$("#q-clear").addEventListener("click", () => {
  text.value = "";
  current = null;
  for (const id of ["#source", "#alerts", "#hits", "#suggest", "#models"]) clear($(id));
  $("#results").hidden = true;
  history.replaceState(null, "", "/");
  text.focus();
});
$("#open-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const no = $("#q-external").value.trim();
  if (!no) return;
  try {
    const c = await api(`/api/cases/by-external/${encodeURIComponent(no)}`);
    history.replaceState(null, "", `/?case=${c.id}`);
    showSource(c);
    await run({ case_id: c.id, source: c });
  } catch (e) {
    clear($("#alerts"), errorBlock(e instanceof ApiError && e.status === 404 ? { message: `登记编号 ${no} 不存在或不在您的管辖范围` } : e));
  }
});
filtersForm.addEventListener("change", () => {
  offset = 0;
  loadList();
  if (current) run(current);
});
filtersForm.addEventListener("reset", () => setTimeout(() => filtersForm.dispatchEvent(new Event("change")), 0));

(async () => {
  await fillFacets(selects).catch(() => null);
  const params = new URLSearchParams(location.search);
  if (params.get("case")) openCase(Number(params.get("case")));
  else if (params.get("q")) { text.value = params.get("q"); form.requestSubmit(); }
  loadList();
})();
