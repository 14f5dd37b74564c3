// Shared pieces of the handling pages (queue, inbox, case panels): deadline badges, unit choices.
import { optional } from "./api.js";
import { badge, h } from "./ui.js";

// 已超期 / 即将超期 beside a due date, from the API's own flags (never computed from the browser clock).
export function deadlineBadge(item) {
  if (item.overdue) return badge("已超期", "red");
  if (item.near_due) return badge("即将超期", "amber");
  return null;
}

export function dueCell(date, label, item) {
  return h("span", { class: "nowrap" }, label ? `${label} ` : "", date || "—", " ", deadlineBadge(item || {}));
}

let unitsPromise = null;

// The unit catalogue (GET /api/units) as a <datalist>; free text still works when it is missing.
export function unitList(id = "units-list") {
  if (!unitsPromise) unitsPromise = optional("/api/units").catch(() => null);
  const list = h("datalist", { id });
  unitsPromise.then((units) => {
    for (const u of units || []) list.append(h("option", { value: u.name }, u.kind_label ? `${u.name}（${u.kind_label}）` : u.name));
  });
  return list;
}

export function ensureUnitList(id = "units-list") {
  if (!document.getElementById(id)) document.body.append(unitList(id));
  return id;
}

export const RATINGS = [
  { value: "satisfied", label: "满意" },
  { value: "basically_satisfied", label: "基本满意" },
  { value: "unsatisfied", label: "不满意" },
];
export const METHODS = [
  { value: "phone", label: "电话" },
  { value: "visit", label: "上门" },
  { value: "sms", label: "短信" },
];
export const RATING_COLORS = { satisfied: "green", basically_satisfied: "blue", unsatisfied: "red" };
