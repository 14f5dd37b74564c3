// 信访人: every case of one petitioner (by keyed hash, masked), with links, stage and rating.
import { api } from "./api.js";
import { RATING_COLORS } from "./handling.js";
import { evidenceWords } from "./repeat_evidence.js";
import { $, badge, clear, errorBlock, fmtTime, h, statusBadge } from "./ui.js";

const root = $("#pt-root");
const key = root.dataset.key;

function stat(k, v, d) {
  return h("div", { class: "stat" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v), h("div", { class: "d muted" }, d || "\u00a0"));
}

function row(item) {
  const c = item.case;
  const links = item.links || [];
  return h("tr", { dataset: { caseId: c.id } },
    h("td", { class: "nowrap" }, h("a", { href: `/cases/${c.id}` }, c.external_no)),
    h("td", { class: "clip fill", title: c.title || "" }, c.title || c.content.slice(0, 40)),
    h("td", { class: "nowrap" }, c.city || "—"),
    h("td", { class: "nowrap" }, c.received_date),
    h("td", { class: "nowrap" }, c.stage_label ? badge(c.stage_label, c.overdue ? "red" : "blue") : statusBadge(c.status, c.status_label)),
    h("td", { class: "nowrap" }, item.rating_label ? badge(item.rating_label, RATING_COLORS[item.rating] || "") : "—"),
    h("td", { class: "small" }, links.length
      ? links.map((l, i) => [i ? "、" : "", l.label || l.kind, " ", h("a", { href: `/cases/${l.other_id}`, title: `识别依据：${evidenceWords(l)}` }, l.other_external_no || `#${l.other_id}`)])
      : "—"));
}

(async () => {
  try {
    const p = await api(`/api/petitioners/${encodeURIComponent(key)}`);
    $("#pt-title").textContent = `信访人 ${p.petitioner_name || ""}`.trim();
    $("#pt-sub").textContent = `匿名键 ${p.petitioner_ref} · 个人信息已脱敏`;
    document.title = "信访人 · 类案研判平台";
    clear($("#pt-stats"),
      stat("来信件数", p.case_count),
      stat("重复信访", p.repeat_count, "被关联为重复信访的件数"),
      stat("首次来信", p.first_date),
      stat("最近来信", p.last_date));
    $("#pt-meta").textContent = `${p.cases.length} 件，按受理日期`;
    clear($("#pt-cases tbody"), p.cases.map(row));
    $("#pt-history-card").hidden = !p.link_history.length;
    clear($("#pt-history"), p.link_history.map((e) => h("li", {}, h("time", {}, fmtTime(e.at)),
      `${e.actor} · ${e.action_label} `, h("a", { href: `/cases/${e.case_id}` }, `#${e.case_id}`), " ↔ ",
      h("a", { href: `/cases/${e.other_id}` }, `#${e.other_id}`), e.note ? `：${e.note}` : "")));
  } catch (e) {
    clear(root, errorBlock(e));
  }
})();
