"""LifecycleService: a case's stage, due date and transitions, attached as ``service.lifecycle``.

Both doors (``/api/cases/{id}/lifecycle`` and ``leian lifecycle``) call ``state`` and ``transition``;
the permission (``workflow:read`` / ``workflow:write``) and the unit scope (``kernel.get_case``) are
checked here. Every move is dated by ``kernel.clock``; nothing a client sends sets a time.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field

from kb.clock import stamp
from kb.domain import Case
from kb.errors import NotFoundError
from kb.fields import OPEN_STAGES, STAGE_LABELS, Stage, strip_control
from kb.kernel import IngestBatch, Kernel
from kb.privacy import mask_personal
from kb.users import SYSTEM, Principal
from kb.workflow import lifecycle, lifecycle_store
from kb.workflow.lifecycle import ACTION_LABELS, DUE_KIND_LABELS, DUE_KIND_OF_STAGE, CaseClock
from kb.workflow.lifecycle_store import TransitionRow


def unit_of(actor: Principal) -> str | None:
    """The acting account's unit as recorded on each move (its city until accounts carry a unit)."""
    return getattr(actor, "unit", None) or getattr(actor, "city", None)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _clean(value: str | None) -> str | None:
    return (strip_control(value) or None) if value else None


def _label(stage: str | None) -> str | None:
    return STAGE_LABELS[Stage(stage)] if stage else None


@dataclass(frozen=True)
class AllowedStep:
    action: str
    label: str
    needs: list[str]


@dataclass(frozen=True)
class TransitionView:
    action: str
    label: str
    from_stage: str | None
    from_stage_label: str | None
    to_stage: str
    to_stage_label: str
    actor: str
    actor_unit: str | None
    at: str
    reason: str | None
    text: str | None
    approver: str | None
    due_date_after: str | None
    request_until: str | None


@dataclass(frozen=True)
class LifecycleState:
    """Where a case is: its stage, the due date in force and its kind, whether it is overdue or
    near due today, whether the handling period was extended, the petitioner's open request window,
    the moves possible now and every move so far (texts masked unless revealed)."""

    case_id: int
    stage: str
    stage_label: str
    due_date: str | None
    due_kind: str | None
    due_kind_label: str | None
    overdue: bool
    near_due: bool
    extended: bool
    request_until: str | None
    allowed: list[AllowedStep] = field(default_factory=list)
    transitions: list[TransitionView] = field(default_factory=list)


