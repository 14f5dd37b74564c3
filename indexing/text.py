"""Text normalisation shared by indexing and querying: width, script and whitespace."""

from __future__ import annotations

import re
import unicodedata

import zhconv

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_halfwidth(text: str) -> str:
    """Map full-width ASCII variants (ＡＢＣ１２３，！) and the ideographic space to half-width."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def normalize(text: str) -> str:
    """Canonical form used before segmentation and encoding.

    Full-width letters and digits become half-width, traditional characters become simplified,
    control characters are dropped and runs of whitespace collapse to one space.
    """
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", to_halfwidth(text))
    text = zhconv.convert(text, "zh-cn")
    return _SPACE.sub(" ", text).strip()
