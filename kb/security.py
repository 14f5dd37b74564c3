"""Security wiring the composition root uses: the ingest hook that audits every import atomically."""

from __future__ import annotations

import sqlite3

from kb.audit import AuditLog
from kb.kernel import IngestBatch, IngestHook
from kb.users import SYSTEM


def audit_ingest_hook(audit: AuditLog) -> IngestHook:
    """A hook recording one audit event per import, inside the import's transaction."""

    def audit_ingest(conn: sqlite3.Connection, batch: IngestBatch) -> None:
        # Inside the import's transaction: the event exists exactly when the data does. One event
        # per import: a large import runs the hooks once per part, the first part records it.
        if batch.part:
            return
        ids = list(batch.import_ids) if batch.import_ids is not None else batch.ids
        created = batch.import_created if batch.import_created is not None else sum(batch.created)
        action = "cases.create" if len(ids) == 1 and created == 1 else "cases.import"
        record_id = ids[0] if len(ids) == 1 else None
        detail = {"created": created, "updated": len(ids) - created, "ids": ids[:50]}
        # The request's actor when there is one (HTTP), else who the import names (CLI --as / OS user).
        audit.record(None if batch.actor is SYSTEM else batch.actor, action, "case", record_id, detail, conn=conn)

    return audit_ingest
