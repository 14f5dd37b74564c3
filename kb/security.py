"""Wires the audit log and web sessions into the service, and audits every import atomically."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from kb.audit import AuditLog
from kb.sessions import SessionStore

if TYPE_CHECKING:
    from kb.service import IngestBatch, LeianService


def attach_security(service: LeianService) -> tuple[AuditLog, SessionStore]:
    audit = AuditLog(service.db)

    def audit_ingest(conn: sqlite3.Connection, batch: IngestBatch) -> None:
        # Inside the import's transaction: the event exists exactly when the data does.
        created = sum(batch.created)
        action = "cases.create" if len(batch.ids) == 1 and created == 1 else "cases.import"
        record_id = batch.ids[0] if len(batch.ids) == 1 else None
        detail = {"created": created, "updated": len(batch.ids) - created, "ids": batch.ids[:50]}
        audit.record(None, action, "case", record_id, detail, conn=conn)

    service.ingest_hooks.append(audit_ingest)
    return audit, SessionStore(service.db, service.users, audit)
