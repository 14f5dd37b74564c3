"""jieba's segmentation, run by rjieba (the jieba-rs binding): the same tokens, about 20x faster.

rjieba carries the same main dictionary and HMM as jieba but differs in two places, both corrected
here so that ``cut`` returns exactly ``jieba.Tokenizer.lcut(text, HMM=True)`` (checked token by
token on the bundled samples and the evaluation corpora, tests/indexing/test_segment_rust.py):

* jieba-rs splits a non-Chinese run with ``[a-zA-Z0-9]+(?:.\\d+)?%?`` (an unescaped dot), so
  ``80-90`` stays one token; jieba splits it into ``80`` / ``-`` / ``90``. Such tokens are split
  again with jieba's own pattern.
* jieba's ``add_word`` adds the new frequency to the dictionary total even when the word is already
  in the main dictionary; jieba-rs subtracts the old frequency. The total steers every route, so the
  difference is added back through one placeholder entry (a private-use character no text carries
  as a word), keeping both totals equal.

A user dictionary line with frequency 0 (jieba's "force split") has no jieba-rs equivalent:
``RustJieba`` refuses it (``UnsupportedDictionary``) and the segmenter falls back to jieba.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

_USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")
_HAN = re.compile(r"[\u4E00-\u9FD5]")
_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_ONE_SKIP = re.compile(r"^[a-zA-Z0-9]+(?:\.\d+)?%?$")
_PLACEHOLDER = "\ue000"


class UnsupportedDictionary(ValueError):
    """A user dictionary rjieba cannot load with jieba's meaning."""


def available() -> bool:
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


def _main_frequencies(words: set[str]) -> dict[str, int]:
    """Frequencies of ``words`` in jieba's main dictionary (the one jieba-rs bundles too)."""
    found: dict[str, int] = {}
    if not words:
        return found
    path = Path(str(resources.files("jieba") / "dict.txt"))
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, _, rest = line.partition(" ")
            if word in words:
                found[word] = int(rest.split(" ", 1)[0])
    return found


def _split_skip(word: str) -> list[str]:
    if len(word) > 1 and not _HAN.search(word) and not _ONE_SKIP.match(word) and _SKIP.search(word):
        return [x for x in _SKIP.split(word) if x]
    return [word]


class RustJieba:
    """A jieba tokenizer with user dictionaries, run by rjieba (see the module docstring)."""

    def __init__(self, userdicts: Iterable[Path] = ()) -> None:
        import rjieba

        self._jieba = rjieba.Jieba()
        entries: list[tuple[str, int | None, str | None]] = []
        for path in userdicts:
            for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
                line = raw.lstrip("\ufeff").strip() if n == 1 else raw.strip()
                if not line:
                    continue
                match = _USERDICT_LINE.match(line)
                if match is None:  # pragma: no cover - the pattern matches any non-empty line
                    continue
                word, freq, tag = match.groups()
                if freq is not None and int(freq) == 0:
                    raise UnsupportedDictionary(f"{path}: line {n} sets frequency 0 (force split)")
                entries.append((word, int(freq) if freq else None, tag.strip() if tag else None))
        self._known = _main_frequencies({w for w, _, _ in entries})
        self._drift = 0  # jieba's total minus jieba-rs's
        for word, freq, tag in entries:
            self._add(word, freq, tag)
        self._sync_total()

    def _add(self, word: str, freq: int | None, tag: str | None) -> None:
        # jieba-rs adds ``freq - old`` to its total, jieba adds ``freq``: the old frequency is the drift.
        self._drift += self._known.get(word, 0)
        self._known[word] = self._jieba.add_word(word, freq, tag)

    def _sync_total(self) -> None:
        if self._drift:
            self._jieba.add_word(_PLACEHOLDER, self._drift, None)

    def add_words(self, words: Iterable[str]) -> None:
        words = list(words)
        self._known.update(_main_frequencies({w for w in words if w not in self._known}))
        for word in words:
            self._add(word, None, None)
        self._sync_total()

    def cut(self, text: str) -> list[str]:
        """``jieba.Tokenizer.lcut(text, HMM=True)``, token for token."""
        out: list[str] = []
        for word in self._jieba.cut(text, True):
            out.extend(_split_skip(word))
        return out
