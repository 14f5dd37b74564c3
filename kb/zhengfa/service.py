"""HandoverService: 诉访分离 hand-over of litigation-related cases to named 政法 units, as ``service.handover``.

- **Refer** (移交): an account that may write the case hands it to a 政法 unit of the catalog (a court,
  procuratorate, police or justice body; kind ``zhengfa_body``), the 政法委 supervising; one hand-over
  record, a feedback deadline (``settings.litigation_feedback_days`` from today unless given). 并案:
  several cases (a 涉众 group's litigation-related members) in one step, one hand-over listing them.
- **Steps** (查 / 纠 / 解 / 退, 依法终结): only an account bound to the receiving unit records them
  (``rules.STEPS``); a refused step names the allowed ones. 依法终结 needs the 三到位一处理 checklist
  complete and every 司法救助 request decided, and concludes the case through the lifecycle.
- **Scope**: reads go through the case's scope (kb/scope.py): the 政法委 (scope ``zhengfa``) sees every
  litigation-related case, a 政法 body (a department scope on its unit) the cases referred to it, a
  city its city's. Every step carries who and when (``kernel.clock``).
- **Audit**: every write (refer, 查 / 纠 / 解 / 退 and 依法终结, the checklist, a 司法救助 request and
  its decision) appends its ``litigation.*`` event to the audit log (kb/audit.py) in the same
  transaction, whichever door made it; details name records and units, never personal data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from kb.audit import AuditLog
from kb.clock import stamp
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError, PermissionDeniedError
from kb.kernel import Kernel
from kb.privacy import mask_name, mask_names, mask_text
from kb.settings import MAX_DEADLINE_DAYS
from kb.users import SYSTEM, Principal
from kb.workflow import litigation
from kb.workflow import store as track_store
from kb.workflow.inbox import InboxItem, masked_title
from kb.workflow.lifecycle_service import LifecycleService
from kb.zhengfa import rules
from kb.zhengfa import store as db_store
from kb.zhengfa.rules import AID_DECISIONS, CHECKLIST, STATUS_LABELS

MAX_BATCH = 500


def _text(value: str | None, field: str, label: str, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInputError([FieldProblem(field, f"{label}不能为空")])
        return None
    if len(text) > rules.MAX_TEXT:
        raise InvalidInputError([FieldProblem(field, f"{label}不能超过 {rules.MAX_TEXT} 字")])
    return text


def _amount(value: Any, field: str) -> float:
    try:
        amount = round(float(value), 2)
    except (TypeError, ValueError):
        raise InvalidInputError([FieldProblem(field, "金额应为数字（元）")]) from None
    if not 0 < amount <= rules.MAX_AMOUNT:
        raise InvalidInputError([FieldProblem(field, f"金额应大于 0 且不超过 {rules.MAX_AMOUNT:.0f} 元")])
    return amount


class HandoverService:
    def __init__(self, kernel: Kernel, lifecycle: LifecycleService, audit: AuditLog) -> None:
        self.kernel, self.lifecycle, self.audit = kernel, lifecycle, audit
        self.db, self.clock = kernel.db, kernel.clock

    # -- units ---------------------------------------------------------------------------------------
    def units(self) -> list[dict[str, Any]]:
        """The 政法 units a case may be referred to, with their type (court / procuratorate / …)."""
        out = []
        for unit in self.kernel.units.of_kind("zhengfa_body"):
            kind = rules.body_type(unit.name)
            out.append({"name": unit.name, "city": unit.parent, "type": kind[0] if kind else None,
                        "type_label": kind[1] if kind else "政法单位"})  # fmt: skip
        return out

    def _target(self, name: str) -> str:
        return self.kernel.units.require((name or "").strip(), "unit", ("zhengfa_body",)).name

    def _supervisor(self, name: str | None) -> str:
        if name:
            return self.kernel.units.require(name.strip(), "supervisor", ("zhengfa",)).name
        found = self.kernel.units.of_kind("zhengfa")
        if not found:
            raise InvalidInputError([FieldProblem("supervisor", "单位目录中没有政法委，请先导入")])
        return found[0].name

    # -- refer ---------------------------------------------------------------------------------------
    def refer(
        self,
        case_ids: list[int],
        *,
        unit: str,
        note: str | None = None,
        feedback_days: int | None = None,
        group_id: int | None = None,
        supervisor: str | None = None,
        actor: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """Refer the cases (one, or several handled together) to ``unit`` in one transaction."""
        actor.require("workflow:write")
        ids = list(dict.fromkeys(case_ids))
        if not ids:
            raise InvalidInputError([FieldProblem("case_ids", "请至少选择一件案件")])
        if len(ids) > MAX_BATCH:
            raise InvalidInputError([FieldProblem("case_ids", f"一次最多移交 {MAX_BATCH} 件")])
        target, supervising = self._target(unit), self._supervisor(supervisor)
        if actor.unit == target:
            raise PermissionDeniedError("接收单位不能向本单位移交案件")
        days = self.kernel.settings.litigation_feedback_days if feedback_days is None else feedback_days
        if isinstance(days, bool) or not 1 <= int(days) <= MAX_DEADLINE_DAYS:
            raise InvalidInputError([FieldProblem("feedback_days", f"反馈期限应为 1 到 {MAX_DEADLINE_DAYS} 天")])
        cases = [self.kernel.get_case(cid, actor) for cid in ids]
        note = _text(note, "note", "移交说明", required=False)
        now = self.clock.now()
        at, due = stamp(now), (now.date() + dt.timedelta(days=int(days))).isoformat()
        with self.db.transaction() as conn:
            for case in cases:
                if not case.litigation:
                    raise InvalidInputError([FieldProblem("case_ids", f"案件 {case.id} 未识别为涉法涉诉，不能移交")])
                if track_store.track_status(conn, case.id) == "dismissed":
                    raise ConflictError(f"案件 {case.id} 已排除涉法涉诉，不能移交")
                current = db_store.open_referral(conn, case.id)
                if current is not None:
                    raise ConflictError(
                        f"案件 {case.id} 已移交{current['unit']}（{STATUS_LABELS[current['status']]}），不能重复移交"
                    )
            hid = db_store.insert_handover(
                conn, unit=target, supervisor=supervising, group_id=group_id, note=note, feedback_due=due,
                created_by=actor.username, created_by_unit=actor.unit, created_at=at,
            )  # fmt: skip
            for case in cases:
                rid = db_store.insert_referral(conn, hid, case.id, target, due, at)
                db_store.add_step(conn, rid, "refer", None, "referred", note, actor.username, actor.unit, at)
                litigation.follow_handover(
                    conn, self.kernel.cases, case.id, "handed_over", actor.username, f"移交{target}", at
                )
                detail = {"referral_id": rid, "handover_id": hid, "unit": target, "supervisor": supervising,
                          "feedback_due": due, "group_id": group_id, "together": len(cases)}  # fmt: skip
                self.audit.record(actor, "litigation.refer", "case", case.id, detail, conn=conn)
        return self.handover(hid, actor)

    def refer_group(
        self,
        group_id: int,
        *,
        unit: str,
        note: str | None = None,
        feedback_days: int | None = None,
        actor: Principal = SYSTEM,
    ) -> dict[str, Any]:
        """并案: refer a group's litigation-related members within the actor's scope not yet referred."""
        actor.require("workflow:write")
        ids = db_store.group_litigation_cases(self.db, group_id, actor.scope)
        open_ids = {int(r["case_id"]) for r in db_store.referral_rows(self.db, actor.scope, limit=100_000)
                    if r["status"] in rules.OPEN_STATUSES}  # fmt: skip
        dismissed = {i for i in ids if self._track(i) == "dismissed"}
        todo = [i for i in ids if i not in open_ids and i not in dismissed]
        if not todo:
            raise InvalidInputError([FieldProblem("group_id", f"类案组 {group_id} 中没有可移交的涉法涉诉案件")])
        return self.refer(todo, unit=unit, note=note, feedback_days=feedback_days, group_id=group_id, actor=actor)

    def _track(self, case_id: int) -> str | None:
        row = self.db.query_one("SELECT status FROM litigation_tracks WHERE case_id = ?", (case_id,))
        return str(row[0]) if row else None

    # -- steps ---------------------------------------------------------------------------------------
    def _referral(self, referral_id: int, actor: Principal) -> sqlite3.Row:
        row = db_store.referral(self.db, referral_id)
        if row is None:
            raise NotFoundError(f"移交记录 {referral_id} 不存在")
        self.kernel.get_case(int(row["case_id"]), actor)  # out of scope: reported as absent
        return row

    def _receiving(self, row: sqlite3.Row, actor: Principal, what: str) -> None:
        actor.require("workflow:write")
        if actor.unit != row["unit"]:
            raise PermissionDeniedError(f"只有接收单位（{row['unit']}）的账号可以{what}")

    def step(self, referral_id: int, action: str, text: str | None, actor: Principal = SYSTEM) -> dict[str, Any]:
        """Record 核查 / 纠错 / 化解 / 退回 / 依法终结 as the receiving unit."""
        row = self._referral(referral_id, actor)
        self._receiving(row, actor, "记录核查、纠错、化解、退回或依法终结")
        case_id = int(row["case_id"])
        with self.db.transaction() as conn:
            current = db_store.referral(conn, referral_id)
            assert current is not None
            step = rules.decide(action, current["status"], text)
            body = (text or "").strip()
            if step.action == "conclude":
                self._check_concludable(conn, case_id, current["status"])
            at = stamp(self.clock.now())
            answered = step.action in rules.FEEDBACK_ACTIONS
            db_store.set_status(conn, referral_id, step.target, at, answered)
            db_store.add_step(conn, referral_id, step.action, current["status"], step.target, body,
                              actor.username, actor.unit, at)  # fmt: skip
            note = f"{row['unit']}{step.label}：{body}"
            if step.action == "return":
                litigation.follow_handover(conn, self.kernel.cases, case_id, "flagged", actor.username, note, at)
            elif step.action == "conclude":
                self.lifecycle.conclude_by_law(conn, case_id, actor, f"依法终结：{body}")
                litigation.follow_handover(conn, self.kernel.cases, case_id, "concluded", actor.username, note, at)
            elif answered and track_store.track_status(conn, case_id) == "handed_over":
                litigation.follow_handover(conn, self.kernel.cases, case_id, "feedback", actor.username, note, at)
            else:
                track_store.add_litigation_event(conn, case_id, "feedback" if answered else "handed_over", note,
                                                 actor.username, at)  # fmt: skip
            detail = {"referral_id": referral_id, "unit": row["unit"], "from": current["status"], "to": step.target}
            self.audit.record(actor, f"litigation.{step.action}", "case", case_id, detail, conn=conn)
        return self.dossier(case_id, actor)

    def _check_concludable(self, conn: sqlite3.Connection, case_id: int, status: str) -> None:
        gaps = rules.checklist_gaps(
            {r["item"]: (bool(r["applies"]), bool(r["done"])) for r in db_store.checklist(conn, case_id)}
        )
        pending = [r["id"] for r in db_store.case_aid(conn, case_id) if r["decision"] is None]
        if pending:
            gaps.append("司法救助申请 " + "、".join(f"#{i}" for i in pending) + " 尚未作出决定")
        if gaps:
            raise InvalidInputError(
                [FieldProblem("action", "不能依法终结：" + "；".join(gaps) + "；" + rules.allowed_text(status))]
            )

    # -- 三到位一处理 ----------------------------------------------------------------------------------
    def record_checklist(self, case_id: int, items: list[dict[str, Any]], actor: Principal = SYSTEM) -> dict[str, Any]:
        """Record items of the checklist (``item``, ``applies``, ``done``, ``note``) as the receiving unit
        of the case's open referral; each row is kept (the latest per item is current)."""
        self.kernel.get_case(case_id, actor)
        if not items:
            raise InvalidInputError([FieldProblem("items", "请至少填写一项")])
        at = stamp(self.clock.now())
        rows = []
        for i, item in enumerate(items):
            key = item.get("item")
            if key not in CHECKLIST:
                allowed = "、".join(f"{k}（{v}）" for k, v in CHECKLIST.items())
                raise InvalidInputError([FieldProblem(f"items[{i}].item", f"清单项应为 {allowed} 之一")])
            applies, done = bool(item.get("applies", True)), bool(item.get("done", False))
            if done and not applies:
                raise InvalidInputError([FieldProblem(f"items[{i}].done", f"“{CHECKLIST[key]}”不适用时不能标为到位")])
            note = _text(item.get("note"), f"items[{i}].note", "说明", required=False)
            rows.append((case_id, key, int(applies), int(done), note, actor.username, actor.unit, at))
        with self.db.transaction() as conn:
            current = db_store.open_referral(conn, case_id)
            if current is None:
                raise ConflictError(f"案件 {case_id} 没有办理中的移交，不能填写三到位一处理清单")
            self._receiving(current, actor, "填写三到位一处理清单")
            db_store.add_checklist(conn, rows)
            detail = {"referral_id": current["id"], "items": {r[1]: {"applies": bool(r[2]), "done": bool(r[3])}
                                                              for r in rows}}  # fmt: skip
            self.audit.record(actor, "litigation.checklist", "case", case_id, detail, conn=conn)
        return self.dossier(case_id, actor)

    # -- 司法救助 -------------------------------------------------------------------------------------
    def request_aid(
        self, case_id: int, *, applicant: str, amount: Any, reason: str | None = None, actor: Principal = SYSTEM
    ) -> dict[str, Any]:
        self.kernel.get_case(case_id, actor)
        name = _text(applicant, "applicant", "申请人")
        assert name is not None
        if len(name) > 64:
            raise InvalidInputError([FieldProblem("applicant", "申请人不能超过 64 字")])
        value, why = _amount(amount, "amount"), _text(reason, "reason", "申请理由", required=False)
        with self.db.transaction() as conn:
            current = db_store.open_referral(conn, case_id)
            if current is None:
                raise ConflictError(f"案件 {case_id} 没有办理中的移交，不能登记司法救助申请")
            self._receiving(current, actor, "登记司法救助申请")
            aid_id = db_store.insert_aid(
                conn, case_id=case_id, referral_id=current["id"], applicant=name, amount=value, reason=why,
                requested_by=actor.username, requested_by_unit=actor.unit, requested_at=stamp(self.clock.now()),
            )  # fmt: skip
            detail = {"aid_id": aid_id, "referral_id": current["id"], "amount": value}  # the applicant is not kept
            self.audit.record(actor, "litigation.aid_request", "case", case_id, detail, conn=conn)
        return self.dossier(case_id, actor)

    def decide_aid(
        self, aid_id: int, *, decision: str, amount: Any = None, note: str | None = None, actor: Principal = SYSTEM
    ) -> dict[str, Any]:
        """The decision on a 司法救助 request, once: granted (the amount asked unless given), partly (an
        amount below it), refused (0)."""
        row = db_store.aid(self.db, aid_id)
        if row is None:
            raise NotFoundError(f"司法救助申请 {aid_id} 不存在")
        case_id = int(row["case_id"])
        referral = self._referral(int(row["referral_id"]), actor)
        self._receiving(referral, actor, "作出司法救助决定")
        if decision not in AID_DECISIONS:
            allowed = "、".join(f"{k}（{v}）" for k, v in AID_DECISIONS.items())
            raise InvalidInputError([FieldProblem("decision", f"决定应为 {allowed} 之一")])
        asked = float(row["amount"])
        if decision == "refused":
            decided = 0.0
        elif decision == "granted":
            decided = asked if amount is None else _amount(amount, "amount")
        else:
            if amount is None:
                raise InvalidInputError([FieldProblem("amount", "部分救助须填写决定金额")])
            decided = _amount(amount, "amount")
            if decided >= asked:
                raise InvalidInputError([FieldProblem("amount", f"部分救助的金额应少于申请金额 {asked:.2f} 元")])
        why = _text(note, "note", "决定说明", required=False)
        with self.db.transaction() as conn:
            ok = db_store.decide_aid(conn, aid_id, decision=decision, decided_amount=decided, decision_note=why,
                                     decided_by=actor.username, decided_at=stamp(self.clock.now()))  # fmt: skip
            if not ok:
                raise ConflictError(f"司法救助申请 {aid_id} 已作出决定，不能重复决定")
            detail = {"aid_id": aid_id, "referral_id": referral["id"], "decision": decision, "amount": decided}
            self.audit.record(actor, "litigation.aid_decision", "case", case_id, detail, conn=conn)
        return self.dossier(case_id, actor)

    # -- reads ---------------------------------------------------------------------------------------
    def _view(self, row: sqlite3.Row, steps: list[sqlite3.Row], actor: Principal, reveal: bool) -> dict[str, Any]:
        today = self.clock.today().isoformat()
        status = row["status"]
        open_ = status in rules.OPEN_STATUSES
        overdue = open_ and row["answered_at"] is None and row["feedback_due"] < today
        names = [row["petitioner_name"]]

        def shown(text: str | None) -> str | None:
            return text if reveal or not text else mask_names(mask_text(text), names)

        kind = rules.body_type(row["unit"])
        return {
            "id": row["id"],
            "handover_id": row["handover_id"],
            "case_id": row["case_id"],
            "external_no": row["external_no"],
            "title": masked_title(row["title"], None, row["petitioner_name"]),
            "city": row["city"],
            "unit": row["unit"],
            "unit_type": kind[0] if kind else None,
            "unit_type_label": kind[1] if kind else "政法单位",
            "supervisor": row["supervisor"],
            "group_id": row["group_id"],
            "status": status,
            "status_label": STATUS_LABELS[status],
            "open": open_,
            "feedback_due": row["feedback_due"],
            "answered_at": row["answered_at"],
            "overdue": overdue,
            "overdue_days": (self.clock.today() - dt.date.fromisoformat(row["feedback_due"])).days if overdue else 0,
            "referred_by": row["created_by"],
            "referred_by_unit": row["created_by_unit"],
            "referred_at": row["created_at"],
            "note": shown(row["note"]),
            "can_act": actor.can("workflow:write") and actor.unit == row["unit"] and open_,
            "allowed": [{"action": s.action, "label": s.label, "needs": s.needs_label} for s in rules.allowed(status)],
            "steps": [
                {
                    "action": s["action"],
                    "label": rules.ACTION_LABELS.get(s["action"], s["action"]),
                    "from_status": s["from_status"],
                    "to_status": s["to_status"],
                    "to_status_label": STATUS_LABELS[s["to_status"]],
                    "text": shown(s["text"]),
                    "actor": s["actor"],
                    "actor_unit": s["actor_unit"],
                    "at": s["at"],
                }
                for s in steps
                if s["referral_id"] == row["id"]
            ],
        }

    def referrals(
        self,
        *,
        unit: str | None = None,
        status: str | None = None,
        overdue: bool = False,
        mine: bool = False,
        limit: int = 200,
        actor: Principal = SYSTEM,
    ) -> list[dict[str, Any]]:
        """Referrals of the cases the actor may see (newest first); ``mine``: those it made."""
        actor.require("workflow:read")
        if status is not None and status not in STATUS_LABELS:
            allowed = "、".join(f"{k}（{v}）" for k, v in STATUS_LABELS.items())
            raise InvalidInputError([FieldProblem("status", f"状态应为 {allowed} 之一")])
        target = self._target(unit) if unit else None
        found = db_store.referral_rows(
            self.db, actor.scope, unit=target, status=status, created_by=actor.username if mine else None,
            overdue_on=self.clock.today().isoformat() if overdue else None, limit=limit,
        )  # fmt: skip
        steps = db_store.steps(self.db, [int(r["id"]) for r in found])
        return [self._view(r, steps, actor, False) for r in found]

    def handover(self, handover_id: int, actor: Principal = SYSTEM) -> dict[str, Any]:
        """One hand-over record and the referrals it lists (those within the actor's scope)."""
        actor.require("workflow:read")
        head = db_store.handover(self.db, handover_id)
        rows = [r for r in db_store.handover_referrals(self.db, handover_id)
                if int(r["case_id"]) in self.kernel.visible_ids(actor, [int(r["case_id"])])]  # fmt: skip
        if head is None or not rows:
            raise NotFoundError(f"移交记录 {handover_id} 不存在")
        steps = db_store.steps(self.db, [int(r["id"]) for r in rows])
        return {
            "id": head["id"], "unit": head["unit"], "supervisor": head["supervisor"], "group_id": head["group_id"],
            "note": mask_text(head["note"]) if head["note"] else None, "feedback_due": head["feedback_due"],
            "created_by": head["created_by"], "created_by_unit": head["created_by_unit"],
            "created_at": head["created_at"], "case_ids": [int(r["case_id"]) for r in rows],
            "referrals": [self._view(r, steps, actor, False) for r in rows],
        }  # fmt: skip

    def dossier(self, case_id: int, actor: Principal = SYSTEM, reveal: bool = False) -> dict[str, Any]:
        """A case's 诉访分离 file: its track, referrals with their steps, checklist and 司法救助."""
        actor.require("workflow:read")
        case = self.kernel.get_case(case_id, actor)
        reveal = reveal and actor.can("pii:read")
        rows = db_store.case_referrals(self.db, case_id)
        steps = db_store.steps(self.db, [int(r["id"]) for r in rows])
        referrals = [self._view(r, steps, actor, reveal) for r in rows]
        current = next((r for r in referrals if r["open"]), None)
        names = [case.petitioner_name]

        def shown(text: str | None) -> str | None:
            return text if reveal or not text else mask_names(mask_text(text), names)

        items = {r["item"]: r for r in db_store.checklist(self.db, case_id)}
        checklist = [
            {"item": key, "label": label, "applies": bool(items[key]["applies"]) if key in items else None,
             "done": bool(items[key]["done"]) if key in items else False,
             "note": shown(items[key]["note"]) if key in items else None,
             "actor": items[key]["actor"] if key in items else None,
             "actor_unit": items[key]["actor_unit"] if key in items else None,
             "at": items[key]["at"] if key in items else None}
            for key, label in CHECKLIST.items()
        ]  # fmt: skip
        gaps = rules.checklist_gaps({k: (bool(r["applies"]), bool(r["done"])) for k, r in items.items()})
        aid = [
            {"id": r["id"], "referral_id": r["referral_id"],
             "applicant": r["applicant"] if reveal else mask_name(r["applicant"]), "amount": r["amount"],
             "reason": shown(r["reason"]), "requested_by": r["requested_by"],
             "requested_by_unit": r["requested_by_unit"],
             "requested_at": r["requested_at"], "decision": r["decision"],
             "decision_label": AID_DECISIONS.get(r["decision"] or "", "待决定"), "decided_amount": r["decided_amount"],
             "decision_note": shown(r["decision_note"]), "decided_by": r["decided_by"], "decided_at": r["decided_at"]}
            for r in db_store.case_aid(self.db, case_id)
        ]  # fmt: skip
        track = self._track(case_id)
        may_refer = actor.can("workflow:write") and current is None and case.litigation and track != "dismissed"
        return {
            "case_id": case_id,
            "external_no": case.external_no,
            "title": masked_title(case.title, None, case.petitioner_name),
            "city": case.city,
            "stage": case.stage,
            "status": case.status,
            "track_status": track,
            "track_status_label": litigation.STATUS_LABELS.get(track or "", "未跟踪"),
            "may_refer": bool(may_refer),
            "current": current,
            "referrals": referrals,
            "checklist": checklist,
            "checklist_gaps": gaps,
            "judicial_aid": aid,
        }

    # -- inbox ---------------------------------------------------------------------------------------
    def inbox_items(self, actor: Principal) -> list[InboxItem]:
        """For the receiving unit: referrals awaiting its feedback (and overdue ones); for the referring
        account: returns and feedback; for the 政法委: overdue referrals of the cases it supervises."""
        if not actor.can("workflow:read"):
            return []
        items: list[InboxItem] = []
        today = self.clock.today().isoformat()
        if actor.unit:
            for r in db_store.referral_rows(self.db, actor.scope, unit=actor.unit, limit=1000):
                if r["status"] in rules.OPEN_STATUSES and r["answered_at"] is None:
                    late = r["feedback_due"] < today
                    kind, label = (
                        ("litigation_overdue", "诉访分离反馈逾期")
                        if late
                        else ("litigation_referral", "诉访分离移交待办理")
                    )
                    key = f"referral:{r['id']}" + (":overdue" if late else "")
                    items.append(self._item(key, kind, label, r, r["created_at"], r["feedback_due"]))
        for r in db_store.referral_rows(self.db, actor.scope, created_by=actor.username, limit=1000):
            if r["answered_at"] is not None:
                label = "诉访分离移交被退回" if r["status"] == "returned" else "诉访分离已反馈"
                items.append(self._item(f"referral:{r['id']}:answered", "litigation_feedback", label, r,
                                        r["answered_at"], None))  # fmt: skip
        if actor.scope.kind == "zhengfa":
            for r in db_store.referral_rows(self.db, actor.scope, overdue_on=today, limit=1000):
                items.append(self._item(f"referral:{r['id']}:overdue", "litigation_overdue", "诉访分离反馈逾期", r,
                                        r["created_at"], r["feedback_due"]))  # fmt: skip
        return items

    def _item(self, key: str, kind: str, label: str, r: sqlite3.Row, at: str, due: str | None) -> InboxItem:
        title = masked_title(r["title"], None, r["petitioner_name"])
        detail = f"{r['unit']} · {STATUS_LABELS[r['status']]} · 反馈期限 {r['feedback_due']}"
        return InboxItem(key, kind, label, int(r["case_id"]), f"{label}：{r['external_no']} {title}".strip(),
                         r["unit"], at, due, detail=detail)  # fmt: skip