class LifecycleService:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.db, self.settings, self.clock = kernel.db, kernel.settings, kernel.clock
        kernel.hooks.add(self.on_ingest)

    # -- entry -----------------------------------------------------------------------------------
    def on_ingest(self, conn: sqlite3.Connection, batch: IngestBatch) -> None:
        """Inside the import's transaction: each new case starts where its status puts it (``START``)
        with one ``import`` move dated now, by the importing account. Re-imports change nothing."""
        now = self.clock.now()
        rows, stages = [], []
        for case_id, created, case in zip(batch.ids, batch.created, batch.cases, strict=True):
            if not created:
                continue
            start = lifecycle.start_of(case.status, case.received_date, case.resolved_date, now.date(), self.settings)
            due = start.due_date.isoformat() if start.due_date else None
            stages.append((case_id, start.to_stage.value, due))
            until = start.request_until.isoformat() if start.request_until else None
            rows.append(
                TransitionRow(
                    case_id,
                    "import",
                    None,
                    start.to_stage.value,
                    batch.actor.username,
                    unit_of(batch.actor),
                    stamp(now),
                    due_date_after=due,
                    request_until=until,
                )
            )
        self.kernel.cases.set_stages(conn, stages)
        lifecycle_store.record_many(conn, rows)

    # -- reads -----------------------------------------------------------------------------------
    def state(self, case_id: int, actor: Principal = SYSTEM, reveal: bool = False) -> LifecycleState:
        """The case's lifecycle as ``actor`` may see it; ``reveal`` unmasks texts for ``pii:read``."""
        actor.require("workflow:read")
        case = self.kernel.get_case(case_id, actor)
        moves = lifecycle_store.history(self.db, case_id)
        return self._state(case, moves, reveal and actor.can("pii:read"))

    def _clock_of(self, stage: str, due: str | None, received: str, moves: list[TransitionRow]) -> CaseClock:
        latest = moves[-1] if moves else None
        return CaseClock(
            stage=Stage(stage),
            today=self.clock.today(),
            received=dt.date.fromisoformat(received),
            due_date=_date(due),
            request_until=_date(latest.request_until) if latest and latest.to_stage == stage else None,
            extended=any(m.action == "extend" for m in moves),
        )

    def _state(self, case: Case, moves: list[TransitionRow], reveal: bool) -> LifecycleState:
        now = self._clock_of(case.stage, case.due_date, case.received_date, moves)
        kind = DUE_KIND_OF_STAGE.get(now.stage) if now.stage in OPEN_STAGES else None
        due = now.due_date
        near_end = now.today + dt.timedelta(days=self.settings.near_due_days)

        def shown(value: str | None) -> str | None:
            return value if reveal or not value else mask_personal(value, [case.petitioner_name])

        return LifecycleState(
            case_id=case.id,
            stage=now.stage.value,
            stage_label=STAGE_LABELS[now.stage],
            due_date=case.due_date,
            due_kind=kind,
            due_kind_label=DUE_KIND_LABELS[kind] if kind else None,
            overdue=bool(due and kind and due < now.today),
            near_due=bool(due and kind and now.today <= due <= near_end),
            extended=now.extended,
            request_until=now.request_until.isoformat() if now.request_until else None,
            allowed=[AllowedStep(t.action, t.label, list(t.needs)) for t in lifecycle.allowed(now)],
            transitions=[
                TransitionView(
                    m.action,
                    ACTION_LABELS.get(m.action, m.action),
                    m.from_stage,
                    _label(m.from_stage),
                    m.to_stage,
                    STAGE_LABELS[Stage(m.to_stage)],
                    m.actor,
                    m.actor_unit,
                    m.at,
                    shown(m.reason),
                    shown(m.text),
                    m.approver,
                    m.due_date_after,
                    m.request_until,
                )
                for m in moves
            ],
        )

    # -- moves -----------------------------------------------------------------------------------
    def transition(
        self,
        case_id: int,
        action: str,
        *,
        actor: Principal = SYSTEM,
        reason: str | None = None,
        text: str | None = None,
        approver: str | None = None,
        days: int | None = None,
    ) -> LifecycleState:
        """Make one move of the table, dated now; refused (with the allowed next steps) when the
        stage, the dates or the inputs do not permit it. ``days`` only for 延期 (default: the most)."""
        actor.require("workflow:write")
        self.kernel.get_case(case_id, actor)
        reason, text, approver = _clean(reason), _clean(text), _clean(approver)
        with self.db.transaction() as conn:
            current = lifecycle_store.case_state(conn, case_id)
            if current is None:
                raise NotFoundError(f"案件 {case_id} 不存在")
            moves = lifecycle_store.history(conn, case_id)
            now = self._clock_of(current.stage, current.due_date, current.received_date, moves)
            outcome = lifecycle.decide(
                action, now, self.settings, reason=reason, text=text, approver=approver, days=days
            )
            due = outcome.due_date.isoformat() if outcome.due_date else None
            until = outcome.request_until.isoformat() if outcome.request_until else None
            self.kernel.cases.set_stage(conn, case_id, outcome.to_stage.value, due)
            status = lifecycle.status_after(outcome.transition, current.status)
            if status is not None:
                concluded_on = now.today.isoformat() if outcome.to_stage == Stage.concluded else None
                self.kernel.cases.set_status(conn, case_id, status, concluded_on)
            lifecycle_store.record(
                conn,
                TransitionRow(
                    case_id,
                    action,
                    current.stage,
                    outcome.to_stage.value,
                    actor.username,
                    unit_of(actor),
                    stamp(self.clock.now()),
                    reason,
                    text,
                    approver,
                    due,
                    until,
                ),
            )
        return self.state(case_id, actor)

    def conclude_by_law(self, conn: sqlite3.Connection, case_id: int, actor: Principal, reason: str) -> bool:
        """依法终结 of a litigation-related case (kb/zhengfa), inside the caller's transaction: the case
        goes to 终结 from any other stage, its due date cleared, its status 已办结 unless 已化解, dated
        now. False when it is already concluded (nothing written)."""
        current = lifecycle_store.case_state(conn, case_id)
        if current is None:
            raise NotFoundError(f"案件 {case_id} 不存在")
        if current.stage == Stage.concluded:
            return False
        self.kernel.cases.set_stage(conn, case_id, Stage.concluded.value, None)
        if current.status != "resolved":
            self.kernel.cases.set_status(conn, case_id, "closed", self.clock.today().isoformat())
        row = TransitionRow(
            case_id, "legal_conclusion", current.stage, Stage.concluded.value, actor.username, unit_of(actor),
            stamp(self.clock.now()), _clean(reason),
        )  # fmt: skip
        lifecycle_store.record(conn, row)
        return True

    # -- flags -----------------------------------------------------------------------------------
    def concluded_matters(self, ids: list[int]) -> dict[int, str]:
        """Case id -> the day the same petitioner's same-category matter was concluded (已终结事项)."""
        return lifecycle_store.concluded_matters(self.db, ids)
