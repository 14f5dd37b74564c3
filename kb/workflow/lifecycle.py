"""The case lifecycle of the Petition Work Regulations as ONE table of transitions, and its rules.

登记 → 受理（办理中）| 不予受理 → 已答复 → 复查中 → 复查已答复 → 复核中 → 复核已答复 → 终结.

Each row of ``TRANSITIONS`` says, for one action: its Chinese label, the stages it may start from,
the stage it leads to, the inputs it requires, the due date it sets (a ``DueRule`` naming its
setting), the request window it opens for the petitioner, and any time condition (``Guard``).
Everything else — the allowed next steps, the refusal messages, the due dates, docs/workflow.md —
reads this table. ``START`` says where an imported case begins, by its imported status.

Due dates are the bureau's: ``cases.due_date`` is set while the stage is open (``OPEN_STAGES``: it
owes the next step) and cleared otherwise. The petitioner's request windows (复查 / 复核 within 30
days) are kept on the transition that opened them (``request_until``) and decide when 复查申请 is
still possible and when 终结 is.

``status`` stays the 化解 outcome; the lifecycle touches it twice: 受理 moves 待办 to 办理中, 终结 sets
已办结 unless the case is 已化解.

Pure functions only; the service (``lifecycle_service.py``) reads and writes through the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from kb.errors import FieldProblem, InvalidInputError
from kb.fields import OPEN_STAGES, STAGE_LABELS, Stage, Status
from kb.settings import Settings

Guard = Literal["before_due", "once", "in_window", "window_closed"]
Need = Literal["reason", "text", "approver"]
DueKind = Literal["acceptance", "handling", "review", "recheck"]

DUE_KIND_LABELS: dict[str, str] = {
    "acceptance": "受理期限",
    "handling": "办理期限",
    "review": "复查期限",
    "recheck": "复核期限",
}
# The due date of each open stage is of this kind.
DUE_KIND_OF_STAGE: dict[Stage, DueKind] = {
    Stage.registered: "acceptance",
    Stage.accepted: "handling",
    Stage.review_requested: "review",
    Stage.recheck_requested: "recheck",
}
NEED_LABELS: dict[str, str] = {"reason": "理由", "text": "文书内容", "approver": "批准人"}
MAX_REASON, MAX_TEXT, MAX_APPROVER = 2000, 20000, 64
# Actions that put a case into the lifecycle (no "from" stage): an import, or the upgrade to migration 10.
ENTRY_ACTIONS = {"import": "登记（导入）", "upgrade": "登记（系统升级）"}
# Moves made by another procedure, not offered among the allowed steps: 依法终结 of a litigation-related
# case by the 政法 unit it was referred to (kb/zhengfa), from any stage but 终结.
OUTSIDE_ACTIONS = {"legal_conclusion": "依法终结（诉访分离）"}


@dataclass(frozen=True)
class DueRule:
    """The due date a move sets: ``base`` + the ``setting``'s days.

    base: ``today`` (the move's date), ``received`` (the case's received date, on import), or
    ``current`` (the due date in force, for an extension).
    """

    kind: DueKind
    setting: str
    base: Literal["today", "received", "current"] = "today"

    def date(self, today: dt.date, received: dt.date, current: dt.date | None, days: int) -> dt.date:
        start = {"today": today, "received": received, "current": current or today}[self.base]
        return start + dt.timedelta(days=days)

    def days(self, settings: Settings) -> int:
        return int(getattr(settings, self.setting))


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[Stage]
    target: Stage
    needs: tuple[Need, ...] = ()
    due: DueRule | None = None
    # The petitioner's request window this move opens: the setting giving its days from today.
    window: str | None = None
    guard: Guard | None = None
    # What the written ``text`` is, when one is required (答复意见书 …).
    text_label: str | None = None

    def need_label(self, need: str) -> str:
        return self.text_label if need == "text" and self.text_label else NEED_LABELS[need]


def _t(*stages: Stage) -> frozenset[Stage]:
    return frozenset(stages)


S = Stage
TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", "受理", _t(S.registered), S.accepted, due=DueRule("handling", "handling_days")),
    Transition("reject", "不予受理", _t(S.registered), S.not_accepted, ("text",), guard="before_due",
               text_label="不予受理告知书"),
    Transition("extend", "延期", _t(S.accepted), S.accepted, ("reason", "approver"),
               due=DueRule("handling", "extension_days", "current"), guard="once"),
    Transition("reply", "答复", _t(S.accepted), S.replied, ("text",), window="review_request_days",
               text_label="答复意见书"),
    Transition("request_review", "复查申请", _t(S.replied), S.review_requested, ("reason",),
               due=DueRule("review", "review_days"), guard="in_window"),
    Transition("review_reply", "复查意见", _t(S.review_requested), S.reviewed, ("text",),
               window="recheck_request_days", text_label="复查意见书"),
    Transition("request_recheck", "复核申请", _t(S.reviewed), S.recheck_requested, ("reason",),
               due=DueRule("recheck", "recheck_days"), guard="in_window"),
    Transition("recheck_reply", "复核意见", _t(S.recheck_requested), S.rechecked, ("text",),
               text_label="复核意见书"),
    Transition("conclude", "终结", _t(S.replied, S.reviewed, S.rechecked), S.concluded, guard="window_closed"),
)  # fmt: skip
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
# Recorded moves that keep the stage but change the 化解 status (kb/groups/service.py, batch decisions).
RECORD_ACTIONS = {"batch_decision": "批量决定（化解状态变更）"}
ACTION_LABELS: dict[str, str] = {
    **ENTRY_ACTIONS,
    **RECORD_ACTIONS,
    **OUTSIDE_ACTIONS,
    **{t.action: t.label for t in TRANSITIONS},
}


@dataclass(frozen=True)
class Start:
    """Where an imported case begins: its stage, the due rule of that stage, or the window it is in."""

    stage: Stage
    due: DueRule | None = None
    window: str | None = None


# By imported status. A 待办 case awaits acceptance (15 days from receipt); an 办理中 one is being
# handled (60 days from receipt: the acceptance date is not known); a case with an outcome was
# answered: the 复查 window runs from its resolution date, or from the import when it has none.
START: dict[Status, Start] = {
    Status.pending: Start(S.registered, DueRule("acceptance", "acceptance_days", "received")),
    Status.in_progress: Start(S.accepted, DueRule("handling", "handling_days", "received")),
    Status.resolved: Start(S.replied, window="review_request_days"),
    Status.unresolved: Start(S.replied, window="review_request_days"),
    Status.closed: Start(S.replied, window="review_request_days"),
}


@dataclass(frozen=True)
class CaseClock:
    """What the rules need to know about one case at one moment."""

    stage: Stage
    today: dt.date
    received: dt.date
    due_date: dt.date | None
    request_until: dt.date | None  # the open request window's last day (replied / reviewed)
    extended: bool


@dataclass(frozen=True)
class Outcome:
    """What a permitted move writes."""

    transition: Transition
    to_stage: Stage
    due_date: dt.date | None
    request_until: dt.date | None


def start_of(status: str, received: dt.date, resolved: dt.date | None, today: dt.date, settings: Settings) -> Outcome:
    """The stage, due date and request window a newly imported case starts with."""
    start = START[Status(status)]
    due = start.due.date(today, received, None, start.due.days(settings)) if start.due else None
    until = None
    if start.window:
        until = (resolved or today) + dt.timedelta(days=int(getattr(settings, start.window)))
    entry = Transition("import", ENTRY_ACTIONS["import"], frozenset(), start.stage)
    return Outcome(entry, start.stage, due, until)


def blocked(t: Transition, case: CaseClock) -> str | None:
    """Why ``t`` may not run now (Chinese), or None when it may."""
    if case.stage not in t.sources:
        return f"当前阶段为“{STAGE_LABELS[case.stage]}”，不能{t.label}"
    if t.guard == "before_due" and case.due_date is not None and case.today > case.due_date:
        return f"已超过受理期限（{case.due_date.isoformat()}），不能再作出不予受理决定"
    if t.guard == "once" and case.extended:
        return "办理期限只能延长一次，本案已延期"
    if t.guard == "in_window" and case.request_until is not None and case.today > case.request_until:
        return f"申请期限已于 {case.request_until.isoformat()} 届满，不能再{t.label}"
    if t.guard == "window_closed" and case.request_until is not None and case.today <= case.request_until:
        return f"信访人可在 {case.request_until.isoformat()} 前提出{_next_request(case.stage)}，期满后方可终结"
    return None


def _next_request(stage: Stage) -> str:
    return "复核申请" if stage == S.reviewed else "复查申请"


def allowed(case: CaseClock) -> list[Transition]:
    """The moves possible now, in table order."""
    return [t for t in TRANSITIONS if blocked(t, case) is None]


def allowed_text(case: CaseClock) -> str:
    steps = allowed(case)
    return "可执行：" + "、".join(t.label for t in steps) if steps else "本案当前没有可执行的办理步骤"


def refuse(problem: str, case: CaseClock, field: str = "action") -> InvalidInputError:
    """A refused move: the reason and the allowed next steps, in Chinese."""
    return InvalidInputError([FieldProblem(field, f"{problem}；{allowed_text(case)}")])


def decide(
    action: str,
    case: CaseClock,
    settings: Settings,
    *,
    reason: str | None,
    text: str | None,
    approver: str | None,
    days: int | None = None,
) -> Outcome:
    """Check ``action`` against the table and the case's dates; what it writes, or InvalidInputError."""
    t = BY_ACTION.get(action)
    if t is None:
        raise refuse(f"未知的办理操作“{action}”", case)
    why = blocked(t, case)
    if why:
        raise refuse(why, case)
    given = {"reason": reason, "text": text, "approver": approver}
    missing = [FieldProblem(n, f"{t.label}须填写{t.need_label(n)}") for n in t.needs if not (given[n] or "").strip()]
    limits = {"reason": MAX_REASON, "text": MAX_TEXT, "approver": MAX_APPROVER}
    too_long = [
        FieldProblem(n, f"{NEED_LABELS[n]}不能超过 {limits[n]} 字")
        for n, v in given.items()
        if v and len(v) > limits[n]
    ]
    if missing or too_long:
        raise InvalidInputError(missing + too_long)
    due = None
    if t.due is not None:
        most = t.due.days(settings)
        if t.action == "extend" and days is not None and not 1 <= days <= most:
            raise InvalidInputError([FieldProblem("days", f"延期天数应在 1 到 {most} 天之间")])
        chosen = days if t.action == "extend" and days is not None else most
        due = t.due.date(case.today, case.received, case.due_date, chosen)
    elif days is not None:
        raise InvalidInputError([FieldProblem("days", "只有延期需要填写天数")])
    until = case.today + dt.timedelta(days=int(getattr(settings, t.window))) if t.window else None
    return Outcome(t, t.target, due if t.target in OPEN_STAGES else None, until)


def status_after(t: Transition, status: str) -> str | None:
    """The 化解 status a move sets, if any: 受理 makes 待办 办理中; 终结 makes it 已办结 unless 已化解."""
    if t.action == "accept" and status == Status.pending:
        return Status.in_progress.value
    if t.action == "conclude" and status != Status.resolved:
        return Status.closed.value
    return None
