"""The case-field table: the one place a case field is declared, and everything derived from it.

Each ``CaseField`` row says what a field is (type, Chinese label, import headers), how it is
validated and stored, and whether it is a filter, a facet, exported or personal data. The domain
models, the import header mapping, the stored columns, the filter SQL, the filter parameters of
every door (HTTP list and search, CLI, web), the facets and the export columns are all built from
``CASE_FIELDS``. Adding a filterable field is one row here plus one migration adding its column.

A ``managed`` row is a column the system maintains (the lifecycle stage and due date, written only
through ``CaseRepository`` setters): it is stored, shown and may filter, but is never accepted on
input — not by import, registration or update — and is not an import or export column.

Derived views are functions (not module constants) so they always read the current table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Literal

from kb.dates import DATE_HINT, parse_date
from kb.errors import FieldProblem, InvalidInputError

# -- vocabularies used by the rows ----------------------------------------------------------------


class Status(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    resolved = "resolved"
    unresolved = "unresolved"
    closed = "closed"


STATUS_LABELS = {
    Status.pending: "待办",
    Status.in_progress: "办理中",
    Status.resolved: "已化解",
    Status.unresolved: "未化解",
    Status.closed: "已办结",
}
# Chinese labels are accepted on input too, as registry exports use them.
STATUS_ALIASES = {label: status.value for status, label in STATUS_LABELS.items()}


class Stage(StrEnum):
    """Where a case is in its handling (kb/workflow/lifecycle.py owns the moves between stages)."""

    registered = "registered"
    accepted = "accepted"
    not_accepted = "not_accepted"
    replied = "replied"
    review_requested = "review_requested"
    reviewed = "reviewed"
    recheck_requested = "recheck_requested"
    rechecked = "rechecked"
    concluded = "concluded"


STAGE_LABELS = {
    Stage.registered: "登记",
    Stage.accepted: "受理（办理中）",
    Stage.not_accepted: "不予受理",
    Stage.replied: "已答复",
    Stage.review_requested: "复查中",
    Stage.reviewed: "复查已答复",
    Stage.recheck_requested: "复核中",
    Stage.rechecked: "复核已答复",
    Stage.concluded: "终结",
}
# Stages in which the bureau owes the next step by a due date (``cases.due_date`` is set exactly then).
OPEN_STAGES = frozenset({Stage.registered, Stage.accepted, Stage.review_requested, Stage.recheck_requested})
# The ``deadline`` filter: near = due within ``near_due_days`` from today (inclusive), overdue = past due.
DEADLINES = {"near": "即将超期", "overdue": "已超期"}
CHANNELS = ("来信", "来访", "网上", "热线")
# Where a petition came from: handed down from the centre, forwarded by the national bureau, handed
# down by the province, or received at this level (the default).
ORIGINS = ("中央交办", "国家信访局转送", "省交办", "本级受理")
YES_NO = {"是": True, "否": False}
MAX_TITLE = 200
MAX_CONTENT = 20000
EARLIEST_DATE, LATEST_DATE = dt.date(1949, 10, 1), dt.date(2099, 12, 31)

FilterKind = Literal["none", "multi", "date_range", "boolean", "deadline"]
Mask = Literal["none", "text", "name"]
FieldType = type[str] | type[int] | type[bool] | type[dt.date] | type[Status] | type[Stage]
# The natural key: given separately to upserts, never updated.
KEY = "external_no"


@dataclass(frozen=True)
class CaseField:
    """One case field. ``stored=False`` fields are accepted on input but never kept (raw identities)."""

    name: str
    type: FieldType
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    ge: int | None = None
    le: int | None = None
    choices: tuple[str, ...] = ()
    description: str | None = None
    stored: bool = True
    updatable: bool = True
    # Free text has C0 control characters removed on input; raw identities are kept as given.
    clean: bool = True
    filter: FilterKind = "none"
    filter_max: int = 50
    # Parameter name at the doors (query/body/CLI); a date range uses ``{param}_from``/``{param}_to``.
    param: str | None = None
    cli_flags: tuple[str, ...] = ()
    facet: bool = False
    export: bool = True
    mask: Mask = "none"
    # Maintained by the system (see the module docstring): never an input, import or export column.
    managed: bool = False

    @property
    def column(self) -> str:
        return self.name

    @property
    def params(self) -> tuple[str, ...]:
        """The door parameter names of this field's filter (none when it is not a filter)."""
        base = self.param or self.name
        if self.filter == "date_range":
            return (f"{base}_from", f"{base}_to")
        return () if self.filter == "none" else (base,)

    @property
    def filter_item(self) -> Any:
        """The type of one value of a multi-value filter: the enum, the allowed values, or text."""
        if issubclass(self.type, Enum):
            return self.type
        if self.choices:
            return Literal[self.choices]
        return self.type

    def annotation(self, optional: bool = False) -> Any:
        """The pydantic annotation of this field on input (``optional`` for partial updates)."""
        base: Any = self.type
        return base | None if optional or (not self.required and self.default is None) else base

    def describe(self) -> str:
        return self.description or self.label

    def hint(self) -> str:
        """What an import column accepts, in Chinese (the import page lists every row)."""
        parts = [self.describe(), "必填" if self.required else ""]
        if self.type is Status:
            parts.append(" / ".join(STATUS_LABELS.values()))
        elif self.choices:
            parts.append(" / ".join(self.choices))
        elif self.type is dt.date:
            parts.append(DATE_HINT)
        elif self.type is bool:
            parts.append("是 / 否")
        return "；".join(p for p in parts if p)


