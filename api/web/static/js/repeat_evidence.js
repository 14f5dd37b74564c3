// Why a case was linked as a repeat, in words (kb/workflow/repeats.py evidence(): the items are
// already Chinese, e.g. 同一信访人、复访用语“再次”、同类别同地区（…）、同一被反映对象与金额（…）).
import { h } from "./ui.js";

// Links that carry no evidence list: what the detector matched on for that kind.
const KIND_BASIS = {
  exact: "同一内容重复提交（去除标点后全文相同）",
  joint: "不同信访人、内容几乎相同（疑似联名）",
  repeat: "同一信访人、同一事项",
};

export function evidenceWords(l) {
  if (l.manual) return l.note ? `人工关联：${l.note}` : "人工关联";
  const items = (l.evidence || []).filter(Boolean);
  return items.length ? items.join("；") : KIND_BASIS[l.kind] || "—";
}

export const evidenceCell = (l) => h("td", { class: "small evidence" }, evidenceWords(l));
