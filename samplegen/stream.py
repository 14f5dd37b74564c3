"""Streaming case generator: dates, repeat petitioners, statuses, ground truth."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect, bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from . import tables as tb
from .compose import compose_content, compose_note, compose_title
from .model import IssueType, Topic
from .people import Person, pick, random_person
from .slots import apply_oneoff, apply_topic, base_slots, day_text, repeat_slots
from .vocab import PLACES

Record = dict[str, object]


@dataclass(slots=True)
class _Origin:
    day: int
    external_no: str
    person: Person
    city: str
    district: str
    it: IssueType
    topic: Topic
    topic_key: str
    slots: Record
    group: bool
    participants: int
    litigation: bool
    lit_extra: bool
    channel: str
    title: str
    content: str


class Stream:
    def __init__(self, n: int, seed: int, start: str, end: str) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = dt.date.fromisoformat(start).toordinal()
        self.end = dt.date.fromisoformat(end).toordinal()
        if self.end < self.start:
            raise ValueError("end date is before start date")
        self.span = self.end - self.start + 1
        window = max(1.0, n * (tb.REPEAT_WINDOW[1] - tb.REPEAT_WINDOW[0]) / self.span)
        self.pool_p = min(1.0, tb.POOL_TARGET / window)
        self.pool: list[_Origin] = []
        self.pool_days: list[int] = []
        self.head = 0

    def _pick(self, day: int, lo_age: int, hi_age: int) -> _Origin | None:
        days = self.pool_days
        lo = bisect_left(days, day - hi_age, self.head)
        hi = bisect(days, day - lo_age, self.head)
        if hi <= lo:
            return None
        return self.pool[lo + int(self.rng.random() * (hi - lo))]

    def _prune(self, day: int) -> None:
        self.head = bisect_left(self.pool_days, day - max(tb.REPEAT_WINDOW[1], tb.EXACT_WINDOW[1]), self.head)
        if self.head > 5_000 and self.head * 2 > len(self.pool):
            del self.pool[: self.head], self.pool_days[: self.head]
            self.head = 0

    def __iter__(self) -> Iterator[tuple[Record, Record]]:
        rng = self.rng
        last_day, seq, prefix = -1, 0, ""
        for i in range(self.n):
            day = self.start + int((i + rng.random()) * self.span / self.n)
            if day == last_day:
                seq += 1
            else:
                last_day, seq = day, 1
                prefix = f"GD{dt.date.fromordinal(day):%Y-%m%d}-"
                self._prune(day)
            ext = f"{prefix}{seq:06d}"
            r = rng.random()
            orig = None
            if r < tb.EXACT_RATE:
                orig = self._pick(day, *tb.EXACT_WINDOW)
                if orig is not None:
                    yield self._exact(orig, ext, day)
                    continue
            elif r < tb.EXACT_RATE + tb.REPEAT_RATE:
                orig = self._pick(day, *tb.REPEAT_WINDOW)
            rec, origin = self._case(ext, day, orig)
            if rng.random() < self.pool_p:
                self.pool.append(origin)
                self.pool_days.append(day)
            yield rec

    def _exact(self, o: _Origin, ext: str, day: int) -> tuple[Record, Record]:
        channel = o.channel if self.rng.random() < 0.6 else tb.CHANNEL_SOLO(self.rng)
        case = self._record(
            ext,
            day,
            o.it,
            o.city,
            o.district,
            o.person,
            o.title,
            o.content,
            channel,
            o.litigation,
            o.participants,
            o.slots,
        )
        truth = _truth(ext, o.it, o.topic_key, o.external_no, True, o.group, o.litigation)
        return case, truth

    def _case(self, ext: str, day: int, orig: _Origin | None) -> tuple[tuple[Record, Record], _Origin]:
        rng = self.rng
        date = dt.date.fromordinal(day)
        if orig is None:
            it = tb.BY_MONTH[date.month - 1](rng)
            oneoff = rng.random() < tb.ONEOFF_RATE and bool(tb.CLONABLE[it.name])
            tp = pick(rng, tb.CLONABLE[it.name]) if oneoff else tb.TOPIC_PICK[it.name](rng)
            if tp.places and not oneoff:
                city, district = pick(rng, tp.places)
            else:
                city = tb.CITY_PICK[it.name](rng)
                district = tb.DISTRICT_PICK[city](rng)
            place = PLACES[(city, district)]
            group = rng.random() < it.group_rate * tb.GROUP_SCALE
            participants = tb.draw_participants(rng) if group else 1
            lit_extra = bool(it.lit_extras) and not it.litigation and rng.random() < tb.LIT_EXTRA_P
            litigation = it.litigation or lit_extra
            home = place if rng.random() < 0.75 else tb.random_place(rng)
            person = random_person(rng, home.region, date, *(tp.ages or it.ages))
            slots = base_slots(rng, it, place, person, date, group=group, participants=participants)
            apply_topic(rng, tp, slots)
            key = tp.key
            if oneoff:
                key = f"{it.prefix}:单发:{apply_oneoff(rng, it, slots)}:{ext}"
            repeat_of = None
        else:
            it, tp, key = orig.it, orig.topic, orig.topic_key
            city, district, person = orig.city, orig.district, orig.person
            group, participants = orig.group, orig.participants
            lit_extra, litigation = orig.lit_extra, orig.litigation
            slots = repeat_slots(orig.slots, dt.date.fromordinal(orig.day), orig.channel, date)
            repeat_of = orig.external_no
        channel = (tb.CHANNEL_GROUP if group else tb.CHANNEL_SOLO)(rng)
        pii = rng.random() < tb.PII_RATE
        content = ""
        for _ in range(5):
            content = compose_content(
                rng,
                it,
                tp,
                slots,
                group=group,
                channel=channel,
                repeat=orig is not None,
                lit_extra=lit_extra,
                pii=pii,
            )
            if orig is None or content != orig.content:
                break
        title = compose_title(rng, it, tp, slots, group=group, repeat=orig is not None)
        case = self._record(
            ext, day, it, city, district, person, title, content, channel, litigation, participants, slots
        )
        truth = _truth(ext, it, key, repeat_of, False, group, litigation)
        origin = _Origin(
            day,
            ext,
            person,
            city,
            district,
            it,
            tp,
            key,
            slots,
            group,
            participants,
            litigation,
            lit_extra,
            channel,
            title,
            content,
        )
        return (case, truth), origin

    def _record(
        self,
        ext: str,
        day: int,
        it: IssueType,
        city: str,
        district: str,
        person: Person,
        title: str,
        content: str,
        channel: str,
        litigation: bool,
        participants: int,
        slots: Record,
    ) -> Record:
        status, rday = tb.draw_status(self.rng, day, self.end)
        # A generator of its own per case, so adding the origin left every other field unchanged.
        origin, backlog_list = tb.draw_origin(random.Random(f"{self.seed}:origin:{ext}"), status)
        note = None
        if rday is not None:
            rdate = dt.date.fromordinal(rday)
            # Notes name the competent office (first of locals_), not e.g. a village committee.
            office = it.locals_[0].format_map(slots)
            note = compose_note(self.rng, it, {**slots, "rdate": day_text(rdate, rdate), "local": office}, status)
        return {
            "external_no": ext,
            "title": title,
            "content": content,
            "received_date": dt.date.fromordinal(day).isoformat(),
            "channel": channel,
            "city": city,
            "district": district,
            "department": it.department,
            "category": it.name,
            "status": status,
            "resolution_note": note,
            "resolved_date": dt.date.fromordinal(rday).isoformat() if rday else None,
            "litigation": litigation,
            "petitioner_name": person.name,
            "petitioner_id": person.id_number,
            "petitioner_phone": person.phone,
            "participants": participants,
            "origin": origin,
            "backlog_list": backlog_list,
        }


def _truth(
    ext: str,
    it: IssueType,
    topic: str,
    repeat_of: str | None,
    exact: bool,
    group: bool,
    litigation: bool,
) -> Record:
    return {
        "external_no": ext,
        "issue_type": it.name,
        "topic": topic,
        "repeat_of": repeat_of,
        "exact_resubmission": exact,
        "group_petition": group,
        "litigation": litigation,
    }
