"""Fitted routing models kept in the database (migration 34): the only reader and writer of ``router_models``.

A serving process fits the linear routing model (``kb.routing_features.LinearRouter``) of each
target (department, city) once and stores it here; every later start of any worker, and every
machine of the distributed profile (they share the PostgreSQL database), loads it instead of
fitting again, as long as it still matches: the same encoder, the same ``config_key`` (the router's
configuration, the model format and the scikit-learn version that pickled it) and a labelled count
within ``refit_growth`` of the stored one (``kb.workflow.suggest.LiveRouter`` decides that).

Workers that start together do not all fit: before fitting, a worker claims the target in
``router_fit_claims`` (one row per target, with the owner ``host:pid`` and an expiry); the others
wait for the claim to go and load what the owner stored. A claim of a process that died is taken
over at once on the same host (its pid is gone) and after ``CLAIM_SECONDS`` from another host.

The model is pickled. Pickle runs code when it loads, so this table holds only what the service
itself wrote (docs/security.md "Fitted routing models"); a SHA-256 digest of the blob is stored
beside it, and a blob that does not match it, does not unpickle or is not a ``LinearRouter`` is
treated as absent (the caller fits again and overwrites it, and the log says why). The tokenizer
(a bound method of the segmenter) is not pickled: ``load`` re-attaches the caller's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import pickle
import socket
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING

from kb.clock import Clock
from kb.storage.db import Database
from kb.storage.migrate import Migration

if TYPE_CHECKING:  # kb.schema imports this module: scikit-learn only loads with a model
    from kb.routing_features import LinearRouter

log = logging.getLogger(__name__)

# Bump when what is pickled changes shape: older rows then no longer match and are refitted.
FORMAT = 1

ROUTER_MODELS_V34 = """
CREATE TABLE router_models (
    target          TEXT PRIMARY KEY,
    labelled_count  INTEGER NOT NULL,
    config_key      TEXT NOT NULL,
    encoder         TEXT NOT NULL,
    digest          TEXT NOT NULL,
    model           BLOB NOT NULL,
    fit_seconds     REAL NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE TABLE router_fit_claims (
    target      TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
"""
# How long a claim holds against other hosts if its owner dies without releasing it.
CLAIM_SECONDS = 1800.0
ROUTER_MODELS = Migration(34, "fitted routing models shared by every worker", ROUTER_MODELS_V34)
MIGRATIONS: list[Migration] = [ROUTER_MODELS]


def config_key(config: object) -> str:
    """What a stored model must have been fitted under: the configuration's repr, the format, sklearn."""
    text = f"format={FORMAT};sklearn={version('scikit-learn')};{config!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StoredRouter:
    target: str
    labelled_count: int
    model: LinearRouter
    fit_seconds: float
    created_at: str


def process_owner() -> str:
    """This process as a claim owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str) -> bool:
    """Whether ``owner`` (``host:pid[:…]``) is a process of this host that no longer exists (its
    claim is void)."""
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _now() -> dt.datetime:
    # Claims expire on real time (as sessions do), not the service clock a test or replay may fix.
    return dt.datetime.now(dt.UTC)


def dumps(model: LinearRouter) -> bytes:
    """The model without its tokenizer (a segmenter method, not picklable) and without what only
    introspection reads (``stop_words_``: every term cut by ``max_features``)."""
    tokenize = model.tokenize
    vectorizers = [v for v in (getattr(model, "tfidf_", None), getattr(model, "title_tfidf_", None)) if v is not None]
    cut = [(v, v.__dict__.pop("stop_words_", None)) for v in vectorizers]
    model.tokenize = None
    try:
        return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        model.tokenize = tokenize
        for v, stop in cut:
            if stop is not None:
                v.stop_words_ = stop


class RouterModelStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def save(
        self, target: str, labelled_count: int, key: str, encoder: str, model: LinearRouter, fit_seconds: float
    ) -> None:
        blob = dumps(model)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO router_models(target, labelled_count, config_key, encoder, digest, model, "
                "fit_seconds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET "
                "labelled_count = excluded.labelled_count, config_key = excluded.config_key, "
                "encoder = excluded.encoder, digest = excluded.digest, model = excluded.model, "
                "fit_seconds = excluded.fit_seconds, created_at = excluded.created_at",
                (
                    target,
                    labelled_count,
                    key,
                    encoder,
                    hashlib.sha256(blob).hexdigest(),
                    blob,
                    round(fit_seconds, 3),
                    self.clock.now().isoformat(),
                ),
            )
        log.info("stored the %s router (%d labelled cases, %.1f MB)", target, labelled_count, len(blob) / 1e6)

    def claim(self, target: str, owner: str, seconds: float = CLAIM_SECONDS) -> bool:
        """Claim the fit of ``target`` for ``owner``; False while another live owner holds it.

        Atomic on both stores: the insert does nothing when a claim exists, and a void claim (expired,
        or of a dead process) is replaced only if it is still the one read (compare and swap), so of
        two workers claiming at once exactly one wins, also under PostgreSQL's read committed."""
        now = _now()
        expires = (now + dt.timedelta(seconds=seconds)).isoformat()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO router_fit_claims(target, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (target) DO NOTHING",
                (target, owner, expires),
            )
            held, until = conn.execute(
                "SELECT owner, expires_at FROM router_fit_claims WHERE target = ?", (target,)
            ).fetchone()
            if held == owner:
                return True
            if dt.datetime.fromisoformat(until) > now and not _owner_gone(held):
                return False
            log.info("taking over the %s router fit claimed by %s", target, held)
            conn.execute(
                "UPDATE router_fit_claims SET owner = ?, expires_at = ? "
                "WHERE target = ? AND owner = ? AND expires_at = ?",
                (owner, expires, target, held, until),
            )
            row = conn.execute("SELECT owner FROM router_fit_claims WHERE target = ?", (target,)).fetchone()
            return bool(row is not None and row[0] == owner)

    def claimed_by_other(self, target: str, owner: str) -> bool:
        """Whether another live owner holds the fit of ``target`` now."""
        row = self.db.query_one("SELECT owner, expires_at FROM router_fit_claims WHERE target = ?", (target,))
        return (
            row is not None
            and row[0] != owner
            and dt.datetime.fromisoformat(row[1]) > _now()
            and not _owner_gone(row[0])
        )

    def release(self, target: str, owner: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM router_fit_claims WHERE target = ? AND owner = ?", (target, owner))

    def labelled_count(self, target: str, key: str, encoder: str) -> int | None:
        """The labelled count of the stored model that matches ``key`` and ``encoder`` (None: none
        does), read without the blob: a caller checks the count before paying for the load."""
        row = self.db.query_one(
            "SELECT labelled_count FROM router_models WHERE target = ? AND config_key = ? AND encoder = ?",
            (target, key, encoder),
        )
        return int(row[0]) if row else None

    def load(
        self, target: str, key: str, encoder: str, tokenize: Callable[[str], list[str]] | None
    ) -> StoredRouter | None:
        """The stored model of ``target`` fitted under ``key`` with ``encoder``, its tokenizer re-attached;
        None when there is none or it cannot be read (logged: the caller fits again)."""
        row = self.db.query_one(
            "SELECT labelled_count, digest, model, fit_seconds, created_at FROM router_models "
            "WHERE target = ? AND config_key = ? AND encoder = ?",
            (target, key, encoder),
        )
        if row is None:
            return None
        from kb.routing_features import LinearRouter

        blob = bytes(row["model"])
        if hashlib.sha256(blob).hexdigest() != row["digest"]:
            log.warning("stored %s router does not match its digest; fitting again", target)
            return None
        try:
            model = pickle.loads(blob)  # only rows this service wrote (docs/security.md)
        except Exception as exc:  # an unreadable blob is no model: fit again
            log.warning("stored %s router cannot be read (%s); fitting again", target, type(exc).__name__)
            return None
        if not isinstance(model, LinearRouter):
            log.warning("stored %s router is a %s, not a LinearRouter; fitting again", target, type(model).__name__)
            return None
        model.tokenize = tokenize
        return StoredRouter(target, int(row["labelled_count"]), model, float(row["fit_seconds"]), row["created_at"])
