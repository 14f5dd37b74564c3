"""On every ingest (and on demand): repeat-petition links and litigation detection for the new cases."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import numpy as np

from kb.workflow import litigation
from kb.workflow.repeats import NewCase, RepeatDetector, RepeatSettings

if TYPE_CHECKING:
    from kb.service import IngestBatch, LeianService


class IngestDetector:
    def __init__(self, core: LeianService, settings: RepeatSettings | None = None) -> None:
        self.core = core
        self.db = core.db
        self.repeats = RepeatDetector(settings or RepeatSettings(), core.encoder.name)

    def on_ingest(self, conn: sqlite3.Connection, batch: IngestBatch) -> None:
        cases = [
            NewCase(cid, c.received_date.isoformat(), None, self.core._text(c), batch.vectors[i], batch.tokens[i])
            for i, (cid, c) in enumerate(zip(batch.ids, batch.cases, strict=True))
        ]
        keys = self._keys(conn, [c.id for c in cases])
        for c in cases:
            c.petitioner_key = keys.get(c.id)
        self.repeats.process(conn, cases, self._neighbours(batch.ids, batch.vectors))
        for c in cases:
            litigation.record_detection(conn, c.id, litigation.detect(c.text))

    def _keys(self, conn: sqlite3.Connection, ids: list[int]) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            out.update(dict(conn.execute(f"SELECT id, petitioner_key FROM cases WHERE id IN ({marks})", chunk)))
        return out

    def _neighbours(self, ids: list[int], vectors: np.ndarray, k: int = 10) -> dict[int, list[int]]:
        """Nearest stored cases (from the index) and nearest cases of the same batch."""
        out: dict[int, list[int]] = {cid: [] for cid in ids}
        index = self.core.index
        if len(index.vectors):
            with index.lock:
                _, found = index.vectors.search(vectors, k, None)
            for cid, row in zip(ids, found, strict=True):
                out[cid].extend(int(x) for x in row if x >= 0 and x != cid)
        arr = np.asarray(ids)
        for start in range(0, len(ids), 512):
            sims = vectors[start : start + 512] @ vectors.T
            kk = min(k, len(ids))
            top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
            for offset, cols in enumerate(top):
                cid = ids[start + offset]
                out[cid].extend(int(arr[c]) for c in cols if arr[c] != cid)
        return out

    def rescan(self, chunk: int = 2000) -> int:
        """Re-run repeat and litigation detection over every stored case (e.g. after an upgrade)."""
        rows = self.db.query("SELECT id FROM cases ORDER BY received_date, id")
        ids = [int(r[0]) for r in rows]
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            found = self.core.cases.get_many(part)
            vecs = self.core.cases.vectors_for(self.core.encoder.name, part)
            toks = self.core.cases.tokens_for(part)
            cases = [
                NewCase(i, found[i].received_date, found[i].petitioner_key, found[i].text, vecs[i], toks.get(i, []))
                for i in part
                if i in vecs
            ]
            matrix = np.vstack([c.vector for c in cases]) if cases else np.zeros((0, self.core.encoder.dim))
            with self.db.transaction() as conn:
                self.repeats.process(conn, cases, self._neighbours([c.id for c in cases], matrix))
                for c in cases:
                    litigation.record_detection(conn, c.id, litigation.detect(c.text))
        return len(ids)
