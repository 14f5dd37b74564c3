"""Case records: the input shape (validated), the update shape, the stored record and filters.

Every field comes from the table in ``kb/fields.py``. The classes below spell out the fields that
code reads by attribute (so they stay typed); their constraints and validation come from the
table, and any further row of the table is added to them by ``_with_table_fields``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator, model_validator

from kb.fields import (
    CHANNELS,
    DEADLINES,
    EARLIEST_DATE,
    LATEST_DATE,
    MAX_CONTENT,
    MAX_TITLE,
    STAGE_LABELS,
    STATUS_ALIASES,
    STATUS_LABELS,
    CaseField,
    Stage,
    Status,
    after,
    before,
    case_fields,
    field,
    field_kwargs,
    filter_fields,
    input_fields,
)
from kb.scope import Scope

__all__ = [
    "CHANNELS",
    "EARLIEST_DATE",
    "LATEST_DATE",
    "MAX_CONTENT",
    "MAX_TITLE",
    "STAGE_LABELS",
    "STATUS_ALIASES",
    "STATUS_LABELS",
    "Case",
    "CaseIn",
    "CaseUpdate",
    "SearchFilters",
    "SearchHit",
    "Stage",
    "Status",
]
M = TypeVar("M", bound=BaseModel)
# Kept for callers outside the case model (model cases clean their text the same way).


def _f(name: str, partial: bool = False) -> Any:
    """The pydantic ``Field`` of a table row."""
    return Field(**field_kwargs(field(name), partial))


def _row(name: str | None) -> CaseField | None:
    try:
        return field(name) if name else None
    except KeyError:
        return None


class _TableValidation(BaseModel):
    """Validation every case model shares, driven by each field's row."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _before(cls, value: Any, info: ValidationInfo) -> Any:
        row = _row(info.field_name)
        return before(row, value) if row else value

    @field_validator("*")
    @classmethod
    def _after(cls, value: Any, info: ValidationInfo) -> Any:
        row = _row(info.field_name)
        return after(row, value) if row else value


class CaseInCore(_TableValidation):
    """A petition as it arrives (API body or one import row)."""

    external_no: str = _f("external_no")
    title: str = _f("title")
    content: str = _f("content")
    received_date: dt.date = _f("received_date")
    channel: str | None = _f("channel")
    city: str | None = _f("city")
    district: str | None = _f("district")
    department: str | None = _f("department")
    category: str | None = _f("category")
    status: Status = _f("status")
    resolution_note: str | None = _f("resolution_note")
    resolved_date: dt.date | None = _f("resolved_date")
    litigation: bool = _f("litigation")
    petitioner_name: str | None = _f("petitioner_name")
    petitioner_id: str | None = _f("petitioner_id")
    petitioner_phone: str | None = _f("petitioner_phone")
    participants: int = _f("participants")

    @model_validator(mode="after")
    def _dates(self) -> CaseInCore:
        if self.resolved_date and self.resolved_date < self.received_date:
            raise ValueError("办结日期不能早于受理日期")
        return self


class CaseUpdateCore(_TableValidation):
    """A partial update; absent fields stay as they are."""

    title: str | None = _f("title", True)
    content: str | None = _f("content", True)
    received_date: dt.date | None = _f("received_date", True)
    channel: str | None = _f("channel", True)
    city: str | None = _f("city", True)
    district: str | None = _f("district", True)
    department: str | None = _f("department", True)
    category: str | None = _f("category", True)
    status: Status | None = _f("status", True)
    resolution_note: str | None = _f("resolution_note", True)
    resolved_date: dt.date | None = _f("resolved_date", True)
    litigation: bool | None = _f("litigation", True)
    participants: int | None = _f("participants", True)


def _with_table_fields(base: type[M], name: str, partial: bool = False) -> type[M]:
    """``base`` plus every table row it does not spell out (a new row needs no edit here)."""
    rows = [f for f in input_fields() if f.name not in base.model_fields and (f.updatable or not partial)]
    extra: dict[str, Any] = {f.name: (f.annotation(partial), Field(**field_kwargs(f, partial))) for f in rows}
    model = create_model(name, __base__=base, __module__=__name__, __doc__=base.__doc__, **extra)
    return model


@dataclass
class CaseCore:
    """A stored petition; ``petitioner_key`` is the keyed hash, never the raw identity."""

    id: int
    external_no: str
    title: str
    content: str
    received_date: str
    channel: str | None
    city: str | None
    district: str | None
    department: str | None
    category: str | None
    status: str
    resolution_note: str | None
    resolved_date: str | None
    litigation: bool
    petitioner_key: str | None
    petitioner_name: str | None
    participants: int
    created_at: str
    updated_at: str
    # The lifecycle (kb/workflow/lifecycle.py): stage, the bureau's next due date while the stage is
    # open, and whether that date had passed when the record was read (the repository's clock).
    stage: str = Stage.registered.value
    due_date: str | None = None
    overdue: bool = False

    @property
    def stage_label(self) -> str:
        try:
            return STAGE_LABELS[Stage(self.stage)]
        except ValueError:
            return self.stage

    @property
    def text(self) -> str:
        """What gets segmented and embedded."""
        return f"{self.title}。{self.content}" if self.title else self.content

    def values(self) -> dict[str, Any]:
        """Field name -> stored value, for code that walks the table (outputs, exports)."""
        return dict(self.__dict__)


