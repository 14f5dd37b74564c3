"""Personal data: keyed hashing of petitioner identities and masking of names, IDs and phones."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_BANK_CARD = re.compile(r"(?<!\d)(\d{4})(\d{8,11})(\d{4})(?!\d)")


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


def mask_text(text: str) -> str:
    """Mask identity numbers, mobile phones and bank card numbers inside free text."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "********" + "****", text)
    text = _PHONE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _BANK_CARD.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
