"""Helpers for the dual-assignment tests (kb and HTTP): accounts bound to a unit, a fixed clock, cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kb.clock import FixedClock
from kb.service import LeianService
from kb.users import Principal

START = dt.date(2026, 12, 1)
PASSWORD = "Handling-2026!"


def account(service: LeianService, username: str, role: str, unit: str | None) -> Principal:
    """An account of ``unit`` (None: the provincial level), its scope as the unit's kind implies."""
    principal, _ = service.users.create(username, role, PASSWORD, unit=unit)
    return principal


def clocked(service: LeianService) -> FixedClock:
    clock = FixedClock(START)
    service.kernel.clock = clock
    return clock


def row(no: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"external_no": no, "title": "", "content": content, "received_date": "2026-11-30", **extra}


def ingest(service: LeianService, *rows: dict[str, Any]) -> list[int]:
    service.ingest([(None, r) for r in rows])
    ids = service.case_ids_by_external([r["external_no"] for r in rows])
    return [ids[r["external_no"]] for r in rows]