CASE_FIELDS: tuple[CaseField, ...] = (
    CaseField("external_no", str, "登记编号", ("信访编号", "编号"), required=True, min_length=1, max_length=64,
              description="登记编号（唯一）", updatable=False),
    CaseField("title", str, "标题", default="", max_length=MAX_TITLE, mask="text"),
    CaseField("content", str, "内容", ("信访内容", "诉求内容"), required=True, min_length=1,
              max_length=MAX_CONTENT, mask="text"),
    CaseField("received_date", dt.date, "受理日期", ("登记日期", "日期"), required=True,
              filter="date_range", param="date", cli_flags=("--from", "--to")),
    CaseField("channel", str, "渠道", ("信访渠道", "来源渠道"), choices=CHANNELS, filter="multi", filter_max=10,
              facet=True),
    CaseField("city", str, "地市", ("城市", "属地"), max_length=32, filter="multi", facet=True),
    CaseField("district", str, "区县", max_length=32, mask="text"),
    CaseField("department", str, "责任部门", ("部门",), max_length=64, filter="multi", facet=True),
    CaseField("category", str, "问题类别", ("类别",), max_length=64, filter="multi", facet=True),
    CaseField("status", Status, "办理状态", ("状态",), default=Status.pending, filter="multi", filter_max=10,
              facet=True),
    CaseField("resolution_note", str, "办理结果", max_length=MAX_CONTENT, mask="text"),
    CaseField("resolved_date", dt.date, "办结日期"),
    CaseField("litigation", bool, "涉法涉诉", default=False, filter="boolean"),
    CaseField("petitioner_name", str, "信访人", ("姓名",), max_length=64, updatable=False, mask="name",
              description="信访人姓名（按权限脱敏）"),
    CaseField("petitioner_id", str, "身份证号", max_length=32, description="身份证号，仅用于生成匿名键",
              stored=False, updatable=False, clean=False, export=False),
    CaseField("petitioner_phone", str, "联系电话", max_length=32, description="电话，仅用于生成匿名键",
              stored=False, updatable=False, clean=False, export=False),
    CaseField("participants", int, "人数", default=1, ge=1, le=100000),
    CaseField("stage", Stage, "办理阶段", default=Stage.registered, managed=True, updatable=False, export=False),
    CaseField("due_date", dt.date, "办理期限", managed=True, updatable=False, export=False, filter="deadline",
              param="deadline", cli_flags=("--deadline",),
              description="当前阶段的办理期限；筛选 deadline=near 即将超期、overdue 已超期"),
    CaseField("origin", str, "来源", ("案件来源", "交办来源"), default="本级受理", choices=ORIGINS,
              filter="multi", filter_max=len(ORIGINS), facet=True),
    CaseField("backlog_list", bool, "积案清单", ("列入积案清单",), default=False, filter="boolean",
              description="是否列入上级交办的积案清单"),
)  # fmt: skip


# -- views of the table -----------------------------------------------------------------------------


def case_fields() -> tuple[CaseField, ...]:
    return CASE_FIELDS


def field(name: str) -> CaseField:
    for f in CASE_FIELDS:
        if f.name == name:
            return f
    raise KeyError(name)


def input_fields() -> list[CaseField]:
    """Rows a petition may carry on input (import, registration, update): every row not managed."""
    return [f for f in CASE_FIELDS if not f.managed]


def stored_fields() -> list[CaseField]:
    return [f for f in CASE_FIELDS if f.stored]


def filter_fields() -> list[CaseField]:
    return [f for f in CASE_FIELDS if f.filter != "none"]


def facet_fields() -> list[CaseField]:
    return [f for f in CASE_FIELDS if f.facet]


def export_fields() -> list[CaseField]:
    return [f for f in CASE_FIELDS if f.export and f.stored and not f.managed]


def header_aliases() -> dict[str, str]:
    """Import header -> field name: each field's label and aliases (Chinese) besides its name."""
    out: dict[str, str] = {}
    for f in input_fields():
        for header in (f.label, *f.aliases):
            out.setdefault(header, f.name)
    return out


# -- validation helpers used by the generated models ----------------------------------------------

# C0 control characters except tab and newline: deleted by ``str.translate``.
_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def strip_control(value: str) -> str:
    return value.translate(_CONTROL).strip()


