"""A private scratch store for one import, so a file of any size passes in bounded memory.

``CaseService.ingest`` reads its rows once, validates them into this store, encodes them chunk by
chunk into it and finally writes the stored cases to the knowledge base in one transaction: memory
holds one chunk at a time, whatever the file size (issue 20: a 200,000-row import had peaked at
6.2 GB). The store is SQLite's private temporary database (an empty file name: kept in memory up
to a small cache, spilled to a temporary file beyond, deleted on close) plus a temporary file for
the vectors, written and read a block at a time (``indexing.vectors.spill.SpilledRows``: a memory
map counted every page the import touched in its RSS, 2 KB per row at 512 dimensions). Rows are
pickled: the store never outlives the process that wrote it.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from indexing.vectors.spill import SpilledRows
from kb.domain import CaseIn

# An import of at most this many rows (one part of ``kb.cases.service.IMPORT_CHUNK``) also keeps its
# rows unpickled in memory: they are read back four times (encode, write, hooks, index) and a small
# import spent more time unpickling them than SQLite spent storing them.
MEMO = 4096


class ImportStage:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._conn = sqlite3.connect("", check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("PRAGMA cache_size=-16384")  # 16 MB, then the temporary file
        self._conn.execute(
            "CREATE TABLE staged(seq INTEGER PRIMARY KEY, row_no INTEGER, case_blob BLOB, "
            "pos INTEGER, values_blob BLOB, encoded INTEGER, case_id INTEGER, created INTEGER, received TEXT)"
        )
        self._conn.execute("CREATE INDEX ix_staged_pos ON staged(pos)")
        self.count = 0
        self.changed = 0
        self.vectors = SpilledRows(0, dim)
        self._cases: dict[int, CaseIn] | None = {}  # seq -> case while the import fits in MEMO rows
        self._prepared: dict[int, tuple[CaseIn, dict[str, Any], bool]] = {}  # pos -> the same, prepared

    # -- validated rows ----------------------------------------------------------------------------
    def add_cases(self, rows: Sequence[tuple[int | None, CaseIn]]) -> None:
        self._conn.executemany(
            "INSERT INTO staged(seq, row_no, case_blob, received) VALUES (?, ?, ?, ?)",
            [
                (self.count + i, row_no, pickle.dumps(case, pickle.HIGHEST_PROTOCOL), case.received_date.isoformat())
                for i, (row_no, case) in enumerate(rows)
            ],
        )
        if self._cases is not None and self.count + len(rows) <= MEMO:
            self._cases.update((self.count + i, case) for i, (_, case) in enumerate(rows))
        else:
            self._cases = None
        self.count += len(rows)

    def case_chunks(self, size: int) -> Iterator[list[tuple[int, CaseIn]]]:
        """(seq, case) of every validated row in file order, ``size`` at a time."""
        for start in range(0, self.count, size):
            if self._cases is not None:
                yield [(seq, self._cases[seq]) for seq in range(start, min(self.count, start + size))]
                continue
            rows = self._conn.execute(
                "SELECT seq, case_blob FROM staged WHERE seq >= ? AND seq < ? ORDER BY seq", (start, start + size)
            ).fetchall()
            yield [(int(seq), pickle.loads(blob)) for seq, blob in rows]

    # -- prepared (changed) rows -------------------------------------------------------------------
    def reserve_vectors(self) -> None:
        """Room for one vector per validated row (only the changed ones are filled)."""
        self.vectors.close()
        self.vectors = SpilledRows(self.count, self.dim)

    def save_prepared(self, rows: Sequence[tuple[int, dict[str, Any], bool]], vectors: np.ndarray) -> None:
        """(seq, stored values, encoded now) of changed rows and their vectors, in order."""
        start = self.changed
        if len(rows):
            self.vectors[start : start + len(rows)] = vectors
        self._conn.executemany(
            "UPDATE staged SET pos = ?, values_blob = ?, encoded = ? WHERE seq = ?",
            [
                (start + i, pickle.dumps(values, pickle.HIGHEST_PROTOCOL), int(encoded), seq)
                for i, (seq, values, encoded) in enumerate(rows)
            ],
        )
        if self._cases is not None:
            cases = self._cases
            self._prepared.update(
                (start + i, (cases[seq], values, encoded)) for i, (seq, values, encoded) in enumerate(rows)
            )
        self.changed += len(rows)

    def prepared_chunks(self, size: int) -> Iterator[list[tuple[int, CaseIn, dict[str, Any], bool]]]:
        """(pos, case, values, encoded) of the changed rows in file order."""
        for start in range(0, self.changed, size):
            if self._cases is not None:
                memo = self._prepared
                yield [(p, *memo[p]) for p in range(start, min(self.changed, start + size))]
                continue
            rows = self._conn.execute(
                "SELECT pos, case_blob, values_blob, encoded FROM staged WHERE pos >= ? AND pos < ? ORDER BY pos",
                (start, start + size),
            ).fetchall()
            yield [(int(p), pickle.loads(c), pickle.loads(v), bool(e)) for p, c, v, e in rows]

    def save_ids(self, rows: Sequence[tuple[int, int, bool]]) -> None:
        """(pos, case id, created) once the rows are written to the knowledge base."""
        self._conn.executemany(
            "UPDATE staged SET case_id = ?, created = ? WHERE pos = ?", [(cid, int(c), p) for p, cid, c in rows]
        )

    def ids(self) -> tuple[list[int], list[bool]]:
        """Case ids and created flags of the changed rows, in file order."""
        rows = self._conn.execute("SELECT case_id, created FROM staged WHERE pos IS NOT NULL ORDER BY pos").fetchall()
        return [int(r[0]) for r in rows], [bool(r[1]) for r in rows]

    def positions_by_date(self) -> list[int]:
        """Positions of the changed rows by (received date, case id): the order detection needs."""
        rows = self._conn.execute("SELECT pos FROM staged WHERE pos IS NOT NULL ORDER BY received, case_id")
        return [int(r[0]) for r in rows]

    def prepared_at(self, positions: Sequence[int]) -> list[tuple[CaseIn, dict[str, Any], bool]]:
        if self._cases is not None:
            return [self._prepared[p] for p in positions]
        marks = ",".join("?" * len(positions))
        rows = self._conn.execute(
            f"SELECT pos, case_blob, values_blob, encoded FROM staged WHERE pos IN ({marks})", list(positions)
        ).fetchall()
        found = {int(p): (pickle.loads(c), pickle.loads(v), bool(e)) for p, c, v, e in rows}
        return [found[p] for p in positions]

    def close(self) -> None:
        self._cases, self._prepared = None, {}
        self._conn.close()
        self.vectors.close()

    def __enter__(self) -> ImportStage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
