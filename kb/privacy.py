"""Personal data: keyed hashing of petitioner identities and masking of names, IDs, phones and cards.

``mask_text`` is the one masking function of every output path (responses, exports, logs, audit).
It matches on a copy of the text in which full-width digits, dashes and spaces are folded to
ASCII (a one-to-one character mapping, so positions agree) and masks the original text in place:
characters around and between the digits (spaces, dashes, ``+86``) are kept as typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from kb.person_names import person_names

# Full-width digits/letters/plus, the common dash variants and the ideographic space -> ASCII (1:1).
_FOLD = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FOLD.update({c: ord("-") for c in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212)})
_FOLD[0x3000] = ord(" ")

_S = r"[ \-]?"  # an optional single separator between digit groups
_LEFT = r"(?<![0-9A-Za-z])(?<![0-9A-Za-z]-)"  # not inside a longer number or a dashed code
_RIGHT = r"(?![0-9A-Za-z])(?!-[0-9A-Za-z])"
# Phones and cards may touch letters ("Tel13812345678"); only digits delimit them.
_DLEFT, _DRIGHT = r"(?<!\d)(?<!\d-)", r"(?!\d)(?!-\d)"
# 18-digit resident ID: 6 (area) 8 (birth date) 4; written whole, 6-8-4 or 6-4-4-4.
_ID18 = re.compile(_LEFT + rf"[1-9]\d{{5}}{_S}\d{{4}}{_S}\d{{4}}{_S}\d{{3}}[0-9Xx]" + _RIGHT)
# 15-digit resident ID (issued before 1999): 6 (area) 6 (yymmdd) 3.
_ID15 = re.compile(_LEFT + rf"[1-9]\d{{5}}{_S}\d{{6}}{_S}\d{{3}}" + _RIGHT)
# Bank card: 16 to 19 digits, whole or in groups of four.
_CARD = re.compile(_DLEFT + rf"\d{{4}}(?:{_S}\d{{4}}){{3}}(?:{_S}\d{{1,3}})?" + _DRIGHT)
# Mobile: 1[3-9]x xxxx xxxx, optionally after +86 / 0086 / 86.
_MOBILE = re.compile(
    _DLEFT + r"(?:(?:\+|00)86[ \-]?|86[ \-]?|\(\+?86\)[ ]?)?" + rf"(1[3-9]\d{_S}\d{{4}}{_S}\d{{4}})" + _DRIGHT
)
# Landline with its area code: 010 / 02x / 0xxx, then a 7- or 8-digit local number.
_LANDLINE = re.compile(_DLEFT + r"\(?(0(?:10|2\d|[3-9]\d\d))\)?[ \-]?([2-9]\d{2,3}[ \-]?\d{4})" + _DRIGHT)


def petitioner_key(secret: str, identity: str) -> str:
    """Pseudonymous key: HMAC-SHA256 of the normalised identity number or phone."""
    normalised = re.sub(r"[\s-]", "", identity).upper()
    return hmac.new(secret.encode("utf-8"), normalised.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def mask_name(name: str | None) -> str | None:
    """张三丰 -> 张**; keep the surname only."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_names(text: str, names: Iterable[str | None]) -> str:
    """Mask the given person names wherever they occur in the text (张三丰 -> 张**)."""
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, mask_name(name) or "")
    return text


def mask_personal(text: str | None, names: Iterable[str | None] = ()) -> str:
    """The masking of free text on every output path: identity numbers, phones and cards
    (``mask_text``), the given names (the petitioner's) and every other person's name found in the
    text (``kb/person_names.py``: cue words such as 本人 / 包工头, and jieba's ``nr`` tag)."""
    if not text:
        return text or ""
    masked = mask_text(text)
    people: set[str] = {n for n in names if n and len(n) >= 2} | set(person_names(masked))
    longest_first: list[str] = sorted(people, key=len, reverse=True)
    return mask_names(masked, longest_first)


