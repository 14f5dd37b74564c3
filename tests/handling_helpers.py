"""Helpers for the dual-assignment tests (kb and HTTP): a service on a fixed clock, accounts bound to
a unit, cases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.clock import FixedClock
from kb.service import LeianService
from kb.users import Principal
from tests.conftest import make_settings

START = dt.date(2026, 12, 1)
PASSWORD = "Handling-2026!"
# The scope an account of each kind of unit gets (kb/scope.py).
SCOPE_OF_KIND = {"city": "city", "district": "city", "department": "department", "zhengfa_body": "department"}


def clocked_service(tmp_path: Path, segmenter: Segmenter, clock: FixedClock) -> LeianService:
    return LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter, clock=clock)


def account(service: LeianService, username: str, role: str, unit: str | None) -> Principal:
    """An account of ``unit`` (None: the provincial level), with the scope its unit's kind implies."""
    if unit is None:
        principal, _ = service.users.create(username, role, PASSWORD)
        return principal
    known = service.kernel.units.get(unit)
    assert known is not None, unit
    principal, _ = service.users.create(username, role, PASSWORD, unit=unit, scope=SCOPE_OF_KIND[known.kind])
    return principal


def row(no: str, content: str, **extra: Any) -> dict[str, Any]:
    return {"external_no": no, "title": "", "content": content, "received_date": "2026-11-30", **extra}


def ingest(service: LeianService, *rows: dict[str, Any]) -> list[int]:
    service.ingest([(None, r) for r in rows])
    ids = service.case_ids_by_external([r["external_no"] for r in rows])
    return [ids[r["external_no"]] for r in rows]
