// The group endpoints the pages use (api/routes/groups.py), in one place.
import { api } from "./api.js";
import { badge, h } from "./ui.js";

// [{name, count}] -> [[name, count]]
export const pairs = (list) => (list || []).map((e) => [e.name, e.count]);

export function countBy(cases, key) {
  const out = new Map();
  for (const c of cases) {
    const k = key(c);
    if (k) out.set(k, (out.get(k) || 0) + 1);
  }
  return [...out.entries()];
}

export const listGroups = () => api("/api/groups");
export const getProfile = (id) => api(`/api/groups/${id}/profile`);

export async function members(id, limit = 500) {
  const page = await api(`/api/groups/${id}/members`, { query: { limit } });
  return page.items;
}

// Run ``fn`` over ``items`` with at most ``n`` requests in flight.
export async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]).catch(() => null);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

export const actions = {
  rename: (id, name) => api(`/api/groups/${id}/rename`, { method: "POST", body: { name } }),
  lock: (id, locked) => api(`/api/groups/${id}/lock`, { method: "POST", body: { locked } }),
  merge: (id, other) => api(`/api/groups/${id}/merge`, { method: "POST", body: { sources: [Number(other)] } }),
  split: (id, caseIds, name) => api(`/api/groups/${id}/split`, { method: "POST", body: { case_ids: caseIds, name } }),
  startBatch: (id, lead, note) => api(`/api/groups/${id}/batch`, { method: "POST", body: { lead_department: lead, policy_note: note } }),
  decide: (id, decision, status) => api(`/api/groups/${id}/decision`, { method: "POST", body: { decision, status } }),
};

export const EDIT_LABELS = {
  rename: "重命名", merge: "合并", merged: "并入", split: "拆分", lock: "锁定", unlock: "解锁", move: "移入案件", unassign: "移回未归组",
  batch: "启动批量处理", decision: "批量决定", new: "新发现", kept: "重新发现后保留", retired: "撤销",
};

export function groupState(g) {
  return h("span", { class: "badges" },
    g.locked ? badge("已锁定", "") : null,
    g.batch_status === "decided" ? badge("已决定", "green") : g.batch_status === "handling" ? badge("批量处理中", "amber") : badge("待审查", "blue"),
    g.state && g.state !== "active" ? badge(g.state === "merged" ? "已合并" : g.state === "retired" ? "已撤销" : g.state) : null);
}