def public_terms(terms: Iterable[str], names: Iterable[str | None] = (), text: str | None = None) -> list[str]:
    """Query terms fit to show: none is (part of) a given name, a person's name found in ``text``
    or itself a name, nor an identity number, phone or card."""
    people = [n for n in [*names, *person_names(text)] if n]
    out = []
    for term in terms:
        if any(term in n or n in term for n in people) or mask_text(term) != term or person_names(term):
            continue
        out.append(term)
    return out


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit() or c in "Xx")


def _plausible_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _is_id18(d: str) -> bool:
    return 1850 <= int(d[6:10]) <= 2100 and _plausible_date(int(d[6:10]), int(d[10:12]), int(d[12:14]))


def _is_id15(d: str) -> bool:
    return _plausible_date(1900 + int(d[6:8]), int(d[8:10]), int(d[10:12]))


def _star(original: str, keep_head: int, keep_tail: int) -> str:
    """Replace the digits of ``original`` by ``*`` except the first/last ones; separators stay."""
    total = sum(1 for c in original.translate(_FOLD) if c.isdigit() or c in "Xx")
    out, seen = [], 0
    for raw, folded in zip(original, original.translate(_FOLD), strict=True):
        if folded.isdigit() or folded in "Xx":
            seen += 1
            out.append(raw if seen <= keep_head or seen > total - keep_tail else "*")
        else:
            out.append(raw)
    return "".join(out)


def _apply(
    text: str, folded: str, pattern: re.Pattern[str], group: int, mask: Callable[[str, str], str | None]
) -> tuple[str, str]:
    """Mask every match of ``pattern`` in ``folded``, writing the masked span into both strings."""
    pieces, fpieces, last = [], [], 0
    for m in pattern.finditer(folded):
        start, end = m.span(group)
        masked = mask(text[start:end], folded[start:end])
        if masked is None:
            continue
        pieces += [text[last:start], masked]
        fpieces += [folded[last:start], masked.translate(_FOLD)]
        last = end
    if not pieces:
        return text, folded
    return "".join([*pieces, text[last:]]), "".join([*fpieces, folded[last:]])


def mask_text(text: str) -> str:
    """Mask identity numbers (18 and 15 digits), mobiles (+86 too), landlines and bank cards in text.

    Numbers may be typed with spaces or dashes between groups and in full-width digits; dates,
    amounts and registry numbers such as ``GD2024-1201-000001`` are left alone.
    """
    if not text or not any(c.isdigit() for c in text):
        return text
    folded = text.translate(_FOLD)
    rules: list[tuple[re.Pattern[str], int, Callable[[str, str], str | None]]] = [
        (_ID18, 0, lambda raw, f: _star(raw, 6, 0) if _is_id18(_digits(f)) else None),
        (_ID15, 0, lambda raw, f: _star(raw, 6, 0) if _is_id15(_digits(f)) else None),
        (_CARD, 0, lambda raw, f: _star(raw, 4, 4)),
        (_MOBILE, 1, lambda raw, f: _star(raw, 3, 4)),
        (_LANDLINE, 2, lambda raw, f: _star(raw, 0, 4)),
    ]
    for pattern, group, mask in rules:
        text, folded = _apply(text, folded, pattern, group, mask)
    return text


# Query parameters that carry a person's name or identity: their values are masked in logged URLs.
_PERSONAL_PARAMS = re.compile(r"(?i)((?:petitioner_name|name|petitioner|username)=)([^&\s\"]*)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def mask_url(url: str) -> str:
    """A request path for the log: percent-decoded (so encoded IDs/phones are seen), masked, printable."""
    decoded = unquote(url, errors="replace")
    decoded = _PERSONAL_PARAMS.sub(lambda m: m.group(1) + (mask_name(m.group(2)) or ""), decoded)
    # Decoded CR/LF would let a URL forge log lines: show control characters escaped.
    decoded = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", decoded)
    # A name searched for (``?q=李建国``) or in a path is found like any name in text.
    return mask_personal(decoded)
