"""Handler wording (issue 19): short colloquial queries and full letters, before/after the synonym
lexicon and short-query pseudo-relevance expansion, through the product's ranking path.

    python -m bench.wording            # P@5 by issue type on tests/fixtures/short_queries.jsonl,
                                       # then full-letter P@10 on 300 sample letters
    python -m bench.wording --json-out w.json
    python -m bench.wording --queries tests/fixtures/short_queries_heldout.jsonl --no-letters   # held-out set

``short_queries.jsonl`` (42) is the development set: the lexicon and the weights were chosen on it.
``short_queries_heldout.jsonl`` (52, two per issue type) was written afterwards in another style
(handler notes, keyword strings) and committed before any result on it was seen; nothing was
changed after measuring it.

The 2,400 sample cases are encoded once (cached by ``bench.fusion``); tokens are re-segmented with
the current segmenter. "before" ranks the original tokens only (the product before issue 19),
"synonyms" adds the lexicon's terms at ``kb.search.SYNONYM_WEIGHT``, "synonyms+prf" also widens short
queries with pseudo-relevance terms (``kb.search.rank(expand_short=True)``), as a typed search does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from bench.fusion import CACHE, ROOT, cached, texts_of
from indexing.encoders.hashing import HashingEncoder
from kb.evaluation.engine import Engine
from kb.search import SYNONYM_WEIGHT, dense_text
from kb.settings import load_settings

QUERIES = ROOT / "tests" / "fixtures" / "short_queries.jsonl"
CONFIGS = ("before", "synonyms", "synonyms+prf")
SYSTEMS = ("bm25", "dense", "hybrid")


def load_queries(path: Path = QUERIES) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def query_vectors(texts: list[str]) -> np.ndarray:
    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"queries-{key}.npy"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, Engine(load_settings()).encode(texts))
    return np.load(path)


def run(queries_path: Path = QUERIES, letters_too: bool = True) -> dict[str, Any]:
    settings = load_settings()
    engine = Engine(settings, encoder=HashingEncoder())  # vectors come from the caches
    _, vec = cached("samples")
    letters = texts_of("samples")
    toks = engine.segment(letters)
    truth = [json.loads(line) for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")]
    index = engine.index(vec, toks)
    seg = engine.segmenter

    queries = load_queries(queries_path)
    qvec = query_vectors([q["text"] for q in queries])
    # After: the vector a typed search encodes (a short query's lexicon heads appended).
    avec = query_vectors([dense_text(seg, q["text"], seg.tokens(q["text"])) for q in queries])
    short: dict[str, dict[str, dict[str, float]]] = {c: {s: {} for s in SYSTEMS} for c in CONFIGS}
    by_type: dict[str, dict[str, list[float]]] = {f"{c}/{s}": defaultdict(list) for c in CONFIGS for s in SYSTEMS}
    for qi, q in enumerate(queries):
        qt = seg.tokens(q["text"])
        extra = seg.expansion(q["text"], qt, SYNONYM_WEIGHT)
        for config in CONFIGS:
            for system in SYSTEMS:
                ranked = engine.rank(
                    index,
                    qvec[qi] if config == "before" else avec[qi],
                    qt,
                    system,
                    5,
                    extra=None if config == "before" else extra,
                    expand_short=config == "synonyms+prf",
                )
                p5 = sum(truth[d]["issue_type"] == q["issue_type"] for d, _ in ranked) / 5
                short[config][system][q["id"]] = p5
                by_type[f"{config}/{system}"][q["issue_type"]].append(p5)

    picks = np.random.default_rng(0).choice(len(truth), 300 if letters_too else 0, replace=False)
    full: dict[str, dict[str, dict[str, float]]] = {}
    for config in ("before", "synonyms+prf") if letters_too else ():
        full[config] = {}
        for system in SYSTEMS:
            topic = issue = 0.0
            for q in picks:
                extra = seg.expansion(letters[q], toks[q], SYNONYM_WEIGHT) if config != "before" else None
                ranked = [
                    d
                    for d, _ in engine.rank(
                        index, vec[q], toks[q], system, 10, exclude=int(q), extra=extra, expand_short=config != "before"
                    )
                ]
                topic += sum(truth[d]["topic"] == truth[q]["topic"] for d in ranked) / 10
                issue += sum(truth[d]["issue_type"] == truth[q]["issue_type"] for d in ranked) / 10
            full[config][system] = {"topic_p10": topic / len(picks), "issue_type_p10": issue / len(picks)}
    types = sorted({q["issue_type"] for q in queries})
    table = {
        t: {k: float(np.mean(v[t])) for k, v in by_type.items()} | {"n": len(by_type["before/bm25"][t])} for t in types
    }
    overall = {c: {s: float(np.mean(list(short[c][s].values()))) for s in SYSTEMS} for c in CONFIGS}
    styles = sorted({q.get("style", "") for q in queries})
    by_style = {
        st: {
            f"{c}/{s}": float(np.mean([short[c][s][q["id"]] for q in queries if q.get("style", "") == st]))
            for c in CONFIGS
            for s in SYSTEMS
        }
        | {"n": sum(q.get("style", "") == st for q in queries)}
        for st in styles
    }
    return {
        "queries": str(queries_path),
        "short_p5": overall,
        "short_by_type": table,
        "short_by_style": by_style,
        "per_query": short,
        "full_letters": full,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = ["| system | " + " | ".join(CONFIGS) + " |", "|---|" + "---|" * len(CONFIGS)]
    for s in SYSTEMS:
        lines.append(f"| {s} | " + " | ".join(f"{result['short_p5'][c][s]:.3f}" for c in CONFIGS) + " |")
    lines += ["", "| issue type | n | hybrid before | hybrid after (synonyms+prf) |", "|---|---|---|---|"]
    for t, row in result["short_by_type"].items():
        lines.append(f"| {t} | {row['n']} | {row['before/hybrid']:.2f} | {row['synonyms+prf/hybrid']:.2f} |")
    if len(result["short_by_style"]) > 1:
        lines += ["", "| style | n | hybrid before | hybrid after |", "|---|---|---|---|"]
        for st, row in result["short_by_style"].items():
            lines.append(f"| {st} | {row['n']} | {row['before/hybrid']:.3f} | {row['synonyms+prf/hybrid']:.3f} |")
    if not result["full_letters"]:
        return "\n".join(lines)
    lines += ["", "| full letters (300) | before topic / type P@10 | after topic / type P@10 |", "|---|---|---|"]
    for s in SYSTEMS:
        b, a = result["full_letters"]["before"][s], result["full_letters"]["synonyms+prf"][s]
        before, after = (
            f"{b['topic_p10']:.3f} / {b['issue_type_p10']:.3f}",
            f"{a['topic_p10']:.3f} / {a['issue_type_p10']:.3f}",
        )
        lines.append(f"| {s} | {before} | {after} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--queries", type=Path, default=QUERIES, help="short-query file (id, text, issue_type)")
    parser.add_argument("--no-letters", action="store_true", help="skip the 300 full-letter queries")
    args = parser.parse_args()
    result = run(args.queries, not args.no_letters)
    print(markdown(result))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
