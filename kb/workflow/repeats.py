"""重复信访: on ingest, link a case to an earlier one from the same petitioner on the same matter,
to an exact resubmission (same normalised text), or to a near-identical case by other people (联名).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexing.text import normalize
from kb.storage.cases import now, vectors_in
from kb.workflow import store

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class RepeatSettings:
    window_days: int = 365
    # Same petitioner, same matter: dense cosine or token overlap (Dice) at or above these.
    same_matter_cosine: float = 0.8
    same_matter_overlap: float = 0.5
    # Different petitioners, near-identical text (联名 / copied group petitions).
    joint_cosine: float = 0.95
    joint_overlap: float = 0.85


@dataclass
class NewCase:
    """What the detector needs about one case of the batch."""

    id: int
    received: str
    petitioner_key: str | None
    text: str
    vector: np.ndarray
    tokens: Sequence[str]


def norm_hash(text: str) -> str:
    """Hash of the text with punctuation, spaces and case removed: the exact-resubmission key."""
    return hashlib.sha1(_NON_WORD.sub("", normalize(text)).lower().encode("utf-8")).hexdigest()


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return 2 * len(sa & sb) / (len(sa) + len(sb)) if sa and sb else 0.0


def _earlier(received: str, case_id: int, other_received: str, other_id: int) -> bool:
    return (other_received, other_id) < (received, case_id)


class RepeatDetector:
    def __init__(self, settings: RepeatSettings, encoder: str) -> None:
        self.settings, self.encoder = settings, encoder

    def process(self, conn: sqlite3.Connection, cases: Sequence[NewCase], neighbours: dict[int, list[int]]) -> None:
        """Recompute the links of ``cases`` (in date order, so chains count up correctly).

        ``neighbours`` maps a case id to candidate ids from the vector index (possible 联名 cases).
        Links a person made stay; pairs a person unlinked are never linked again.
        """
        ids = [c.id for c in cases]
        store.delete_links(conn, ids)
        store.save_fingerprints(conn, [(c.id, norm_hash(c.text)) for c in cases])
        blocked = store.blocked_pairs(conn, ids)
        for case in sorted(cases, key=lambda c: (c.received, c.id)):
            self._exact(conn, case, blocked)
            self._repeat(conn, case, blocked)
            self._joint(conn, case, neighbours.get(case.id, []), blocked)

    def _link(self, conn: sqlite3.Connection, case_id: int, kind: str, other: int, sim: float, count: int) -> None:
        store.save_link(conn, case_id, kind, other, round(float(sim), 4), count, now())

    def _exact(self, conn: sqlite3.Connection, case: NewCase, blocked: set[frozenset[int]]) -> None:
        other = store.earliest_same_text(conn, case.id, case.received)
        if other is not None and frozenset((case.id, other)) not in blocked:
            self._link(conn, case.id, "exact", other, 1.0, 0)

    def _vectors(self, conn: sqlite3.Connection, ids: list[int]) -> dict[int, np.ndarray]:
        return vectors_in(conn, self.encoder, ids)

    def _similar(
        self, conn: sqlite3.Connection, case: NewCase, rows: list[sqlite3.Row], cosine: float, dice: float
    ) -> tuple[tuple[int, float] | None, int]:
        """The most similar candidate passing either threshold as (id, similarity), and how many pass."""
        vectors = self._vectors(conn, [int(r["id"]) for r in rows])
        best: tuple[int, float] | None = None
        passing = 0
        for r in rows:
            vec = vectors.get(int(r["id"]))
            cos = float(vec @ case.vector) if vec is not None and vec.shape == case.vector.shape else 0.0
            dic = overlap(case.tokens, r["tokens"].split())
            if cos >= cosine or dic >= dice:
                passing += 1
                sim = max(cos, dic)
                if best is None or sim > best[1]:
                    best = (int(r["id"]), sim)
        return best, passing

    def _repeat(self, conn: sqlite3.Connection, case: NewCase, blocked: set[frozenset[int]]) -> None:
        if not case.petitioner_key:
            return
        since = (dt.date.fromisoformat(case.received) - dt.timedelta(days=self.settings.window_days)).isoformat()
        rows = [
            r
            for r in store.petitioner_cases(conn, case.petitioner_key, case.id, since, case.received)
            if _earlier(case.received, case.id, r["received_date"], r["id"])
            and frozenset((case.id, int(r["id"]))) not in blocked
        ]
        s = self.settings
        best, earlier = self._similar(conn, case, rows, s.same_matter_cosine, s.same_matter_overlap)
        if best is not None:
            # The count is how many earlier petitions on this matter the window holds.
            self._link(conn, case.id, "repeat", best[0], best[1], earlier)

    def _joint(
        self, conn: sqlite3.Connection, case: NewCase, candidates: list[int], blocked: set[frozenset[int]]
    ) -> None:
        if not candidates:
            return
        since = (dt.date.fromisoformat(case.received) - dt.timedelta(days=self.settings.window_days)).isoformat()
        rows = [
            r
            for r in store.cases_received_between(conn, candidates, since, case.received)
            if _earlier(case.received, case.id, r["received_date"], r["id"])
            and (case.petitioner_key is None or r["petitioner_key"] != case.petitioner_key)
            and frozenset((case.id, int(r["id"]))) not in blocked
        ]
        s = self.settings
        best, _ = self._similar(conn, case, rows, s.joint_cosine, s.joint_overlap)
        if best is not None:
            self._link(conn, case.id, "joint", best[0], best[1], 0)
