"""满意度评价 and 回访: the petitioner's rating of a reply, follow-up contacts, and 参评率 / 满意率.

- A **rating** (满意 / 基本满意 / 不满意) is of the case's latest reply and is recorded once per reply
  by an account that may write the case (a handler of the case's unit), while the case stands at
  that reply: a lifecycle transition into 已答复 / 复查已答复 / 复核已答复 (``REPLY_STAGES``).
- 不满意 opens the next review step: while the case stands at the rated reply it shows
  “信访人不满意，可申请复查” (after the 复查 reply: 复核), and the lifecycle offers the request
  (``request_review`` / ``request_recheck`` in its allowed actions, within the request window).
- A **follow-up** (回访) records the method (电话 / 上门 / 短信), a note, who and when.

Rates of a period (definitions, also in docs/workflow.md):
- 参评率 = cases replied to in the period that have a rating ÷ cases replied to in the period;
- 满意率 = cases rated 满意 or 基本满意 ÷ cases with a rating.
A case counts once, by the rating of its latest reply in the period, and only ratings recorded by
the period's end count, so a rating recorded later never changes a past period's figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kb.clock import stamp
from kb.domain import Case
from kb.errors import ConflictError, FieldProblem, InvalidInputError, PermissionDeniedError
from kb.fields import STAGE_LABELS, Stage
from kb.kernel import Kernel
from kb.privacy import mask_personal
from kb.storage.db import Database
from kb.users import SYSTEM, Principal
from kb.workflow import evaluations_store as store
from kb.workflow import lifecycle_store
from kb.workflow.lifecycle_store import TransitionRow

RATING_LABELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
SATISFIED = ("satisfied", "basically_satisfied")
METHOD_LABELS = {"phone": "电话", "visit": "上门", "sms": "短信"}
MAX_NOTE = 2000
# The stages a reply puts a case in; a case standing in one of them may be rated.
REPLY_STAGES = (Stage.replied, Stage.reviewed, Stage.rechecked)
# Every reply the lifecycle recorded, as (case_id, at), for the rates (entries by import are not replies).
REPLIES_SQL = "SELECT case_id, at FROM case_transitions WHERE action IN ('reply', 'review_reply', 'recheck_reply')"
# What an unsatisfied rating of the reply in this stage opens.
REVIEW_HINTS = {Stage.replied: "信访人不满意，可申请复查", Stage.reviewed: "信访人不满意，可申请复核"}
# The rates' definitions as reports state them (kb/workflow/reports.py DEFINITIONS).
DEFINITIONS: dict[str, str] = {
    "参评率": "本期作出答复（含复查、复核意见）的案件中，截至期末已录入信访人满意度评价的比例",
    "满意率": "已评价的案件中，评价为满意或基本满意的比例（每案按其本期最近一次答复的评价计）",
}


def _choice(value: str | None, labels: dict[str, str], name: str, noun: str) -> str:
    """A code (``unsatisfied``) or its Chinese label (不满意) -> the code."""
    text = (value or "").strip()
    by_label = {label: code for code, label in labels.items()}
    if text in labels:
        return text
    if text in by_label:
        return by_label[text]
    allowed = " / ".join(labels.values())
    raise InvalidInputError([FieldProblem(name, f"{noun}应为 {allowed} 之一")])


def _note(value: str | None) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInputError([FieldProblem("note", f"说明不能超过 {MAX_NOTE} 字")])
    return text or None


@dataclass(frozen=True)
class Reply:
    """One reply to the petitioner: ``ref`` (its stage and time) names it for the once-per-reply rule."""

    ref: str
    at: str
    stage: str

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[Stage(self.stage)]


def reply_ref(stage: str, at: str) -> str:
    """The name of the reply that put a case in ``stage`` at ``at`` (also built in SQL: stage || '@' || at)."""
    return f"{stage}@{at}"


def latest_reply(case: Case, moves: list[TransitionRow]) -> Reply | None:
    """The reply the case stands at (its latest move into a reply stage), or None when it stands at
    none: not answered yet, under 复查 / 复核, or concluded."""
    if case.stage not in REPLY_STAGES:
        return None
    move = next((m for m in reversed(moves) if m.to_stage == case.stage), None)
    return Reply(reply_ref(move.to_stage, move.at), move.at, move.to_stage) if move else None


@dataclass
class EvaluationState:
    """A case's ratings and follow-ups, the reply it stands at and whether that reply is rated."""

    case_id: int
    reply: Reply | None
    current: dict[str, Any] | None
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def may_evaluate(self) -> bool:
        return self.reply is not None and self.current is None

    @property
    def review_hint(self) -> str | None:
        if self.reply is None or self.current is None or self.current["rating"] != "unsatisfied":
            return None
        return REVIEW_HINTS.get(Stage(self.reply.stage))


