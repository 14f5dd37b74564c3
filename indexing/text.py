"""Text normalisation shared by indexing and querying: width, script and whitespace."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import zhconv

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Full-width ASCII variants (U+FF01-FF5E) and the ideographic space, mapped to half-width.
_HALFWIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}


def to_halfwidth(text: str) -> str:
    """Map full-width ASCII variants (ＡＢＣ１２３，！) and the ideographic space to half-width."""
    return text.translate(_HALFWIDTH)


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Canonical form used before segmentation and encoding.

    Full-width letters and digits become half-width, traditional characters become simplified,
    control characters are dropped and runs of whitespace collapse to one space.

    Cached: ingest normalises each petition three times (segmentation, repeat hash, litigation
    cues), and the script conversion is the costly step.
    """
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", to_halfwidth(text))
    text = zhconv.convert(text, "zh-cn")
    return _SPACE.sub(" ", text).strip()
