"""Triplet ranking: is B ranked above C for A? (CAIL2019-SCM style), per system."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from indexing.encoders import Encoder
from indexing.encoders.chunking import ChunkedEncoder
from kb.evaluation.datasets import Row
from kb.evaluation.engine import SYSTEMS, Engine, Index
from kb.evaluation.report import Result, new_result


def _unique_texts(rows: Sequence[Row]) -> tuple[list[str], list[tuple[int, int, int, bool]]]:
    """Distinct texts, and per triplet (a, b, c, b_is_answer) as positions into them."""
    position: dict[str, int] = {}
    for row in rows:
        for key in ("text_a", "text_b", "text_c"):
            position.setdefault(row[key], len(position))
    triples = [(position[r["text_a"]], position[r["text_b"]], position[r["text_c"]], r["label"] == "B") for r in rows]
    return list(position), triples


def _accuracy(scores: Sequence[tuple[float, float]], b_wins: Sequence[bool]) -> dict[str, float]:
    """Right when the answer scores strictly higher; ties count as wrong and are reported."""
    right = sum(1 for (sb, sc), b in zip(scores, b_wins, strict=True) if (sb > sc if b else sc > sb))
    ties = sum(1 for sb, sc in scores if sb == sc)
    n = max(len(scores), 1)
    return {"accuracy": right / n, "ties": ties / n}


def _system_scores(
    engine: Engine, index: Index, system: str, triples: Sequence[tuple[int, int, int, bool]]
) -> list[tuple[float, float]]:
    """Score of B and C in A's ranking over the whole corpus (absent = -inf)."""
    out = []
    n = index.vectors.shape[0]
    with engine.tracker(f"排序 {system}", len(triples)) as bar:
        for a, b, c, _ in triples:
            ranked = dict(engine.rank(index, index.vectors[a], index.tokens[a], system, n))
            out.append((ranked.get(b, float("-inf")), ranked.get(c, float("-inf"))))
            bar.update(1)
    return out


def char_bigram_scores(
    texts: Sequence[str], triples: Sequence[tuple[int, int, int, bool]]
) -> list[tuple[float, float]]:
    """The reference baseline quoted for CAIL2019-SCM: cosine of character-bigram TF-IDF."""
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit_transform(texts)
    return [
        (float(matrix[a].multiply(matrix[b]).sum()), float(matrix[a].multiply(matrix[c]).sum()))
        for a, b, c, _ in triples
    ]


def evaluate_triplets(
    rows: Sequence[Row], engine: Engine, dataset: str = "triplets", variants: Mapping[str, Encoder] | None = None
) -> Result:
    """Accuracy per system; ``variants`` adds dense/hybrid rows for other encoders (e.g. truncation)."""
    result = new_result("triplets", dataset, engine.describe(), "hybrid")
    texts, triples = _unique_texts(rows)
    b_wins = [t[3] for t in triples]
    tokens = engine.segment(texts)
    index = engine.index(engine.encode(texts), tokens)
    for system in SYSTEMS:
        result["systems"][system] = _accuracy(_system_scores(engine, index, system, triples), b_wins)
    for name, encoder in (variants or {}).items():
        other = Engine(engine.settings, encoder, engine.segmenter, engine.tracker)
        alt = engine.index(other.encode(texts, label=f"编码 {name}"), tokens)
        for system in ("dense", "hybrid"):
            result["systems"][f"{system} [{name}]"] = _accuracy(_system_scores(other, alt, system, triples), b_wins)
    result["systems"]["char-bigram tf-idf"] = _accuracy(char_bigram_scores(texts, triples), b_wins)
    lengths = np.array([len(t) for t in texts])
    result["notes"].append(
        f"{len(rows)} triplets, {len(texts)} distinct texts; text length median {int(np.median(lengths))}, "
        f"max {int(lengths.max())} characters; B and C are ranked for A over all distinct texts."
    )
    return result


def long_text_variants(encoder: Encoder) -> dict[str, Encoder]:
    """The other long-text treatment(s) to compare with the configured encoder."""
    if isinstance(encoder, ChunkedEncoder):
        return {f"truncate {encoder.chunk_chars}": encoder.base, "chunk 256": ChunkedEncoder(encoder.base, 256, 16)}
    return {"chunk 512": ChunkedEncoder(encoder, 512), "chunk 256": ChunkedEncoder(encoder, 256, 16)}
