"""Assemble titles, petition texts and resolution notes from templates."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from functools import cache

from . import phrases as P
from .model import IssueType, Topic
from .people import pick, randint

MIN_CONTENT = 60
MAX_CONTENT = 600
MIN_TITLE = 10
MAX_TITLE = 30


@cache
def group_safe(templates: tuple[str, ...]) -> tuple[str, ...]:
    """Templates usable for a group petition (no hard-coded first person singular)."""
    return tuple(t.removeprefix("G|") for t in templates if "我" not in t.replace("{we}", ""))


@cache
def solo_safe(templates: tuple[str, ...]) -> tuple[str, ...]:
    """Templates usable for an individual petition (no group-only "G|" lines)."""
    return tuple(t for t in templates if not t.startswith("G|"))


def _pool(templates: tuple[str, ...], group: bool) -> tuple[str, ...]:
    pool = group_safe(templates) if group else solo_safe(templates)
    return pool or templates


def compose_content(
    rng: random.Random,
    it: IssueType,
    tp: Topic,
    s: Mapping[str, object],
    *,
    group: bool,
    channel: str,
    repeat: bool,
    lit_extra: bool,
    pii: bool,
) -> str:
    """Return the petition text for one case."""
    rr = rng.random

    def ch(seq: Sequence[str]) -> str:
        return seq[int(rr() * len(seq))]

    # (template, droppable) in reading order
    parts: list[tuple[str, bool]] = []
    if group:
        parts.append((ch(P.GROUP_VISIT if channel == "来访" else P.GROUP_LETTER), False))
    else:
        if rng.random() < 0.7:
            parts.append((ch(P.OPENINGS), True))
        if rng.random() < 0.35:
            parts.append((ch(P.INTROS), True))
    background = ch(_pool(tp.backgrounds or it.backgrounds, group))
    rep = ch(P.REPEATS) if repeat else ""
    if rep and rng.random() < 0.5:
        parts.append((rep, False))
        rep = ""
    parts.append((background, False))
    if rep:
        parts.append((rep, False))
    if repeat and rng.random() < 0.4:
        parts.append((ch(P.REPEAT_UPDATES), True))

    tdet = _pool(tp.details, group) if tp.details else ()
    idet = _pool(it.details, group)
    first = ch(tdet) if tdet and rng.random() < 0.9 else ch(idet)
    parts.append((first, False))
    rest = [d for d in tdet + idet if d != first]
    for p_more in (0.8, 0.25):
        if rest and rng.random() < p_more:
            more = ch(rest)
            rest.remove(more)
            parts.append((more, True))
    if rng.random() < 0.45:
        parts.append((ch(_pool(P.IMPACTS, group)), True))
    if lit_extra:
        parts.append((ch(_pool(it.lit_extras or P.LIT_GENERIC, group)), False))
    if rng.random() < 0.55:
        tried = (ch(P.TRIED), True)
        parts.insert(len(parts) - randint(rng, 0, 1), tried)
    if rng.random() < 0.18:
        parts.append((ch(P.LOOSE_LEGAL), True))
    demands = _pool(tp.demands or it.demands, group)
    d1 = ch(demands)
    if rng.random() < 0.35 and len(demands) > 1:
        d2 = ch([d for d in demands if d != d1])
        if rng.random() < 0.5:
            parts.append(("{we}的诉求有两点：一是" + d1[:-1] + "；二是" + d2, False))
        else:
            parts.append((d1, False))
            parts.append((d2, True))
    else:
        lead = ch(P.DEMAND_LEADS) if rng.random() < 0.25 else ""
        parts.append((lead + d1, False))
    if rng.random() < 0.7:
        parts.append((ch(P.CLOSINGS), True))
    if group and rng.random() < 0.5:
        parts.append((ch(P.GROUP_SIGN), True))
    if pii:
        parts.append((ch(P.CONTACTS), False))

    texts = [(t.format_map(s), drop) for t, drop in parts]
    total = sum(len(t) for t, _ in texts)
    # Drop optional sentences from the end until the text fits.
    i = len(texts) - 1
    while total > MAX_CONTENT and i >= 0:
        if texts[i][1]:
            total -= len(texts[i][0])
            del texts[i]
        i -= 1
    content = "".join(t for t, _ in texts)
    if len(content) > MAX_CONTENT:
        content = content[: MAX_CONTENT - 1] + "。"
    if len(content) < MIN_CONTENT:
        content += ch(P.TRIED).format_map(s) + ch(P.CLOSINGS).format_map(s)
    return content


def compose_title(
    rng: random.Random,
    it: IssueType,
    tp: Topic,
    s: Mapping[str, object],
    *,
    group: bool,
    repeat: bool,
) -> str:
    pool = _pool(tp.titles or it.titles, group)
    if group and rng.random() < 0.4:
        pool = P.GROUP_TITLES
    for _ in range(4):
        title = pick(rng, pool).format_map(s)
        if repeat and rng.random() < 0.4:
            title = _again(title)
        if MIN_TITLE <= len(title) <= MAX_TITLE:
            return title
    return f"关于反映{it.name}的问题"


def _again(title: str) -> str:
    for prefix in ("反映", "关于"):
        if title.startswith(prefix):
            return "再次反映" + title[len(prefix) :]
    return "再次反映：" + title


def compose_note(rng: random.Random, it: IssueType, s: Mapping[str, object], status: str) -> str:
    if status == "resolved":
        pool = it.resolutions if rng.random() < 0.8 else P.RESOLVED_GENERIC
    else:
        pool = P.CLOSED_NOTES if rng.random() < 0.55 else it.resolutions
    return pick(rng, pool).format_map(s)
