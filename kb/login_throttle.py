"""Login throttling per user name and per client address that holds under concurrency.

Before a password is checked, ``reserve`` counts the attempt as a failure for the user name and for
the client, in one ``BEGIN IMMEDIATE`` transaction (the database's write lock, which also orders
other processes on the same file): the read of the counters and their increment cannot interleave
with another attempt's, so however many wrong passwords arrive at once, at most ``max_failures``
of them per user name (and ``client_max_failures`` per client, across all names: password
spraying) get a real password check within the lock window. A successful login refunds its own
reservation (``succeeded``): the user name's counter is cleared, the client's loses one.

Counters run in fixed windows of ``lock_minutes``: the window starts at the first failure; the
attempt that reaches the limit locks the key until ``lock_minutes`` after it. Keys are hashes
(``user:NAME``, ``client:ADDRESS``), so the table holds neither the names typed nor addresses.
Times are the kernel clock's (tests move a ``FixedClock``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from kb.clock import Clock
from kb.storage.db import Database


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


@dataclass(frozen=True)
class Reservation:
    """What ``reserve`` decided: ``locked`` names what is locked (``user``/``client``), else None."""

    user_key: str
    client_key: str | None
    locked: str | None = None


class LoginThrottle:
    """The owner of ``login_attempts`` (migration 13)."""

    def __init__(
        self, db: Database, clock: Clock, *, max_failures: int, client_max_failures: int, lock_minutes: int
    ) -> None:
        self.db, self.clock = db, clock
        self.max_failures, self.client_max_failures = max_failures, client_max_failures
        self.window = lock_minutes * 60

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def reserve(self, username: str, client: str | None) -> Reservation:
        """Count one attempt for ``username`` and ``client`` unless either is locked (then nothing is counted)."""
        user_key = _key("user", username)
        client_key = _key("client", client) if client else None
        now = self._now()
        with self.db.transaction() as conn:  # BEGIN IMMEDIATE: check and count are one step
            keys = [(user_key, self.max_failures, "user")]
            if client_key is not None:
                keys.append((client_key, self.client_max_failures, "client"))
            states = {key: self._state(conn, key, now) for key, _, _ in keys}
            for key, limit, kind in keys:
                failures, locked_until = states[key][0], states[key][2]
                if locked_until > now or failures >= limit:
                    return Reservation(user_key, client_key, kind)
            for key, limit, _ in keys:
                failures, start, _ = states[key]
                failures += 1
                conn.execute(
                    "INSERT INTO login_attempts(key, failures, window_start, locked_until) VALUES (?,?,?,?) "
                    "ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, "
                    "window_start = excluded.window_start, locked_until = excluded.locked_until",
                    (key, failures, start, now + self.window if failures >= limit else 0),
                )
        return Reservation(user_key, client_key)

    def _state(self, conn: sqlite3.Connection, key: str, now: int) -> tuple[int, int, int]:
        """(failures, window start, locked until) of ``key``, a fresh window once the old one and its lock are over."""
        row = conn.execute(
            "SELECT failures, window_start, locked_until FROM login_attempts WHERE key = ?", (key,)
        ).fetchone()
        if row is None or (now - int(row[1]) >= self.window and int(row[2]) <= now):
            return 0, now, 0
        return int(row[0]), int(row[1]), int(row[2])

    def succeeded(self, reservation: Reservation) -> None:
        """A correct password: clear the user name's counter and refund the client's one attempt."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM login_attempts WHERE key = ?", (reservation.user_key,))
            if reservation.client_key is not None:
                conn.execute(
                    "UPDATE login_attempts SET failures = MAX(failures - 1, 0), "
                    "locked_until = CASE WHEN failures - 1 < ? THEN 0 ELSE locked_until END WHERE key = ?",
                    (self.client_max_failures, reservation.client_key),
                )
