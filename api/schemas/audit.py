"""The audit log as administrators query it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class AuditEventOut(BaseModel):
    id: int
    at: str
    username: str
    role: str | None
    city: str | None
    unit: str | None = None
    action: str
    record_type: str | None
    record_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventOut]
