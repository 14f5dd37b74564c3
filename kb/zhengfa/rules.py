"""The rules of the 诉访分离 hand-over as tables: body types, the 查/纠/解/退 steps, the checklist.

A referral starts ``referred`` (已移交待核查); the receiving 政法 unit records 核查 (check), then 纠错
(correct) and / or 化解 (resolve), and 依法终结 (conclude); or 退回 (return, with a reason) before it
has corrected or resolved anything. ``STEPS`` is the one table: labels, the statuses each step may
start from, the status it leads to, the text it needs. Everything else (allowed next steps, refusals,
docs/workflow.md) reads it. Pure functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.errors import FieldProblem, InvalidInputError

# Kinds of 政法 body, by what their catalog name contains (kb/units: kind ``zhengfa_body``).
BODY_TYPES: tuple[tuple[str, str, str], ...] = (
    ("court", "法院", "人民法院"),
    ("procuratorate", "检察院", "人民检察院"),
    ("police", "公安", "公安机关"),
    ("justice", "司法", "司法行政机关"),
)

STATUS_LABELS = {
    "referred": "已移交待核查",
    "checked": "已核查",
    "corrected": "已纠错",
    "resolved": "已化解",
    "returned": "已退回",
    "concluded": "已依法终结",
}
OPEN_STATUSES = frozenset({"referred", "checked", "corrected", "resolved"})
# A referral is answered (反馈) by its first 纠错, 化解, 退回 or 依法终结; 核查 alone is not feedback.
FEEDBACK_ACTIONS = frozenset({"correct", "resolve", "return", "conclude"})


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    needs: str  # the text it requires
    needs_label: str


STEPS: tuple[Step, ...] = (
    Step("check", "核查", frozenset({"referred"}), "checked", "text", "核查情况"),
    Step("correct", "纠错", frozenset({"checked"}), "corrected", "text", "纠错内容"),
    Step("resolve", "化解", frozenset({"checked", "corrected"}), "resolved", "text", "化解情况"),
    Step("return", "退回", frozenset({"referred", "checked"}), "returned", "text", "退回理由"),
    Step("conclude", "依法终结", frozenset({"checked", "corrected", "resolved"}), "concluded", "text", "终结意见"),
)
BY_ACTION = {s.action: s for s in STEPS}
ACTION_LABELS = {"refer": "移交", **{s.action: s.label for s in STEPS}}

# 三到位一处理: what each item means (docs/workflow.md).
CHECKLIST: dict[str, str] = {
    "reasonable": "诉求合理的解决问题到位",
    "unreasonable": "诉求无理的思想教育到位",
    "hardship": "生活困难的帮扶救助到位",
    "illegal": "行为违法的依法处理",
}
AID_DECISIONS = {"granted": "予以救助", "partly": "部分救助", "refused": "不予救助"}
MAX_TEXT = 4000
MAX_AMOUNT = 10_000_000.0


def body_type(name: str) -> tuple[str, str] | None:
    """(type, label) of a 政法 body from its name: court / procuratorate / police / justice."""
    for key, marker, label in BODY_TYPES:
        if marker in name:
            return key, label
    return None


def allowed(status: str) -> list[Step]:
    return [s for s in STEPS if status in s.sources]


def allowed_text(status: str) -> str:
    steps = allowed(status)
    return "可执行：" + "、".join(s.label for s in steps) if steps else "该移交已结束，没有可执行的步骤"


def decide(action: str, status: str, text: str | None) -> Step:
    """The step ``action`` from ``status``, or InvalidInputError naming the allowed next steps."""
    step = BY_ACTION.get(action)
    if step is None:
        raise InvalidInputError([FieldProblem("action", f"未知的步骤“{action}”；{allowed_text(status)}")])
    if status not in step.sources:
        problem = f"当前状态为“{STATUS_LABELS[status]}”，不能{step.label}；{allowed_text(status)}"
        raise InvalidInputError([FieldProblem("action", problem)])
    clean = (text or "").strip()
    if not clean:
        raise InvalidInputError([FieldProblem("text", f"{step.label}须填写{step.needs_label}")])
    if len(clean) > MAX_TEXT:
        raise InvalidInputError([FieldProblem("text", f"{step.needs_label}不能超过 {MAX_TEXT} 字")])
    return step


def checklist_gaps(current: dict[str, tuple[bool, bool]]) -> list[str]:
    """Why the checklist does not yet allow 依法终结: no item applies, or an applicable item is not done."""
    applying = {k: done for k, (applies, done) in current.items() if applies}
    if not applying:
        return ["三到位一处理清单尚未填写（至少一项适用）"]
    return [f"“{CHECKLIST[k]}”尚未到位" for k, done in applying.items() if not done]
