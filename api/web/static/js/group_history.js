// A group's history in words: reviewer edits and discovery lineage, each naming the OTHER group
// involved (with a link), never this page's own group.
import { fmtTime, h, STATUS_LABELS } from "./ui.js";

const groupLink = (id) => h("a", { href: `/groups/${id}` }, `类案组 #${id}`);
const caseLink = (id) => h("a", { href: `/cases/${id}` }, `案件 #${id}`);

const UNDONE = { rename: "重命名", lock: "锁定", unlock: "解锁", merge: "合并", split: "拆分", move: "移入案件", unassign: "移回未归组" };

function sources(d) {
  if (Array.isArray(d.sources)) return d.sources;
  return d.source !== undefined && d.source !== null ? [d.source] : [];
}

// One edit (group_edits row) of this group as a list of text and links.
export function editText(e) {
  const d = e.detail || {};
  switch (e.kind) {
    case "rename": return [`重命名为「${d.name || ""}」`];
    case "lock": return ["锁定（重新发现不改动本组）"];
    case "unlock": return ["解除锁定"];
    case "merge": {
      const ids = sources(d);
      const counts = d.counts || {};
      return ["合并：", ids.map((id, i) => [i ? "、" : "", groupLink(id), counts[id] !== undefined ? `（${counts[id]} 件）` : ""]), " 并入本组",
        d.cases !== undefined ? `，共移入 ${d.cases} 件` : ""];
    }
    case "split": return [`拆分：${(d.cases || []).length} 件案件拆出为新组 `, d.new_group ? groupLink(d.new_group) : "（新组）"];
    case "move": return ["移入 ", caseLink(d.case_id), d.from_group ? ["（原属 ", groupLink(d.from_group), "）"] : "（原在未归组）"];
    case "unassign": return [caseLink(d.case_id), " 移回未归组"];
    case "batch_start": return ["启动批量处理", d.lead_department ? `，牵头部门：${d.lead_department}` : ""];
    case "decision": return ["作出批量决定", d.status ? `，成员案件改为${STATUS_LABELS[d.status] || d.status}` : ""];
    case "undo": return [`撤销上一步：${UNDONE[d.undone] || d.undone || "操作"}`];
    default: return ["其他操作"];
  }
}

// One lineage row as seen from ``groupId``: the related group is whichever side is not this page.
export function lineageText(l, groupId) {
  const self = l.group_id === groupId;
  const other = self ? l.other_id : l.group_id;
  const link = other ? groupLink(other) : null;
  const byRun = l.run_id ? "重新发现：" : "";
  switch (l.kind) {
    case "new": return [`${byRun}新发现本组`];
    case "split": return self ? [`${byRun}从 `, link || "其他组", " 拆出为本组"] : [`${byRun}拆出新组 `, link];
    case "merged": return self ? [`${byRun}本组并入 `, link || "其他组"] : [`${byRun}`, link, " 并入本组"];
    case "restored": return self ? ["撤销合并：本组从 ", link, " 恢复"] : ["撤销合并：", link, " 恢复为独立类案组"];
    case "retired": return [`${byRun}本组撤销（成员回到未归组）`];
    default: return ["其他变化"];
  }
}

// Lineage rows a reviewer's own edit on this page already describes are left out (no duplicates).
function mirrored(l, groupId) {
  return !l.run_id && l.other_id === groupId && (l.kind === "merged" || l.kind === "split" || l.kind === "restored");
}

export function historyItems(history, groupId) {
  const events = [
    ...(history.edits || []).map((e) => ({ at: e.created_at, actor: e.actor, parts: editText(e), kind: e.kind })),
    ...(history.lineage || []).filter((l) => !mirrored(l, groupId)).map((l) => ({ at: l.created_at, actor: l.actor, parts: lineageText(l, groupId), kind: l.kind })),
  ].sort((a, b) => String(b.at).localeCompare(String(a.at)));
  return events.map((e) => h("li", { dataset: { kind: e.kind } }, h("time", {}, fmtTime(e.at)), `${e.actor} · `, e.parts));
}
