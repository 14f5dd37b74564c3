"""积案化解攻坚 campaigns: the list, progress per unit on any day, closing (figures frozen),
responsibility letters (责任状), weekly rolling notices (stored when issued), rectification replies,
supervision visits (督查组) and linked 督办单.

Reads go through the actor's scope: a city or department account sees the entries of its own cases
and the notice rows of its own unit. Writes need ``workflow:write``; creating, closing, letters,
notices and visits are the provincial supervisors' (a provincial scope).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kb.campaigns import progress as prog
from kb.campaigns import render, store
from kb.clock import stamp
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.kernel import Kernel
from kb.privacy import mask_personal
from kb.readers import RawColumns, detect_format, read_rows
from kb.tabular import to_xlsx
from kb.users import SYSTEM, Principal
from kb.workflow import rates
from kb.workflow.rate_store import case_facts
from kb.workflow.rates import RateRules

# Column headers a handed-down list may use (the registry's spelling first).
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_no": ("登记编号", "信访编号", "external_no"),
    "locality": ("属地", "地市", "locality"),
    "department": ("责任部门", "department"),
    "lead_unit": ("牵头单位", "lead_unit"),
    "target_date": ("化解期限", "目标日期", "target_date"),
}
MAX_TEXT = 4000
LETTER_HEADER = ("单位", "签订日期", "签订人", "化解率目标", "再次信访率目标", "完成时限", "统计日", "列入件数",
                 "已化解", "化解率", "再次信访率", "化解率达标", "再次信访率达标", "距目标尚差件数")  # fmt: skip
LETTER_KEYS = ("unit", "signed_on", "signatory", "resolution_target", "repeat_target", "deadline", "as_of", "listed",
               "resolved", "resolution_rate", "repeat_rate", "resolution_met", "repeat_met", "gap_cases")  # fmt: skip


@dataclass
class Campaign:
    id: int
    name: str
    description: str
    starts_on: str
    deadline: str
    resolution_line: float
    repeat_line: float
    status: str
    created_by: str
    created_at: str
    closed_at: str | None
    cases: int = 0


def _date(value: Any, field: str, row: int | None = None) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InvalidInputError([FieldProblem(field, f"日期格式应为 YYYY-MM-DD，当前为“{value}”", row)]) from None


def _fraction(value: Any, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not 0 <= number <= 1:
        raise InvalidInputError([FieldProblem(field, f"应为 0 到 1 之间的比例（如 0.9），当前为“{value}”")])
    return number


def _text(value: Any, field: str, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInputError([FieldProblem(field, "不能为空")])
    if len(text) > MAX_TEXT:
        raise InvalidInputError([FieldProblem(field, f"不能超过 {MAX_TEXT} 字")])
    return text


class CampaignService:
    def __init__(self, kernel: Kernel) -> None:
        self.kernel, self.db, self.clock = kernel, kernel.db, kernel.clock

    @property
    def rules(self) -> RateRules:
        return RateRules.of(self.kernel.settings)

    def _now(self) -> str:
        return stamp(self.clock.now())

    @staticmethod
    def _provincial(actor: Principal) -> None:
        actor.require("workflow:write")
        if not actor.scope.provincial:
            raise InvalidInputError([FieldProblem("scope", "只有省级督查账号可以管理攻坚活动、责任状、通报与督查组")])

    def _row(self, campaign_id: int) -> Any:
        row = store.campaign(self.db, campaign_id)
        if row is None:
            raise NotFoundError(f"攻坚活动 {campaign_id} 不存在")
        return row

    def _campaign(self, row: Any) -> Campaign:
        n = self.db.query_one("SELECT COUNT(*) FROM campaign_cases WHERE campaign_id = ?", (row["id"],))
        return Campaign(
            row["id"],
            row["name"],
            row["description"],
            row["starts_on"],
            row["deadline"],
            row["resolution_line"],
            row["repeat_line"],
            row["status"],
            row["created_by"],
            row["created_at"],
            row["closed_at"],
            int(n[0]) if n else 0,
        )

    def _open(self, campaign_id: int) -> Any:
        row = self._row(campaign_id)
        if row["status"] != "open":
            raise ConflictError(f"攻坚活动“{row['name']}”已结束，数字已冻结，不能再修改")
        return row

    # -- campaigns -----------------------------------------------------------------------------
    def create(
        self,
        name: str,
        deadline: str,
        *,
        description: str = "",
        starts_on: str | None = None,
        resolution_line: float = 0.8,
        repeat_line: float = 0.1,
        actor: Principal = SYSTEM,
    ) -> Campaign:
        self._provincial(actor)
        name = _text(name, "name")
        end = _date(deadline, "deadline")
        start = _date(starts_on, "starts_on") if starts_on else self.clock.today()
        if end < start:
            raise InvalidInputError([FieldProblem("deadline", "截止日期不能早于开始日期")])
        values = {
            "name": name,
            "description": _text(description, "description", False),
            "starts_on": start.isoformat(),
            "deadline": end.isoformat(),
            "resolution_line": _fraction(resolution_line, "resolution_line"),
            "repeat_line": _fraction(repeat_line, "repeat_line"),
            "created_by": actor.username,
            "created_at": self._now(),
        }
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM campaigns WHERE name = ?", (name,)).fetchone():
                raise ConflictError(f"已有同名攻坚活动“{name}”")
            campaign_id = store.insert_campaign(conn, values)
        return self.get(campaign_id, actor)

    def get(self, campaign_id: int, actor: Principal = SYSTEM) -> Campaign:
        actor.require("reports:read")
        return self._campaign(self._row(campaign_id))

    def list_all(self, actor: Principal = SYSTEM) -> list[Campaign]:
        actor.require("reports:read")
        return [self._campaign(r) for r in store.campaigns(self.db)]

    # -- the list ------------------------------------------------------------------------------
    def _entry_rows(
        self, campaign: Any, specs: Sequence[tuple[int | None, int, dict[str, Any]]], actor: Principal
    ) -> list[tuple[Any, ...]]:
        """(row number, case id, given columns) -> rows to store; every problem named by row and field."""
        units = self.kernel.units
        cases = self.kernel.cases.get_many([cid for _, cid, _ in specs])
        problems: list[FieldProblem] = []
        out = []
        now = self._now()
        for line, case_id, given in specs:
            case = cases.get(case_id)
            if case is None:
                problems.append(FieldProblem("case_id", f"案件 {case_id} 不存在", line))
                continue
            locality = str(given.get("locality") or case.city or "").strip()
            department = str(given.get("department") or case.department or "").strip() or None
            lead = str(given.get("lead_unit") or locality).strip()
            found: list[FieldProblem | None] = []
            if not locality:
                found.append(FieldProblem("locality", "属地为空，且案件没有地市", line))
            else:
                found.append(units.problem(locality, "locality", ("city",), line))
            if department:
                found.append(units.problem(department, "department", None, line))
            if lead:
                found.append(units.problem(lead, "lead_unit", None, line))
            target = given.get("target_date") or campaign["deadline"]
            try:
                day = _date(target, "target_date", line).isoformat()
            except InvalidInputError as exc:
                found.extend(exc.problems)
                day = ""
            real = [p for p in found if p is not None]
            if real:
                problems.extend(real)
                continue
            loc = units.get(locality)
            dep = units.get(department) if department else None
            lead_unit = units.get(lead)
            out.append(
                (
                    campaign["id"],
                    case_id,
                    loc.name if loc else locality,
                    dep.name if dep else department,
                    lead_unit.name if lead_unit else lead,
                    day,
                    actor.username,
                    now,
                )
            )
        if problems:
            raise InvalidInputError(problems, _summary(problems))
        return out

    def add_cases(self, campaign_id: int, case_ids: list[int], actor: Principal = SYSTEM) -> int:
        """Put selected cases on the list (each with its case's locality and department; the locality leads)."""
        self._provincial(actor)
        campaign = self._open(campaign_id)
        rows = self._entry_rows(campaign, [(None, int(i), {}) for i in case_ids], actor)
        with self.db.transaction() as conn:
            return store.add_entries(conn, rows)

    def import_list(self, campaign_id: int, data: bytes, filename: str, actor: Principal = SYSTEM) -> int:
        """A handed-down list (CSV or XLSX) by 登记编号, with optional 属地 / 责任部门 / 牵头单位 / 化解期限;
        all rows or none."""
        self._provincial(actor)
        campaign = self._open(campaign_id)
        fmt = detect_format(filename)
        raw = list(read_rows(data, fmt, columns=RawColumns()))
        if not raw:
            raise InvalidInputError([FieldProblem("file", "文件中没有案件")])
        parsed: list[tuple[int, dict[str, Any]]] = []
        for line, values in raw:
            given = {}
            for key, names in IMPORT_COLUMNS.items():
                for name in names:
                    if values.get(name) not in (None, ""):
                        given[key] = str(values[name]).strip()
                        break
            parsed.append((line, given))
        missing = [FieldProblem("登记编号", "缺少登记编号", line) for line, g in parsed if not g.get("external_no")]
        if missing:
            raise InvalidInputError(missing, _summary(missing))
        known = self.kernel.cases.get_many_by_external([g["external_no"] for _, g in parsed])
        unknown = [
            FieldProblem("登记编号", f"登记编号“{g['external_no']}”不存在", line)
            for line, g in parsed
            if g["external_no"] not in known
        ]
        if unknown:
            raise InvalidInputError(unknown, _summary(unknown))
        specs = [(line, known[g["external_no"]].id, g) for line, g in parsed]
        rows = self._entry_rows(campaign, specs, actor)
        with self.db.transaction() as conn:
            return store.add_entries(conn, rows)

    def _visible_entries(self, campaign_id: int, day: dt.date, actor: Principal) -> list[Any]:
        del day  # the list as handed down counts on every day; issued notices are stored, never recomputed
        entries = store.entries(self.db, campaign_id)
        if actor.scope.provincial:
            return entries
        seen = self.kernel.cases.ids_in_scope(actor.scope, [int(e["case_id"]) for e in entries])
        return [e for e in entries if int(e["case_id"]) in seen]

    def entries(self, campaign_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        actor.require("reports:read")
        self._row(campaign_id)
        today = self.clock.today()
        entries = self._visible_entries(campaign_id, today, actor)
        facts = case_facts(self.db, ids=[int(e["case_id"]) for e in entries])
        cases = self.kernel.cases.get_many([int(e["case_id"]) for e in entries])
        out = []
        for e in entries:
            cid = int(e["case_id"])
            since = rates.resolved_on(facts[cid], today, self.rules) if cid in facts else None
            case = cases.get(cid)
            out.append(
                {
                    "case_id": cid,
                    "external_no": case.external_no if case else "",
                    # Titles are masked whatever the role, as in the package and 诉访分离 lists.
                    "title": mask_personal(case.title or "", [case.petitioner_name]) if case else "",
                    "locality": e["locality"],
                    "department": e["department"],
                    "lead_unit": e["lead_unit"],
                    "target_date": e["target_date"],
                    "outcome": "已化解" if since else "未化解",
                    "resolved_on": since.isoformat() if since else None,
                }
            )
        return out

    # -- progress --------------------------------------------------------------------------------
    def _progress(self, campaign_id: int, day: dt.date, actor: Principal) -> list[prog.UnitProgress]:
        entries = self._visible_entries(campaign_id, day, actor)
        facts = case_facts(self.db, ids=[int(e["case_id"]) for e in entries])
        return prog.unit_progress(entries, facts, day, self.rules)

    def progress(self, campaign_id: int, day: dt.date | None = None, actor: Principal = SYSTEM) -> dict[str, Any]:
        """Per lead unit on ``day`` (default today); a closed campaign answers its frozen figures."""
        actor.require("reports:read")
        row = self._row(campaign_id)
        day = day or self.clock.today()
        if row["status"] == "closed" and row["frozen"] and day >= dt.date.fromisoformat(row["closed_at"][:10]):
            frozen = json.loads(row["frozen"])
            units = [u for u in frozen["units"] if actor.scope.provincial or u["unit"] in self._own_units(actor)]
            return {**frozen, "units": units, "frozen": True}
        units = self._progress(campaign_id, day, actor)
        return {
            "campaign_id": campaign_id,
            "as_of": day.isoformat(),
            "units": [u.as_dict() for u in units],
            "total": prog.total(units, self.rules).as_dict(),
            "definitions": self.definitions(),
            "frozen": False,
        }

    def definitions(self) -> dict[str, str]:
        """The list rates' definitions (kb/workflow/rates.py, their one owner), as every figure states them."""
        return rates.list_definitions(self.rules)

    def close(self, campaign_id: int, actor: Principal = SYSTEM) -> Campaign:
        """End the campaign: its figures as of today are stored and answered from then on."""
        self._provincial(actor)
        self._open(campaign_id)
        figures = self.progress(campaign_id, self.clock.today(), SYSTEM)
        with self.db.transaction() as conn:
            store.close(conn, campaign_id, actor.username, self._now(), figures)
        return self.get(campaign_id, actor)

    # -- responsibility letters -----------------------------------------------------------------
    def sign_letter(
        self,
        campaign_id: int,
        unit: str,
        *,
        resolution_target: float,
        repeat_target: float,
        deadline: str,
        signed_on: str,
        signatory: str,
        actor: Principal = SYSTEM,
    ) -> dict[str, Any]:
        self._provincial(actor)
        self._open(campaign_id)
        found = self.kernel.units.require(_text(unit, "unit"), "unit")
        signed = _date(signed_on, "signed_on")
        if signed > self.clock.today():
            raise InvalidInputError([FieldProblem("signed_on", "签订日期不能晚于今天")])
        values = {
            "campaign_id": campaign_id,
            "unit": found.name,
            "resolution_target": _fraction(resolution_target, "resolution_target"),
            "repeat_target": _fraction(repeat_target, "repeat_target"),
            "deadline": _date(deadline, "deadline").isoformat(),
            "signed_on": signed.isoformat(),
            "signatory": _text(signatory, "signatory"),
            "recorded_by": actor.username,
            "recorded_at": self._now(),
        }
        with self.db.transaction() as conn:
            store.upsert_letter(conn, values)
        return next(r for r in self.letters(campaign_id, actor=actor) if r["unit"] == found.name)

    def _own_units(self, actor: Principal) -> set[str]:
        return {u for u in (actor.unit, actor.scope.city) if u}

    def letters(self, campaign_id: int, day: dt.date | None = None, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        """Every letter with the unit's progress on ``day`` against its targets."""
        actor.require("reports:read")
        self._row(campaign_id)
        day = day or self.clock.today()
        by_unit = {u.unit: u for u in self._progress(campaign_id, day, SYSTEM)}
        words = self.definitions()
        out = []
        for r in store.letters(self.db, campaign_id):
            if not actor.scope.provincial and r["unit"] not in self._own_units(actor):
                continue
            p = by_unit.get(r["unit"])
            rate = p.resolution_rate if p else None
            repeat = p.repeat_rate if p else None
            out.append(
                {
                    **{k: v for k, v in dict(r).items() if k != "campaign_id"},
                    "as_of": day.isoformat(),
                    "listed": p.listed if p else 0,
                    "resolved": p.resolved if p else 0,
                    "resolution_rate": rate,
                    "repeat_rate": repeat,
                    "resolution_met": rate is not None and rate >= r["resolution_target"],
                    "repeat_met": repeat is None or repeat <= r["repeat_target"],
                    "gap_cases": _gap(p, float(r["resolution_target"])),
                    "definitions": words,
                }
            )
        return out

    def letters_xlsx(self, campaign_id: int, day: dt.date | None = None, actor: Principal = SYSTEM) -> bytes:
        actor.require("reports:export")
        rows = self.letters(campaign_id, day, actor)
        body: list[list[Any]] = [[r[k] for k in LETTER_KEYS] for r in rows]
        for line in body:
            line[11], line[12] = ("是" if line[11] else "否"), ("是" if line[12] else "否")
        body.append([])
        body += [[k, v] for k, v in self.definitions().items()]
        return to_xlsx("责任状完成情况", LETTER_HEADER, body, percent_columns=(3, 4, 9, 10))

    # -- weekly rolling notices -----------------------------------------------------------------
    def _compose(self, campaign: Any, week_end: dt.date) -> dict[str, Any]:
        """The notice of the week ending ``week_end`` as it reads now (province-wide)."""
        cid = int(campaign["id"])
        units = self._progress(cid, week_end, SYSTEM)
        before = week_end - dt.timedelta(days=7)
        issued_before = store.previous_notices(self.db, cid, week_end.isoformat())
        last_week = next((n for n in issued_before if n["week_end"] == before.isoformat()), None)
        if last_week is not None:
            prev = {u["unit"]: u for u in json.loads(last_week["content"])["all_units"]}
        else:
            prev = {u.unit: u.as_dict() for u in self._progress(cid, before, SYSTEM)}
        listed_in: dict[str, set[str]] = {n["week_end"]: {r["unit"] for r in json.loads(n["content"])["rows"]}
                                          for n in issued_before}  # fmt: skip
        rows = []
        for u in units:
            reasons = prog.notice_reasons(u, campaign["resolution_line"], campaign["repeat_line"])
            if not reasons:
                continue
            weeks, back = 1, before
            while u.unit in listed_in.get(back.isoformat(), set()):
                weeks, back = weeks + 1, back - dt.timedelta(days=7)
            p = prev.get(u.unit)
            rows.append(
                {
                    **u.as_dict(),
                    "reasons": reasons,
                    "weeks": weeks,
                    "change_resolution_rate": _delta(u.resolution_rate, p["resolution_rate"] if p else None),
                    "change_repeat_rate": _delta(u.repeat_rate, p["repeat_rate"] if p else None),
                }
            )
        latest = issued_before[0] if issued_before else None
        replies: list[dict[str, Any]] = []
        missing: list[str] = []
        if latest is not None:
            replies = [
                {k: r[k] for k in ("unit", "text", "filed_by", "filed_at")}
                for r in store.replies(self.db, latest["id"])
            ]
            answered = {r["unit"] for r in replies}
            missing = [r["unit"] for r in json.loads(latest["content"])["rows"] if r["unit"] not in answered]
        start = week_end - dt.timedelta(days=6)
        return {
            "campaign_id": cid,
            "campaign": campaign["name"],
            "title": f"{campaign['name']}周滚动通报（{start.isoformat()} 至 {week_end.isoformat()}）",
            "week_start": start.isoformat(),
            "week_end": week_end.isoformat(),
            "resolution_line": campaign["resolution_line"],
            "repeat_line": campaign["repeat_line"],
            "rows": rows,
            "all_units": [u.as_dict() for u in units],
            "total": prog.total(units, self.rules).as_dict(),
            "previous_notice": latest["week_end"] if latest else None,
            "replies": replies,
            "missing_replies": missing,
            "definitions": self.definitions(),
            "issued": False,
            "issued_note": "预览，尚未印发",
        }

    def notice(
        self, campaign_id: int, week_end: dt.date, *, issue: bool = False, actor: Principal = SYSTEM
    ) -> dict[str, Any]:
        """The week's notice: the stored one once issued (it never changes), else composed now;
        ``issue`` stores it (provincial supervisors only)."""
        actor.require("reports:read")
        campaign = self._row(campaign_id)
        if week_end > self.clock.today():
            raise InvalidInputError([FieldProblem("week_end", "不能为尚未结束的周印发通报")])
        stored = store.notice(self.db, campaign_id, week_end.isoformat())
        if stored is not None:
            content = {**json.loads(stored["content"]), "id": stored["id"], "markdown": stored["markdown"]}
            content["filed_replies"] = self._filed(int(stored["id"]))
        elif issue:
            self._provincial(actor)
            content = self._compose(campaign, week_end)
            at = self._now()
            content |= {"issued": True, "issued_note": f"{at[:10]} 由 {actor.username} 印发", "issued_at": at}
            md = render.markdown(content)
            with self.db.transaction() as conn:
                if store.notice(self.db, campaign_id, week_end.isoformat()) is None:
                    notice_id = store.insert_notice(
                        conn, campaign_id, week_end.isoformat(), actor.username, at, content, md
                    )
            content |= {"id": notice_id, "markdown": md, "filed_replies": []}
        else:
            content = self._compose(campaign, week_end)
            content |= {"id": None, "markdown": render.markdown(content), "filed_replies": []}
        return self._scoped_notice(content, actor)

    def _filed(self, notice_id: int) -> list[dict[str, Any]]:
        """The rectification replies filed so far against this issued notice (the next notice shows them)."""
        return [{k: r[k] for k in ("unit", "text", "filed_by", "filed_at")} for r in store.replies(self.db, notice_id)]

    def _scoped_notice(self, content: dict[str, Any], actor: Principal) -> dict[str, Any]:
        if actor.scope.provincial:
            return content
        own = self._own_units(actor)
        keep = {**content, "rows": [r for r in content["rows"] if r["unit"] in own]}
        keep["all_units"] = [u for u in content["all_units"] if u["unit"] in own]
        keep["replies"] = [r for r in content["replies"] if r["unit"] in own]
        keep["missing_replies"] = [u for u in content["missing_replies"] if u in own]
        keep["filed_replies"] = [r for r in content.get("filed_replies", []) if r["unit"] in own]
        keep["markdown"] = render.markdown(keep)
        return keep

    def notices(self, campaign_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        actor.require("reports:read")
        self._row(campaign_id)
        out = []
        for n in store.notices(self.db, campaign_id):
            c = self._scoped_notice({**json.loads(n["content"]), "id": n["id"], "markdown": n["markdown"]}, actor)
            head = {k: n[k] for k in ("id", "week_end", "issued_at", "issued_by")}
            out.append({**head, "units": [r["unit"] for r in c["rows"]]})
        return out

    def notice_docx(self, campaign_id: int, week_end: dt.date, actor: Principal = SYSTEM) -> bytes:
        actor.require("reports:export")
        return render.docx(self.notice(campaign_id, week_end, actor=actor))

    def reply(self, campaign_id: int, week_end: dt.date, unit: str, text: str, actor: Principal = SYSTEM) -> None:
        """A unit on an issued notice files its rectification reply (once); the next notice shows it."""
        actor.require("workflow:write")
        self._row(campaign_id)
        stored = store.notice(self.db, campaign_id, week_end.isoformat())
        if stored is None:
            raise NotFoundError(f"{week_end.isoformat()} 这一周的通报尚未印发")
        listed = {r["unit"] for r in json.loads(stored["content"])["rows"]}
        if unit not in listed:
            raise InvalidInputError([FieldProblem("unit", f"“{unit}”不在该期通报上，无需整改回复")])
        if not actor.scope.provincial and unit not in self._own_units(actor):
            raise InvalidInputError([FieldProblem("unit", "只能为本单位提交整改回复")])
        body = _text(text, "text")
        with self.db.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM campaign_replies WHERE notice_id = ? AND unit = ?", (stored["id"], unit)
            ).fetchone():
                raise ConflictError(f"“{unit}”已提交该期整改回复")
            store.insert_reply(conn, int(stored["id"]), unit, body, actor.username, self._now())

    # -- supervision teams and orders -----------------------------------------------------------
    def add_visit(
        self,
        campaign_id: int,
        *,
        team: str,
        units: list[str],
        findings: str,
        starts_on: str,
        ends_on: str,
        actor: Principal = SYSTEM,
    ) -> dict[str, Any]:
        self._provincial(actor)
        self._row(campaign_id)
        if not units:
            raise InvalidInputError([FieldProblem("units", "至少列出一个被督查单位")])
        names = [self.kernel.units.require(u, "units").name for u in units]
        start, end = _date(starts_on, "starts_on"), _date(ends_on, "ends_on")
        if end < start:
            raise InvalidInputError([FieldProblem("ends_on", "结束日期不能早于开始日期")])
        values = {
            "campaign_id": campaign_id,
            "team": _text(team, "team"),
            "units": json.dumps(names, ensure_ascii=False),
            "findings": _text(findings, "findings"),
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "recorded_by": actor.username,
            "recorded_at": self._now(),
        }
        with self.db.transaction() as conn:
            visit_id = store.insert_visit(conn, values)
        return next(v for v in self.visits(campaign_id, actor) if v["id"] == visit_id)

    def visits(self, campaign_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        actor.require("reports:read")
        self._row(campaign_id)
        out = []
        for r in store.visits(self.db, campaign_id):
            units = json.loads(r["units"])
            if not actor.scope.provincial and not set(units) & self._own_units(actor):
                continue
            out.append({**{k: v for k, v in dict(r).items() if k != "units"}, "units": units})
        return out

    def link_order(self, campaign_id: int, order_id: int, actor: Principal = SYSTEM) -> None:
        """Attach a 督办单 (kb/workflow/supervision.py) to the campaign."""
        self._provincial(actor)
        self._row(campaign_id)
        with self.db.transaction() as conn:
            if not store.order_exists(conn, order_id):
                raise NotFoundError(f"督办单 {order_id} 不存在")
            store.link_order(conn, campaign_id, order_id)

    def orders(self, campaign_id: int, actor: Principal = SYSTEM) -> list[dict[str, Any]]:
        actor.require("reports:read")
        self._row(campaign_id)
        rows = [dict(r) for r in store.orders(self.db, campaign_id)]
        if actor.scope.provincial:
            return rows
        seen = self.kernel.cases.ids_in_scope(actor.scope, [r["case_id"] for r in rows])
        return [r for r in rows if r["case_id"] in seen]


def _gap(p: prog.UnitProgress | None, target: float) -> int:
    """Cases still to resolve to reach ``target`` (rounded up)."""
    if p is None:
        return 0
    need = -(-round(p.listed * target * 1000) // 1000)
    return max(0, need - p.resolved)


def _summary(problems: list[FieldProblem]) -> str:
    return "积案清单有误，未导入任何案件：" + "；".join(p.describe() for p in problems[:5])


def _delta(now_: float | None, before: float | None) -> float | None:
    return None if now_ is None or before is None else round(now_ - before, 4)
