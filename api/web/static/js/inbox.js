// 收件箱: the user's items, unread first; opening one marks it read; counts in the nav follow.
import { api } from "./api.js";
import { $, badge, clear, errorBlock, fmtTime, h } from "./ui.js";

const KIND_COLORS = { sign: "blue", returned: "amber", near_due: "amber", overdue: "red" };
let items = [];

async function markRead(keys) {
  if (!keys.length) return;
  await api("/api/inbox/read", { method: "POST", body: { keys } });
  document.dispatchEvent(new Event("inbox:changed"));
}

function item(it) {
  const color = KIND_COLORS[it.kind] || (it.kind.includes("overdue") ? "red" : "");
  const open = async (ev) => {
    ev.preventDefault();
    try { if (!it.read) await markRead([it.key]); } catch { /* opening the case matters more */ }
    location.assign(`/cases/${it.case_id}`);
  };
  return h("li", { class: it.read ? "inbox-item read" : "inbox-item unread", dataset: { key: it.key, kind: it.kind } },
    h("div", { class: "inbox-kind" }, badge(it.kind_label, color)),
    h("div", { class: "inbox-body" },
      h("a", { href: `/cases/${it.case_id}`, class: "inbox-title", onclick: open }, it.title),
      h("div", { class: "small" }, it.detail),
      h("div", { class: "muted small" }, [it.unit, it.due ? `期限 ${it.due}` : null].filter(Boolean).join(" · "))),
    h("div", { class: "inbox-side muted small" }, fmtTime(it.created_at), it.read ? null : h("span", { class: "dot", title: "未读" }, "未读")));
}

function render() {
  const kind = $("#ib-kind").value;
  const unread = $("#ib-unread").value === "1";
  const shown = items.filter((it) => (!kind || it.kind === kind) && (!unread || !it.read));
  const n = items.filter((it) => !it.read).length;
  $("#ib-meta").textContent = `共 ${items.length} 条，未读 ${n} 条`;
  clear($("#ib-list"), shown.length ? shown.map(item) : h("li", { class: "empty" }, "没有事项"));
}

async function load() {
  try {
    items = await api("/api/inbox");
    const kinds = new Map(items.map((it) => [it.kind, it.kind_label]));
    const select = $("#ib-kind");
    const chosen = select.value;
    clear(select, h("option", { value: "" }, "全部类别"), [...kinds].map(([k, label]) => h("option", { value: k, selected: k === chosen }, label)));
    render();
  } catch (e) {
    clear($("#ib-error"), errorBlock(e));
  }
}

$("#ib-filters").addEventListener("change", render);
$("#ib-filters").addEventListener("submit", (ev) => ev.preventDefault());
$("#ib-read-all").addEventListener("click", async () => {
  try {
    await markRead(items.filter((it) => !it.read).map((it) => it.key));
    await load();
  } catch (e) {
    clear($("#ib-error"), errorBlock(e));
  }
});

load();
