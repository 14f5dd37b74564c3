"""Stored per-group summaries (migration 35): what a refresh added up per group, kept so that the
refresh after a reviewer edit re-reads only the members of the groups the edit changed.

A refresh (``Discovery.refresh``) writes one row per active group: its membership fingerprint
(members, sum and a mixed sum of case ids), its term counts and document counts over a stored
vocabulary, its family-view centroid, the two names most of its members mention and its categories;
and the run of the feature model and the cases write generation (``meta.generation``) they reflect.

``changes`` then tells the edit refresh which groups to re-read: every group whose fingerprint
differs (moves, merges, splits, undo, ingest assignment) and every group holding a case written
since (text, category, vector: the index change log, ``index_changes``). It returns None, meaning
"refresh everything", when there are no rows, the feature model changed, or the change log cannot
say which cases changed (a reindex, or pruned generations). ``combine`` joins the stored rows of
the other groups with a fresh summary of the re-read ones into the summary a full refresh would
have built (same counts, frequencies and family centroids; term columns in another order, which
no score depends on).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from kb.clock import Clock
from kb.groups.summary import MemberSummary, frequencies
from kb.storage.cases import now
from kb.storage.sql import chunks, marks, query_in

Fingerprint = tuple[int, int, int]  # (members, sum of case ids, sum of (id mod 9973) * (id mod 8191))
NAMES_KEPT = 2  # a group's name leads with up to two names at least half of its members mention

FINGERPRINT_SQL = (
    "SELECT m.group_id, COUNT(*), SUM(m.case_id), SUM((m.case_id % 9973) * (m.case_id % 8191)) "
    "FROM group_members m JOIN case_groups g ON g.id = m.group_id WHERE g.state = 'active' GROUP BY m.group_id"
)


@dataclass
class Changes:
    """What the edit refresh must re-read (``SummaryStore.changes``)."""

    reread: set[int]  # active groups whose members are read again
    kept: set[int]  # active groups whose stored rows stand
    gone: set[int]  # stored groups no longer active or without members
    fingerprints: dict[int, Fingerprint]  # of every active group with members, now
    generation: int  # the cases write generation now


def fingerprints(conn: sqlite3.Connection) -> dict[int, Fingerprint]:
    """Membership fingerprint of every active group with members (one SQL aggregate over the members)."""
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(FINGERPRINT_SQL).fetchall()}


def generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def model_run(conn: sqlite3.Connection) -> int:
    """The run whose feature model is current (the latest run that stored one; 0: none)."""
    row = conn.execute("SELECT MAX(id) FROM group_runs WHERE model IS NOT NULL").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


class SummaryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock

    # -- what changed ------------------------------------------------------------------------------
    def changes(self, conn: sqlite3.Connection) -> Changes | None:
        """The groups to re-read since the rows were written; None: refresh everything."""
        state = conn.execute("SELECT run_id, generation FROM group_summary_state").fetchone()
        if state is None or int(state[0]) != model_run(conn):
            return None
        stored = {
            int(r[0]): (int(r[1]), int(r[2]), int(r[3]))
            for r in conn.execute("SELECT group_id, members, id_sum, id_mix FROM group_summaries").fetchall()
        }
        current = fingerprints(conn)
        gen, since = generation(conn), int(state[1])
        written = self._written_since(conn, since, gen)
        if written is None:
            return None
        reread = {g for g, fp in current.items() if stored.get(g) != fp}
        if written:
            reread |= {g for g in self._groups_of(conn, sorted(written)) if g in current}
        return Changes(reread, set(current) - reread, set(stored) - set(current), current, gen)

    @staticmethod
    def _written_since(conn: sqlite3.Connection, after: int, upto: int) -> set[int] | None:
        """Cases written in generations ``after < g <= upto`` (index change log); None: unknown."""
        if upto == after:
            return set()
        if upto < after:
            return None
        rows = conn.execute(
            "SELECT generation, ids FROM index_changes WHERE generation > ? AND generation <= ?", (after, upto)
        ).fetchall()
        if len(rows) != upto - after or any(r[1] is None for r in rows):
            return None
        return {int(i) for r in rows for i in str(r[1]).split()}

    @staticmethod
    def _groups_of(conn: sqlite3.Connection, case_ids: Sequence[int]) -> set[int]:
        sql = "SELECT DISTINCT group_id FROM group_members WHERE case_id IN ({marks})"
        return {int(r[0]) for r in query_in(conn, sql, list(case_ids))}

    # -- writes --------------------------------------------------------------------------------------
    def replace(
        self,
        conn: sqlite3.Connection,
        summary: MemberSummary,
        categories: dict[int, Counter[str]],
        prints: dict[int, Fingerprint],
    ) -> None:
        """Every group's row anew (after a full refresh), with a fresh vocabulary."""
        conn.execute("DELETE FROM group_summaries")
        conn.execute("DELETE FROM group_summary_terms")
        self.write(conn, summary, categories, prints, summary.sizes)
        self.mark(conn, generation(conn))

    def mark(self, conn: sqlite3.Connection, gen: int) -> None:
        """The rows now reflect the current feature model and cases write generation ``gen``."""
        conn.execute("DELETE FROM group_summary_state")
        conn.execute(
            "INSERT INTO group_summary_state(run_id, generation, updated_at) VALUES (?, ?, ?)",
            (model_run(conn), gen, now(self.clock)),
        )

    def delete(self, conn: sqlite3.Connection, group_ids: Iterable[int]) -> None:
        conn.executemany("DELETE FROM group_summaries WHERE group_id = ?", [(int(g),) for g in group_ids])

    def write(
        self,
        conn: sqlite3.Connection,
        summary: MemberSummary,
        categories: dict[int, Counter[str]],
        prints: dict[int, Fingerprint],
        group_ids: Iterable[int],
    ) -> None:
        """Upsert the rows of ``group_ids`` (all in ``summary``), adding its new terms to the vocabulary."""
        vocab = self.vocabulary(conn)
        column = {t: k for k, t in enumerate(vocab)}
        fresh = [t for t in summary.terms if t not in column]
        conn.executemany(
            "INSERT INTO group_summary_terms(id, term) VALUES (?, ?)",
            [(len(vocab) + k, t) for k, t in enumerate(fresh)],
        )
        column.update({t: len(vocab) + k for k, t in enumerate(fresh)})
        to_global = np.fromiter((column[t] for t in summary.terms), np.int64, len(summary.terms))
        counts, docs = summary.counts.tocsr(), _docs(summary)
        row_of = {g: k for k, g in enumerate(summary.sizes)}
        rows = []
        for gid in group_ids:
            r = row_of[gid]
            cols, values, in_docs = _row(counts, docs, r)
            fam = summary.family_centroids.get(gid)
            named = summary.named.get(gid, Counter()).most_common(NAMES_KEPT)
            members, id_sum, id_mix = prints[gid]
            rows.append(
                (
                    int(gid),
                    members,
                    id_sum,
                    id_mix,
                    to_global[cols].astype(np.int32).tobytes(),
                    values.astype(np.int32).tobytes(),
                    in_docs.astype(np.int32).tobytes(),
                    None if fam is None else np.asarray(fam, np.float32).tobytes(),
                    json.dumps([[n, k] for n, k in named], ensure_ascii=False),
                    json.dumps([[c, k] for c, k in categories.get(gid, Counter()).items()], ensure_ascii=False),
                )
            )
        conn.executemany("DELETE FROM group_summaries WHERE group_id = ?", [(r[0],) for r in rows])
        conn.executemany(
            "INSERT INTO group_summaries(group_id, members, id_sum, id_mix, terms, counts, docs, family_centroid, "
            "names, categories) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    @staticmethod
    def vocabulary(conn: sqlite3.Connection) -> list[str]:
        return [str(r[0]) for r in conn.execute("SELECT term FROM group_summary_terms ORDER BY id").fetchall()]

    # -- reads ---------------------------------------------------------------------------------------
    @staticmethod
    def family_centroids(conn: sqlite3.Connection, group_ids: Iterable[int]) -> dict[int, np.ndarray | None]:
        """The stored family-view centroid of each of ``group_ids`` (None: none stored)."""
        wanted = sorted(int(g) for g in group_ids)
        out: dict[int, np.ndarray | None] = dict.fromkeys(wanted)
        sql = "SELECT group_id, family_centroid FROM group_summaries WHERE group_id IN ({marks})"
        for gid, fam in query_in(conn, sql, wanted):
            out[int(gid)] = None if fam is None else np.frombuffer(bytes(fam), np.float32)
        return out

    def combine(
        self, conn: sqlite3.Connection, fresh: MemberSummary, kept: set[int], fresh_categories: dict[int, Counter[str]]
    ) -> tuple[MemberSummary, dict[int, Counter[str]]]:
        """The summary of every active group: the stored rows of ``kept`` and ``fresh`` (re-read groups;
        its new terms must be in the vocabulary already: ``write`` first), with their categories."""
        vocab = self.vocabulary(conn)
        column = {t: k for k, t in enumerate(vocab)}
        to_global = np.fromiter((column[t] for t in fresh.terms), np.int64, len(fresh.terms))
        sizes: dict[int, int] = {}
        named: dict[int, Counter[str]] = {}
        family_centroids: dict[int, np.ndarray] = {}
        categories: dict[int, Counter[str]] = {}
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        kept_ids = sorted(kept)
        for part in chunks(kept_ids):  # a chunk's blobs at a time, not every kept group's at once
            sql = (
                "SELECT group_id, members, terms, counts, docs, family_centroid, names, categories "
                f"FROM group_summaries WHERE group_id IN ({marks(len(part))})"
            )
            for gid, members, terms, counts, docs, fam, names, cats in conn.execute(sql, part).fetchall():
                gid = int(gid)
                sizes[gid] = int(members)
                parts.append(
                    (
                        np.frombuffer(bytes(terms), np.int32),
                        np.frombuffer(bytes(counts), np.int32),
                        np.frombuffer(bytes(docs), np.int32),
                    )
                )
                named[gid] = Counter(dict((str(n), int(k)) for n, k in json.loads(names)))
                categories[gid] = Counter(dict((str(c), int(k)) for c, k in json.loads(cats)))
                if fam is not None:
                    family_centroids[gid] = np.frombuffer(bytes(fam), np.float32)
        counts_f, docs_f = fresh.counts.tocsr(), _docs(fresh)
        for k, gid in enumerate(fresh.sizes):
            cols, values, in_docs = _row(counts_f, docs_f, k)
            sizes[gid] = fresh.sizes[gid]
            parts.append((to_global[cols].astype(np.int32), values, in_docs))
            named[gid] = fresh.named.get(gid, Counter())
            categories[gid] = fresh_categories.get(gid, Counter())
            if gid in fresh.family_centroids:
                family_centroids[gid] = fresh.family_centroids[gid]
        n_rows = len(sizes)
        lengths = np.asarray([len(p[0]) for p in parts], np.int64)
        indptr = np.r_[0, np.cumsum(lengths)]
        cols_all = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        counts = sparse.csr_matrix(
            (np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int32), cols_all, indptr),
            shape=(n_rows, len(vocab)),
        )
        docs = sparse.csr_matrix(
            (np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int32), cols_all, indptr),
            shape=(n_rows, len(vocab)),
        )
        # Only the terms some member uses, as in a full refresh (stored terms may have lost their last use).
        used = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() > 0)
        counts, docs = counts[:, used].tocsr(), docs[:, used].tocsr()
        centred = np.asarray([g in family_centroids for g in sizes], bool)
        df, family_df = frequencies(docs, centred)
        out = MemberSummary(
            sizes,
            counts,
            [vocab[int(j)] for j in used],
            df,
            family_df,
            named,
            dict(fresh.centroids),
            family_centroids,
            dict(fresh.representatives),
        )
        out.docs = docs
        return out, categories


def _docs(summary: MemberSummary) -> sparse.csr_matrix:
    if summary.docs is None:
        raise ValueError("the summary has no document counts")
    return summary.docs.tocsr()


def _row(counts: sparse.csr_matrix, docs: sparse.csr_matrix, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term columns, counts, document counts) of row ``r``; the two matrices share their pattern."""
    lo, hi = counts.indptr[r], counts.indptr[r + 1]
    cols, values = counts.indices[lo:hi], counts.data[lo:hi]
    dlo, dhi = docs.indptr[r], docs.indptr[r + 1]
    dcols, dvalues = docs.indices[dlo:dhi], docs.data[dlo:dhi]
    order = np.argsort(dcols, kind="stable")
    at = np.searchsorted(dcols[order], cols)
    in_docs = dvalues[order][np.minimum(at, max(len(dcols) - 1, 0))] if len(dcols) else np.zeros(len(cols), np.int32)
    return cols, values, in_docs
