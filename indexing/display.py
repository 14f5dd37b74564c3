"""Words never shown as a reason or keyword (issue 19): generic petition wording such as 帮, 只想,
公道, 我家. They still count in ranking; only what the user reads leaves them out. The list is
``indexing/resources/display_stopwords.txt`` (one word a line, ``#`` comments)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

_FILE = resources.files("indexing") / "resources" / "display_stopwords.txt"


def display_stopwords_file() -> Path:
    return Path(str(_FILE))


@lru_cache(maxsize=1)
def display_stopwords() -> frozenset[str]:
    lines = display_stopwords_file().read_text(encoding="utf-8").splitlines()
    return frozenset(ln.strip() for ln in lines if ln.strip() and not ln.startswith("#"))


def shown(terms: Iterable[str]) -> list[str]:
    """``terms`` in order without the display stop-words and single characters."""
    stops = display_stopwords()
    return [t for t in terms if t not in stops and len(t) > 1]
