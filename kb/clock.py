"""The server's clock: the one source of "now" for actions, due dates and "overdue".

Every recorded action (a lifecycle transition, an assignment, a notice) takes its time from
``kernel.clock``, never from the client. Times are aware and in China Standard Time: the bureau's
working day decides whether a deadline was met. China has kept UTC+8 without daylight saving since
1991, so a fixed offset is exact and needs no time-zone database on the server.

Tests and the demo replay use ``FixedClock`` and move it forward with ``advance``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in Asia/Shanghai."""
        ...

    def today(self) -> dt.date:
        """The current date in Asia/Shanghai."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(SHANGHAI).replace(microsecond=0)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that stands still until told to move (tests, the demo's replay of a case's history).

    ``start`` may be a date (midnight is taken as 09:00, the start of a working day) or a datetime
    (naive ones are read as Asia/Shanghai).
    """

    def __init__(self, start: dt.datetime | dt.date) -> None:
        if not isinstance(start, dt.datetime):
            start = dt.datetime.combine(start, dt.time(9, 0))
        self._now = start.replace(tzinfo=SHANGHAI) if start.tzinfo is None else start.astimezone(SHANGHAI)

    def now(self) -> dt.datetime:
        return self._now

    def today(self) -> dt.date:
        return self._now.date()

    def advance(self, days: int = 0, *, hours: int = 0, minutes: int = 0) -> dt.datetime:
        """Move forward (never back: recorded times only grow) and return the new time."""
        step = dt.timedelta(days=days, hours=hours, minutes=minutes)
        if step < dt.timedelta(0):
            raise ValueError("FixedClock only moves forward")
        self._now += step
        return self._now

    def set(self, moment: dt.datetime | dt.date) -> dt.datetime:
        """Jump forward to ``moment`` (a date means 09:00 that day)."""
        target = FixedClock(moment).now()
        if target < self._now:
            raise ValueError("FixedClock only moves forward")
        self._now = target
        return self._now


def stamp(moment: dt.datetime) -> str:
    """A recorded time as stored: ISO 8601 with the +08:00 offset, to the second (sorts as text)."""
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def day_end(day: dt.date) -> str:
    """The first stored stamp after ``day`` (compare ``at < day_end(d)`` for "on or before d")."""
    return stamp(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), SHANGHAI))
