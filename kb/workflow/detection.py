"""On every ingest (and on demand): repeat-petition links and litigation detection for the new cases."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import numpy as np

from indexing.vectors.batch_knn import batch_neighbours
from kb.kernel import IngestBatch, Kernel, text_of
from kb.workflow import litigation
from kb.workflow.repeats import NewCase, RepeatDetector, RepeatSettings


class IngestDetector:
    def __init__(self, kernel: Kernel, settings: RepeatSettings | None = None) -> None:
        self.kernel = kernel
        self.db = kernel.db
        self.repeats = RepeatDetector(settings or RepeatSettings(), kernel.encoder.name, kernel.clock)

    def on_ingest(self, conn: sqlite3.Connection, batch: IngestBatch) -> None:
        cases = [
            NewCase(
                cid,
                c.received_date.isoformat(),
                None,
                text_of(c),
                batch.vectors[i],
                batch.tokens[i],
                c.category,
                c.city,
                c.district,
            )
            for i, (cid, c) in enumerate(zip(batch.ids, batch.cases, strict=True))
        ]
        keys = self.kernel.cases.petitioner_keys(conn, [c.id for c in cases])
        for c in cases:
            c.petitioner_key = keys.get(c.id)
        self.repeats.process(conn, cases, self._neighbours(batch.ids, batch.vectors, batch.peers))
        litigation.record_detections(conn, self.kernel.cases, [(c.id, litigation.detect(c.text)) for c in cases])

    def _neighbours(
        self, ids: list[int], vectors: np.ndarray, peers: Mapping[int, Sequence[int]] | None = None, k: int = 10
    ) -> dict[int, list[int]]:
        """Nearest stored cases (from the index) and nearest cases of the same import: ``peers``
        when the import computed them over the whole file, else over this batch
        (``batch_neighbours``: exact while small, an HNSW graph above, never all pairs)."""
        out: dict[int, list[int]] = {cid: [] for cid in ids}
        index = self.kernel.index
        if len(index.vectors):
            found = index.nearest(vectors, k)
            for cid, row in zip(ids, found, strict=True):
                out[cid].extend(int(x) for x in row if x >= 0 and x != cid)
        if peers is not None:
            for cid in ids:
                out[cid].extend(peers.get(cid, ()))
            return out
        arr = np.asarray(ids)
        for offset, cols in enumerate(batch_neighbours(vectors, k)):
            cid = ids[offset]
            out[cid].extend(int(arr[c]) for c in cols if c >= 0 and arr[c] != cid)
        return out

    def rescan(self, chunk: int = 2000) -> int:
        """Re-run repeat and litigation detection over every stored case (e.g. after an upgrade)."""
        ids = self.kernel.cases.ids_by_date()
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            found = self.kernel.cases.get_many(part)
            vecs = self.kernel.cases.vectors_for(self.kernel.encoder.name, part)
            toks = self.kernel.cases.tokens_for(part)
            cases = [
                NewCase(
                    i,
                    found[i].received_date,
                    found[i].petitioner_key,
                    found[i].text,
                    vecs[i],
                    toks.get(i, []),
                    found[i].category,
                    found[i].city,
                    found[i].district,
                )
                for i in part
                if i in vecs
            ]
            matrix = np.vstack([c.vector for c in cases]) if cases else np.zeros((0, self.kernel.encoder.dim))
            with self.db.transaction() as conn:
                self.repeats.process(conn, cases, self._neighbours([c.id for c in cases], matrix))
                detected = [(c.id, litigation.detect(c.text)) for c in cases]
                litigation.record_detections(conn, self.kernel.cases, detected)
        return len(ids)
