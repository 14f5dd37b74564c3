"""Chinese word segmentation with jieba, a project user dictionary and a stopword list.

The segmenter runs jieba's algorithm either in Python (``jieba``) or through rjieba, the jieba-rs
binding (``rjieba``, indexing/segment_rust.py: the same tokens, about 20x faster). ``auto``, the
default, uses rjieba when it is installed and loads the dictionaries with jieba's meaning, else
jieba.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import jieba

from indexing import segment_rust
from indexing.synonyms import Lexicon
from indexing.text import normalize

jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)
BACKENDS = ("auto", "jieba", "rjieba")

_RESOURCES = resources.files("indexing") / "resources"
# A token worth indexing has at least one CJK character, letter or digit.
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_NUMBER = re.compile(r"^[0-9.,%]+$")


def default_userdict() -> Path:
    return Path(str(_RESOURCES / "userdict.txt"))


# The bundled stopword lists: ``petition`` (function words + petition boilerplate, verbs such as
# 反映/处理/造成, numbers, units and dates: the default, tuned on petitions), ``function`` (function
# words and punctuation only: for legal facts and other corpora where 造成/致使/多次/万元 carry
# meaning; docs/quality.md, "Retrieval") and ``none``.
# ``Segmenter.tokens`` remembers this many recent texts of at most this many characters (queries).
RECENT_TEXTS = 64
RECENT_MAX_CHARS = 2000
STOPWORD_SETS = {"petition": "stopwords.txt", "function": "stopwords_function.txt", "none": None}


def default_stopwords(kind: str = "petition") -> Path:
    if STOPWORD_SETS.get(kind) is None:
        raise ValueError(f"no bundled stopword list {kind!r}; choose one of petition, function")
    return Path(str(_RESOURCES / str(STOPWORD_SETS[kind])))


_BASE: jieba.Tokenizer | None = None
_BASE_LOCK = threading.Lock()


def _fresh_tokenizer() -> jieba.Tokenizer:
    """A tokenizer with jieba's main dictionary, loaded once per process and copied per segmenter.

    Loading the main dictionary takes seconds; copying its frequency table takes milliseconds.
    """
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            base = jieba.Tokenizer()
            base.initialize()
            _BASE = base
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ = dict(_BASE.FREQ)
    tokenizer.total = _BASE.total
    tokenizer.initialized = True
    return tokenizer


def _read_lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


class Segmenter:
    """Normalise, segment and filter; the same instance serves indexing and queries.

    Each segmenter owns its jieba ``Tokenizer`` so that dictionaries of one deployment never
    leak into another one in the same process.
    """

    def __init__(
        self,
        userdicts: Sequence[Path] = (),
        stopword_files: Sequence[Path] = (),
        *,
        include_defaults: bool = True,
        bundled_stopwords: str = "petition",
        synonyms: Sequence[Path] = (),
        backend: str = "auto",
    ) -> None:
        """``backend``: ``auto`` (rjieba if installed, else jieba), ``jieba`` or ``rjieba``."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown segmenter backend {backend!r}: {', '.join(BACKENDS)}")
        if bundled_stopwords not in STOPWORD_SETS:
            raise ValueError(f"unknown bundled stopword list {bundled_stopwords!r}: {', '.join(STOPWORD_SETS)}")
        bundled = include_defaults and STOPWORD_SETS[bundled_stopwords] is not None
        dicts = ([default_userdict()] if include_defaults else []) + list(userdicts)
        stops = ([default_stopwords(bundled_stopwords)] if bundled else []) + list(stopword_files)
        for path in dicts:
            if not Path(path).is_file():
                raise FileNotFoundError(f"user dictionary not found: {path}")
        self._rust: segment_rust.RustJieba | None = None
        self._jieba: jieba.Tokenizer | None = None
        if backend == "rjieba" or (backend == "auto" and segment_rust.available()):
            try:
                self._rust = segment_rust.RustJieba(dicts)
            except segment_rust.UnsupportedDictionary as exc:
                if backend == "rjieba":
                    raise
                log.info("rjieba cannot load the user dictionaries with jieba's meaning (%s): using jieba", exc)
        if self._rust is None:
            self._jieba = _fresh_tokenizer()
            for path in dicts:
                self._jieba.load_userdict(str(path))
        self.backend = "rjieba" if self._rust is not None else "jieba"
        # Tokens of recently segmented short texts (``tokens``); insertion-ordered, oldest evicted.
        self._recent: dict[str, tuple[str, ...]] = {}
        self._recent_lock = threading.Lock()
        self.stopwords: frozenset[str] = frozenset(w for p in stops for w in _read_lines(Path(p)))
        self.userdicts = [str(p) for p in dicts]
        self._digest: str | None = None
        # Query expansion only: the lexicon never changes how documents are segmented.
        self.lexicon = Lexicon(synonyms, include_defaults=include_defaults)

    def dictionary_digest(self) -> str:
        """A digest of what decides this segmenter's tokens: its user dictionaries' contents (in load
        order) and its stopwords, read once. Models fitted on tokens (the stored routing models) are
        valid only for the same digest."""
        if self._digest is None:
            h = hashlib.sha256(self.backend.encode())
            for path in self.userdicts:
                h.update(b"\0" + Path(path).read_bytes())
            h.update(b"\0" + "\n".join(sorted(self.stopwords)).encode())
            self._digest = h.hexdigest()[:16]
        return self._digest

    def lexicon_words(self, text: str, tokens: Sequence[str]) -> set[str]:
        """Words of the lexicon in a query: among its tokens or, for phrases jieba splits
        (拉石头的钱), in its normalised text."""
        return self.lexicon.in_text(tokens, normalize(text).lower())

    def expansion(self, text: str, tokens: Sequence[str], weight: float) -> dict[str, float]:
        """Synonym terms for a query (``Lexicon.expand`` of its ``lexicon_words``) at ``weight``.

        A phrase jieba splits (拉石头的钱 -> 拉 / 石头 / 钱) is the handler's own word but no index
        term, so its synonyms stand in for it at full weight (1.0).
        """
        present = self.lexicon_words(text, tokens)
        split = {w for w in present if w not in tokens}
        out = {t: w for t, w in self.lexicon.expand(present - split, weight).items() if t not in tokens}
        for t in self.lexicon.expand(split, 1.0):
            if t not in tokens and t not in present:
                out[t] = 1.0
        return out

    def tokens(self, text: str) -> list[str]:
        """Index tokens: segmented words without stopwords, punctuation and bare numbers.

        The last few short texts' tokens are kept (a query is segmented for ranking, for the shown
        terms and for relevance marks): a copy is returned, and ``add_words`` forgets them.
        """
        if len(text) <= RECENT_MAX_CHARS:
            hit = self._recent.get(text)
            if hit is not None:
                return list(hit)
        words = self.cut(normalize(text).lower())
        out = [
            w
            for w in (w.strip() for w in words)
            if w and w not in self.stopwords and _MEANINGFUL.search(w) and not _NUMBER.match(w)
        ]
        if len(text) <= RECENT_MAX_CHARS:
            with self._recent_lock:
                recent = self._recent
                recent[text] = tuple(out)
                while len(recent) > RECENT_TEXTS:
                    recent.pop(next(iter(recent)))
        return out

    def cut(self, text: str) -> list[str]:
        """jieba's ``lcut(text, HMM=True)`` with this segmenter's dictionaries (no filtering)."""
        if self._rust is not None:
            return self._rust.cut(text)
        assert self._jieba is not None
        return self._jieba.lcut(text, HMM=True)

    def tokens_many(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokens(t) for t in texts]

    def add_words(self, words: Iterable[str]) -> None:
        if self._rust is not None:
            self._rust.add_words(words)
        else:
            assert self._jieba is not None
            for w in words:
                self._jieba.add_word(w)
        with self._recent_lock:  # tokens remembered under the old dictionary are forgotten
            self._recent = {}