def before(f: CaseField, value: Any) -> Any:
    """Input spellings registry exports use: Chinese status labels, 是/否, office date spellings
    (``kb/dates.py``), control characters. An empty cell of an optional field with a default (a
    spreadsheet's blank 来源 or 积案清单) takes the default, as a missing column does."""
    blank = value is None or (isinstance(value, str) and not value.strip())
    if blank and not f.required and f.default is not None:
        return f.default
    if f.type is dt.date and value is not None and value != "":
        return parse_date(value)
    if not isinstance(value, str):
        return value
    if f.type is bool:
        return YES_NO.get(value.strip(), value)
    if issubclass(f.type, Enum):
        return STATUS_ALIASES.get(value, value) if f.type is Status else value
    if f.type is str and f.clean and not f.choices:
        return strip_control(value)
    return value


def after(f: CaseField, value: Any) -> Any:
    """Checks beyond the type: allowed values, non-blank required text, plausible dates."""
    if value is None:
        return value
    if f.choices and value not in f.choices:
        raise ValueError(f"{f.label}应为 {'/'.join(f.choices)} 之一")
    if f.type is str and f.required and not value.strip():
        raise ValueError(f"{f.label}不能为空")
    # Date arithmetic downstream (repeat windows, weekly reports) must never overflow.
    if f.type is dt.date and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"日期应在 {EARLIEST_DATE} 至 {LATEST_DATE} 之间")
    return value


def field_kwargs(f: CaseField, partial: bool = False) -> dict[str, Any]:
    """Keyword arguments of ``pydantic.Field`` for this row (``partial``: every field optional)."""
    kwargs: dict[str, Any] = {"description": f.describe()}
    if not f.required or partial:
        kwargs["default"] = None if partial else f.default
    for key in ("min_length", "max_length", "ge", "le"):
        if getattr(f, key) is not None:
            kwargs[key] = getattr(f, key)
    return kwargs


# -- storage ----------------------------------------------------------------------------------------


def encode(f: CaseField, value: Any) -> Any:
    """A validated value as stored in its SQLite column."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return value.value
    if f.type is bool:
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def decode(f: CaseField, value: Any) -> Any:
    """A column value as the stored record carries it (dates stay ISO text)."""
    return bool(value) if f.type is bool and value is not None else value


def to_row(case: Any) -> dict[str, Any]:
    """The stored columns of a validated case (``CaseIn``), natural key excluded.

    Derived columns (petitioner key, content hash, tokens) are added by the case service.
    """
    return {f.column: encode(f, getattr(case, f.name)) for f in input_fields() if f.stored and f.name != KEY}


# -- filters ----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def filters_from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Door parameters (``city=[..]``, ``date_from``, ``litigation``) -> filter values by field name.

    Multi-value filters become tuples of text, date ranges ``(from, to)``, booleans stay booleans, a
    deadline filter is ``"near"`` or ``"overdue"``; absent or empty parameters are left out. A range
    whose start is after its end is refused (``InvalidInputError`` naming both parameters) rather
    than silently matching nothing.
    """
    out: dict[str, Any] = {}
    for f in filter_fields():
        if f.filter == "multi":
            values = params.get(f.params[0])
            if values:
                out[f.name] = tuple(_text(v) for v in values)
        elif f.filter == "date_range":
            low, high = (_as_date(params.get(p)) for p in f.params)
            if low is not None and high is not None and low > high:
                message = f"{f.label}范围颠倒：{f.params[0]}（{low}）晚于 {f.params[1]}（{high}）"
                problems = [FieldProblem(f.params[0], message), FieldProblem(f.params[1], message)]
                raise InvalidInputError(problems, f"输入有误：{message}")
            if low is not None or high is not None:
                out[f.name] = (low, high)
        elif f.filter == "boolean" and params.get(f.params[0]) is not None:
            out[f.name] = bool(params[f.params[0]])
        elif f.filter == "deadline" and params.get(f.params[0]):
            out[f.name] = _text(params[f.params[0]])
    return out


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value if isinstance(value, dt.date) else None


# -- exports ----------------------------------------------------------------------------------------


def export_header() -> list[str]:
    """Column titles of a case export: the Chinese labels, which the importer reads back."""
    return [f.label for f in export_fields()]


def export_value(f: CaseField, value: Any) -> str:
    """One exported cell: booleans as 是/否, statuses by their Chinese label, empty for none."""
    if value is None:
        return ""
    if f.type is bool:
        return "是" if value else "否"
    if f.type is Status:
        return STATUS_LABELS.get(Status(value), str(value))
    if f.type is Stage:
        return STAGE_LABELS.get(Stage(value), str(value))
    return str(value)


def export_cells(values: Mapping[str, Any]) -> list[str]:
    """The export row of one (already masked) case given as a field -> value mapping."""
    return [export_value(f, values.get(f.name)) for f in export_fields()]
