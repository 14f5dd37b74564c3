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

// With spread: each group's cases per city and month in the same response (one request).
export const listGroups = (spread = false) => api("/api/groups", { query: { spread: spread || undefined } });
// Group families (the issue type above matter-level groups): all of them in one request.
export const listFamilies = () => api("/api/group-families");
export const getFamily = (id) => api(`/api/group-families/${id}`);
export const familyHref = (id) => `/groups?family=${id}`;
// A family is named by its dominant category, which several families can share: then add its number.
export function familyLabels(families) {
  const seen = new Map();
  for (const f of families) seen.set(f.name, (seen.get(f.name) || 0) + 1);
  return new Map(families.map((f) => [f.id, seen.get(f.name) > 1 ? `${f.name} #${f.id}` : f.name]));
}
export const groupOfCase = (caseId) => api(`/api/groups/by-case/${caseId}`);
export const getProfile = (id) => api(`/api/groups/${id}/profile`);

export async function members(id, limit = 500) {
  const page = await api(`/api/groups/${id}/members`, { query: { limit } });
  return page.items;
}

export const actions = {
  rename: (id, name) => api(`/api/groups/${id}/rename`, { method: "POST", body: { name } }),
  lock: (id, locked) => api(`/api/groups/${id}/lock`, { method: "POST", body: { locked } }),
  merge: (id, other) => api(`/api/groups/${id}/merge`, { method: "POST", body: { sources: [Number(other)] } }),
  split: (id, caseIds, name) => api(`/api/groups/${id}/split`, { method: "POST", body: { case_ids: caseIds, name } }),
  startBatch: (id, lead, note) => api(`/api/groups/${id}/batch`, { method: "POST", body: { lead_department: lead, policy_note: note } }),
  undo: (id) => api(`/api/groups/${id}/undo`, { method: "POST" }),
};

export function groupState(g) {
  return h("span", { class: "badges" },
    g.locked ? badge("已锁定", "") : null,
    g.batch_status === "decided" ? badge("已决定", "green") : g.batch_status === "handling" ? badge("批量处理中", "amber") : badge("待审查", "blue"),
    g.state && g.state !== "active" ? badge(g.state === "merged" ? "已合并" : g.state === "retired" ? "已撤销" : g.state) : null);
}
