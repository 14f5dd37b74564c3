"""重复信访: on ingest, link a case to an earlier one from the same petitioner on the same matter,
to an exact resubmission (same normalised text), or to a near-identical case by other people (联名).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexing.entities import amounts, names
from indexing.text import normalize
from kb.clock import Clock
from kb.storage.cases import now, vectors_in
from kb.workflow import store

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class RepeatSettings:
    window_days: int = 365
    # Same petitioner, same matter: dense cosine or token overlap (Dice) at or above these.
    same_matter_cosine: float = 0.8
    same_matter_overlap: float = 0.5
    # Issue 19: with evidence besides the petitioner (a re-petition cue such as 再次/上次反映, the same
    # category and locality, or the same named respondent and amount) a lower bar applies.
    evidence_cosine: float = 0.65
    evidence_overlap: float = 0.35
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
    category: str | None = None
    city: str | None = None
    district: str | None = None


# Words a petitioner uses when writing again about the same matter.
REPEAT_CUE = re.compile(
    r"再次|又一次|又来|又向|多次|屡次|反复|第[二三四五六七八九十]次|上次反映|之前反映|曾经反映|曾反映|仍未解决|至今未解决|还是没有解决|一直没有解决"
)


@dataclass(frozen=True)
class Candidate:
    """An earlier case of the same petitioner, as repeat evidence needs it."""

    id: int
    text: str
    tokens: Sequence[str]
    category: str | None = None
    city: str | None = None
    district: str | None = None


def evidence(case: NewCase, other: Candidate) -> list[str]:
    """Evidence (besides the same petitioner) that ``case`` repeats ``other``, in Chinese, for display."""
    found: list[str] = []
    cue = REPEAT_CUE.search(case.text)
    if cue:
        found.append(f"复访用语“{cue.group(0)}”")
    same_place = bool(case.city) and case.city == other.city
    same_district = not case.district or not other.district or case.district == other.district
    if case.category and case.city and case.category == other.category and same_place and same_district:
        place = case.city + (case.district or "")
        found.append(f"同类别同地区（{case.category}，{place}）")
    theirs = set(names(other.tokens))
    shared = [n for n in names(case.tokens) if n in theirs]
    money = sorted(amounts(case.text) & amounts(other.text))
    if shared and money:
        found.append(f"同一被反映对象与金额（{'、'.join(shared[:3])}；{money[0]}元）")
    elif shared:
        found.append(f"同一被反映对象（{'、'.join(shared[:3])}）")
    return found


def strong(found: Sequence[str]) -> bool:
    """Evidence that earns the lower bar: a cue, same category and place, or same named party and amount."""
    return any(f.startswith(("复访用语", "同类别同地区", "同一被反映对象与金额")) for f in found)


def norm_hash(text: str) -> str:
    """Hash of the text with punctuation, spaces and case removed: the exact-resubmission key."""
    return hashlib.sha1(_NON_WORD.sub("", normalize(text)).lower().encode("utf-8")).hexdigest()


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    return set_overlap(set(a), set(b))


def set_overlap(sa: set[str] | frozenset[str], sb: set[str] | frozenset[str]) -> float:
    """``overlap`` of two token sets."""
    return 2 * len(sa & sb) / (len(sa) + len(sb)) if sa and sb else 0.0


def _earlier(received: str, case_id: int, other_received: str, other_id: int) -> bool:
    return (other_received, other_id) < (received, case_id)


def judge_repeat(
    case: NewCase, scored: Sequence[tuple[Candidate, float]], settings: RepeatSettings
) -> tuple[tuple[int, float, list[str]] | None, int]:
    """Among earlier cases of the same petitioner (with their dense cosine), the best repeat and how many pass.

    A candidate passes at ``same_matter_cosine`` / ``same_matter_overlap``, or at the lower
    ``evidence_cosine`` / ``evidence_overlap`` when there is strong evidence (``strong``).
    """
    best: tuple[int, float, list[str]] | None = None
    passing = 0
    for other, cos in scored:
        dic = overlap(case.tokens, other.tokens)
        found = evidence(case, other)
        low = strong(found)
        cosine = settings.evidence_cosine if low else settings.same_matter_cosine
        dice = settings.evidence_overlap if low else settings.same_matter_overlap
        if cos >= cosine or dic >= dice:
            passing += 1
            sim = max(cos, dic)
            if best is None or sim > best[1]:
                best = (other.id, sim, found)
    return best, passing


# Cases whose comparison rows are read together (bounds the vectors held: GROUP x candidates).
GROUP = 256


@dataclass(frozen=True)
class _Found:
    """What a group of cases is compared with, read at once (``RepeatDetector._read``)."""

    earliest: dict[str, tuple[str, int]]  # norm_hash -> (received_date, id) of its earliest case
    petitioners: dict[str, list[sqlite3.Row]]  # petitioner key -> their cases in the window, by id
    candidates: dict[int, sqlite3.Row]  # the index's and the import's nearest cases, by id
    vectors: dict[int, np.ndarray]  # stored vectors of all of those
    token_sets: dict[int, frozenset[str]] = field(default_factory=dict)  # candidates' tokens, as first used

    def tokens_of(self, row: sqlite3.Row) -> frozenset[str]:
        """The distinct stored tokens of a candidate row (a candidate is shared by many cases of a group)."""
        key = int(row["id"])
        found = self.token_sets.get(key)
        if found is None:
            found = self.token_sets[key] = frozenset(row["tokens"].split())
        return found


class RepeatDetector:
    def __init__(self, settings: RepeatSettings, encoder: str, clock: Clock | None = None) -> None:
        """``clock`` dates the links (the service's, ``Kernel.clock``; the machine's without one)."""
        self.settings, self.encoder, self.clock = settings, encoder, clock

    def process(self, conn: sqlite3.Connection, cases: Sequence[NewCase], neighbours: dict[int, list[int]]) -> None:
        """Recompute the links of ``cases`` (in date order, so chains count up correctly).

        ``neighbours`` maps a case id to candidate ids from the vector index (possible 联名 cases).
        Links a person made stay; pairs a person unlinked are never linked again. What the cases
        are compared with is read ``GROUP`` cases at a time, a few statements per group instead of
        four per case (the links written meanwhile are not among what is read).
        """
        ids = [c.id for c in cases]
        links: list[store.LinkRow] = []  # written at the end, in one statement
        store.delete_links(conn, ids)
        hashes = {c.id: norm_hash(c.text) for c in cases}
        store.save_fingerprints(conn, list(hashes.items()))
        blocked = store.blocked_pairs(conn, ids)
        ordered = sorted(cases, key=lambda c: (c.received, c.id))
        for start in range(0, len(ordered), GROUP):
            group = ordered[start : start + GROUP]
            near = {c.id: neighbours.get(c.id, []) for c in group}
            found = self._read(conn, group, hashes, near)
            for case in group:
                links += self._exact(case, hashes[case.id], found, blocked)
                links += self._repeat(case, found, blocked)
                links += self._joint(case, near[case.id], found, blocked)
        store.save_links(conn, links)

    def _since(self, received: str) -> str:
        return (dt.date.fromisoformat(received) - dt.timedelta(days=self.settings.window_days)).isoformat()

    def _read(
        self, conn: sqlite3.Connection, group: Sequence[NewCase], hashes: dict[int, str], near: dict[int, list[int]]
    ) -> _Found:
        since, until = self._since(min(c.received for c in group)), max(c.received for c in group)
        earliest = store.earliest_by_text(conn, [hashes[c.id] for c in group])
        keys = [c.petitioner_key for c in group if c.petitioner_key]
        petitioners = store.petitioners_cases(conn, keys, since, until) if keys else {}
        candidates = store.cases_by_id(conn, sorted({i for c in group for i in near[c.id]}))
        wanted = {int(r["id"]) for rows in petitioners.values() for r in rows} | set(candidates)
        return _Found(earliest, petitioners, candidates, self._vectors(conn, sorted(wanted)))

    def _link(self, case_id: int, kind: str, other: int, sim: float, count: int) -> list[store.LinkRow]:
        return [(case_id, kind, other, round(float(sim), 4), count, now(self.clock), ())]

    def _exact(self, case: NewCase, text_hash: str, found: _Found, blocked: set[frozenset[int]]) -> list[store.LinkRow]:
        # The earliest case of that text, when earlier than this one, is the earliest earlier one.
        first = found.earliest.get(text_hash)
        if first is None or not _earlier(case.received, case.id, *first):
            return []
        other = first[1]
        return self._link(case.id, "exact", other, 1.0, 0) if frozenset((case.id, other)) not in blocked else []

    def _vectors(self, conn: sqlite3.Connection, ids: list[int]) -> dict[int, np.ndarray]:
        return vectors_in(conn, self.encoder, ids)

    def _similar(
        self, case: NewCase, rows: list[sqlite3.Row], found: _Found, cosine: float, min_dice: float
    ) -> tuple[tuple[int, float] | None, int]:
        """The most similar candidate passing either threshold as (id, similarity), and how many pass."""
        best: tuple[int, float] | None = None
        passing = 0
        mine = set(case.tokens) if rows else set()
        for r in rows:
            vec = found.vectors.get(int(r["id"]))
            cos = float(vec @ case.vector) if vec is not None and vec.shape == case.vector.shape else 0.0
            dic = set_overlap(mine, found.tokens_of(r))
            if cos >= cosine or dic >= min_dice:
                passing += 1
                sim = max(cos, dic)
                if best is None or sim > best[1]:
                    best = (int(r["id"]), sim)
        return best, passing

    def _repeat(self, case: NewCase, found: _Found, blocked: set[frozenset[int]]) -> list[store.LinkRow]:
        if not case.petitioner_key:
            return []
        since = self._since(case.received)
        rows = [
            r
            for r in found.petitioners.get(case.petitioner_key, [])
            if int(r["id"]) != case.id
            and since <= r["received_date"] <= case.received
            and _earlier(case.received, case.id, r["received_date"], r["id"])
            and frozenset((case.id, int(r["id"]))) not in blocked
        ]
        scored = []
        for r in rows:
            vec = found.vectors.get(int(r["id"]))
            cos = float(vec @ case.vector) if vec is not None and vec.shape == case.vector.shape else 0.0
            other = Candidate(int(r["id"]), r["text"], r["tokens"].split(), r["category"], r["city"], r["district"])
            scored.append((other, cos))
        best, earlier = judge_repeat(case, scored, self.settings)
        if best is None:
            return []
        # The count is how many earlier petitions on this matter the window holds.
        other_id, sim, evidence_found = best
        stamp = now(self.clock)
        return [(case.id, "repeat", other_id, round(float(sim), 4), earlier, stamp, ["同一信访人", *evidence_found])]

    def _joint(
        self, case: NewCase, candidates: list[int], found: _Found, blocked: set[frozenset[int]]
    ) -> list[store.LinkRow]:
        if not candidates:
            return []
        since = self._since(case.received)
        rows = [
            r
            for r in (found.candidates[i] for i in sorted(set(candidates)) if i in found.candidates)
            if since <= r["received_date"] <= case.received
            and _earlier(case.received, case.id, r["received_date"], r["id"])
            and (case.petitioner_key is None or r["petitioner_key"] != case.petitioner_key)
            and frozenset((case.id, int(r["id"]))) not in blocked
        ]
        s = self.settings
        best, _ = self._similar(case, rows, found, s.joint_cosine, s.joint_overlap)
        return self._link(case.id, "joint", best[0], best[1], 0) if best is not None else []