def _shown(row: Any, petitioner_name: str | None) -> dict[str, Any]:
    """A stored rating or follow-up with its note's identity numbers, phones and the name masked."""
    out = dict(row)
    if out.get("note"):
        out["note"] = mask_personal(out["note"], [petitioner_name])
    if "rating" in out:
        out["rating_label"] = RATING_LABELS[out["rating"]]
    if "method" in out:
        out["method_label"] = METHOD_LABELS[out["method"]]
    return out


class EvaluationService:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.db = kernel.db

    def _stamp(self) -> str:
        return stamp(self.kernel.clock.now())

    def _writable(self, case_id: int, actor: Principal) -> Case:
        actor.require("workflow:write")
        case = self.kernel.get_case(case_id, actor)
        if not actor.scope.may_write(case.city, case.department):
            raise PermissionDeniedError("只有承办单位的经办人可以录入满意度评价和回访记录")
        return case

    def evaluate(
        self, case_id: int, rating: str, note: str | None = None, actor: Principal = SYSTEM
    ) -> EvaluationState:
        """Record the petitioner's rating of the case's latest reply (once per reply)."""
        case = self._writable(case_id, actor)
        code = _choice(rating, RATING_LABELS, "rating", "满意度")
        text = _note(note)
        reply = latest_reply(case, lifecycle_store.history(self.db, case_id))
        if reply is None:
            stage = STAGE_LABELS.get(Stage(case.stage), case.stage)
            raise ConflictError(f"案件 {case_id} 当前阶段为“{stage}”，没有待评价的答复（答复后再录入信访人评价）")
        with self.db.transaction() as conn:
            added = store.insert_evaluation(
                conn, case_id, reply.ref, reply.at, code, text, actor.username, self._stamp()
            )
        if added is None:
            raise ConflictError(f"案件 {case_id} 的本次答复已评价，每次答复只能评价一次")
        return self.state(case_id, actor)

    def follow_up(
        self, case_id: int, method: str, note: str | None = None, actor: Principal = SYSTEM
    ) -> EvaluationState:
        """Record a follow-up contact (回访) with the petitioner."""
        self._writable(case_id, actor)
        code = _choice(method, METHOD_LABELS, "method", "回访方式")
        text = _note(note)
        with self.db.transaction() as conn:
            store.insert_followup(conn, case_id, code, text, actor.username, self._stamp())
        return self.state(case_id, actor)

    def state(self, case_id: int, actor: Principal = SYSTEM) -> EvaluationState:
        actor.require("workflow:read")
        case = self.kernel.get_case(case_id, actor)
        reply = latest_reply(case, lifecycle_store.history(self.db, case_id))
        current = store.evaluation_for(self.db, case_id, reply.ref) if reply else None
        name = case.petitioner_name
        return EvaluationState(
            case_id,
            reply,
            _shown(current, name) if current else None,
            [_shown(r, name) for r in store.evaluations(self.db, case_id)],
            [_shown(r, name) for r in store.followups(self.db, case_id)],
        )


def review_flags(db: Database, ids: list[int]) -> dict[int, str]:
    """Case id -> “信访人不满意，可申请复查/复核” for cases standing at a reply rated 不满意."""
    stages = tuple(s.value for s in REVIEW_HINTS)
    return {
        case_id: REVIEW_HINTS[Stage(stage)]
        for case_id, stage in store.unsatisfied_at_reply(db, ids, stages, [s.value for s in REPLY_STAGES]).items()
    }


@dataclass
class Rates:
    replied: int = 0
    evaluated: int = 0
    satisfied: int = 0


def rates(
    db: Database, group_by: str, date_from: dt.date, date_to: dt.date, scope: tuple[str, list[Any]]
) -> dict[str, Rates]:
    """参评率 / 满意率 counts per unit (``group_by`` a checked column) for one period."""
    found = store.rate_counts(db, group_by, REPLIES_SQL, scope, date_from.isoformat(), date_to.isoformat())
    return {
        str(r["unit"]): Rates(int(r["replied"] or 0), int(r["evaluated"] or 0), int(r["satisfied"] or 0)) for r in found
    }
