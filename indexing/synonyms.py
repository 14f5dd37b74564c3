"""A domain synonym and colloquial lexicon for query expansion (issue 19, handler wording).

One group per line, words separated by spaces; a word found in a query brings in the other words of
its group(s) at a weight below the original terms (``expand``). The bundled file sits in
``indexing/resources/synonyms.txt``; a deployment adds files of the same format (``LEIAN_SYNONYMS``),
as it adds user dictionaries. Multi-character colloquial phrases (拉货的钱) are also handed to the
segmenter's dictionary so that they come out as one token.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path

from indexing.text import normalize

_RESOURCES = resources.files("indexing") / "resources"


def default_synonyms() -> Path:
    return Path(str(_RESOURCES / "synonyms.txt"))


def read_groups(path: Path) -> list[list[str]]:
    """The groups of one lexicon file (blank and ``#`` lines skipped; words lower-cased, normalised)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"synonym file not found: {path}")
    groups = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = list(dict.fromkeys(normalize(w).lower() for w in line.split() if w.strip()))
        if len(words) > 1:
            groups.append(words)
    return groups


class Lexicon:
    """Word -> the other words of its synonym groups."""

    def __init__(self, files: Sequence[Path] = (), *, include_defaults: bool = True) -> None:
        paths = ([default_synonyms()] if include_defaults else []) + [Path(p) for p in files]
        self.files = [str(p) for p in paths]
        self.groups: list[list[str]] = [g for p in paths for g in read_groups(p)]
        self._related: dict[str, set[str]] = {}
        for group in self.groups:
            for word in group:
                self._related.setdefault(word, set()).update(w for w in group if w != word)
        # Fixed once built: the word set and the multi-character words a query's text is scanned for.
        # A plain set in the order ``words()`` gives, so the answer's sets iterate as before (the
        # synonym terms' order is the BM25 accumulation order: float32 scores to the bit).
        self._words = set(self._related)
        self._phrases = tuple(w for w in self._words if len(w) > 1)

    def __len__(self) -> int:
        return len(self.groups)

    def words(self) -> set[str]:
        return set(self._related)

    def in_text(self, tokens: Iterable[str], flat: str) -> set[str]:
        """Its words among ``tokens`` or, longer than one character, inside ``flat`` (a query's
        normalised, lower-cased text): ``Segmenter.lexicon_words``."""
        return (set(tokens) & self._words) | {w for w in self._phrases if w in flat}

    def related(self, word: str) -> set[str]:
        return set(self._related.get(word, ()))

    def heads(self, words: Iterable[str]) -> list[str]:
        """The first word of every group one of ``words`` belongs to (the group's usual name)."""
        present = set(words)
        return [g[0] for g in self.groups if g[0] not in present and present.intersection(g)]

    def expand(self, tokens: Iterable[str], weight: float) -> dict[str, float]:
        """Terms to add to a query of ``tokens``: each related word not already in it, at ``weight``."""
        present = set(tokens)
        extra: dict[str, float] = {}
        for token in present:
            for word in self._related.get(token, ()):
                if word not in present:
                    extra[word] = max(extra.get(word, 0.0), weight)
        return extra


def merged(tokens: Sequence[str], extra: Mapping[str, float]) -> dict[str, float]:
    """Query term -> weight: the original tokens count once per occurrence, added terms their weight."""
    out: dict[str, float] = {}
    for t in tokens:
        out[t] = out.get(t, 0.0) + 1.0
    for t, w in extra.items():
        if t not in out:
            out[t] = w
    return out