def _stored_record(base: type[CaseCore]) -> type[CaseCore]:
    known = {f.name for f in dataclasses.fields(base)}
    rows = [f for f in case_fields() if f.stored and f.name not in known]
    extra = [(f.name, Any, dataclasses.field(default=None)) for f in rows]
    return dataclasses.make_dataclass("Case", extra, bases=(base,), namespace={"__module__": __name__})


if TYPE_CHECKING:
    CaseIn = CaseInCore
    CaseUpdate = CaseUpdateCore
    Case = CaseCore
else:
    CaseIn = _with_table_fields(CaseInCore, "CaseIn")
    CaseUpdate = _with_table_fields(CaseUpdateCore, "CaseUpdate", partial=True)
    Case = _stored_record(CaseCore)


# The typed accessors existing callers use: keyword -> (field, part of a date range or None).
_LEGACY = {
    "cities": "city",
    "departments": "department",
    "categories": "category",
    "statuses": "status",
    "channels": "channel",
}


class SearchFilters:
    """Filter values by field name (multi: tuple of values, date range: (from, to), boolean).

    Any filterable row of the table can be given through ``by_field``; the keyword arguments and
    properties (``cities``, ``date_from``, ...) remain for existing callers, and
    ``dataclasses.replace(filters, cities=[...])`` keeps working.
    """

    # A dataclass at runtime (decorated below the class, so type checkers take this ``__init__``
    # with its keywords as the signature ``replace`` is checked against).
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    by_field: Mapping[str, Any]
    # The account scope the filters are restricted to (``kernel.scoped``); None = no restriction.
    scope: Scope | None

    def __init__(
        self,
        cities: Iterable[str] | None = None,
        departments: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
        channels: Iterable[str] | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        litigation: bool | None = None,
        *,
        by_field: Mapping[str, Any] | None = None,
        scope: Scope | None = None,
    ) -> None:
        values: dict[str, Any] = dict(by_field or {})
        given = {"cities": cities, "departments": departments, "categories": categories}
        given |= {"statuses": statuses, "channels": channels}
        for keyword, value in given.items():
            if value is not None:
                values[_LEGACY[keyword]] = tuple(str(v) for v in value)
        if date_from is not None or date_to is not None:
            low, high = values.get("received_date") or (None, None)
            values["received_date"] = (date_from or low, date_to or high)
        if litigation is not None:
            values["litigation"] = litigation
        object.__setattr__(self, "by_field", _normalised(values))
        object.__setattr__(self, "scope", None if scope is None or scope.provincial else scope)

    def get(self, name: str) -> Any:
        return self.by_field.get(name)

    def values(self, name: str) -> list[str]:
        return list(self.by_field.get(name) or ())

    def is_empty(self) -> bool:
        """No field filter and no scope restriction: every case matches."""
        return not self.by_field and self.scope is None

    @property
    def cities(self) -> list[str]:
        return self.values("city")

    @property
    def departments(self) -> list[str]:
        return self.values("department")

    @property
    def categories(self) -> list[str]:
        return self.values("category")

    @property
    def statuses(self) -> list[str]:
        return self.values("status")

    @property
    def channels(self) -> list[str]:
        return self.values("channel")

    @property
    def date_from(self) -> dt.date | None:
        return (self.by_field.get("received_date") or (None, None))[0]

    @property
    def date_to(self) -> dt.date | None:
        return (self.by_field.get("received_date") or (None, None))[1]

    @property
    def litigation(self) -> bool | None:
        return self.by_field.get("litigation")

    @property
    def deadline(self) -> str | None:
        """``near`` (即将超期) or ``overdue`` (已超期), on the lifecycle due date."""
        return self.by_field.get("due_date")


SearchFilters = dataclass(init=False, frozen=True)(SearchFilters)  # type: ignore[misc]


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only filterable fields, and no empty filter (an empty list means "any")."""
    kinds = {f.name: f.filter for f in filter_fields()}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name not in kinds:
            raise ValueError(f"not a filterable case field: {name}")
        if kinds[name] == "multi" and value:
            out[name] = tuple(value)
        elif kinds[name] == "date_range" and value and any(v is not None for v in value):
            out[name] = (value[0], value[1])
        elif kinds[name] == "boolean" and value is not None:
            out[name] = bool(value)
        elif kinds[name] == "deadline" and value:
            if value not in DEADLINES:
                raise ValueError(f"deadline filter must be one of {', '.join(DEADLINES)}: {value!r}")
            out[name] = str(value)
    return out


@dataclass
class SearchHit:
    case: Case
    score: float
    dense_score: float | None
    lexical_score: float | None
    matched_terms: list[str]
    reasons: list[str]
    # Below the relevance floor (kb.search.below_floor): shown as 相关度较低.
    low_relevance: bool = False
