"""Feedback re-ranking (issue 19, item 7): does a deployment's relevance marks improve its ranking on
queries nobody marked? Simulated marks on a train split of queries, P@5 and MAP on held-out ones.

    python -m bench.feedback                 # USE-m3 vectors cached by bench.fusion; about a minute
    python -m bench.feedback --json-out f.json
    python -m bench.feedback --modelcases    # the same rule on guidance (see modelcases()); a few minutes

Corpus: the 2,400 sample cases (``bench.fusion`` cache). Queries: 600 sample letters searched as
pasted text (each excluded from its own results); relevant = the same matter (truth ``topic``).
A simulated handler marks each of the top 10 hits of a train query relevant or not by the truth,
either all ten ("dense marks") or each with probability 0.3 ("sparse marks"). A held-out query is
ranked by the product's path (``kb.search.rank`` with its pool of k + ``FEEDBACK_POOL``, then
``kb.search.apply_boosts`` with ``kb.feedback.store.boosts_from`` on ``query_similarity``), so
marks reach it only through train queries similar to it.

Parameters (``DENSE_SHARE``, ``SIMILAR``, ``BOOST``) are chosen on the first 300 queries (development: 5-fold, marks
from four folds, scored on the fifth); the other 300 are held out and scored the same way with the
chosen parameters over 3 seeds × 5 folds, reported as mean and standard deviation over the 15 folds.

P@5 = share of the top 5 that is the query's matter; AP@10 = mean over the relevant hits in the top 10
of the precision at their rank, divided by min(10, relevant cases in the corpus); MAP = mean AP@10.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bench.fusion import CACHE, ROOT, cached, texts_of
from indexing.encoders.hashing import HashingEncoder
from indexing.fusion import Fused
from kb.evaluation.engine import Engine
from kb.feedback.store import BOOST, DENSE_SHARE, SIMILAR, boosts_from, term_weights
from kb.search import FEEDBACK_POOL, SYNONYM_WEIGHT, apply_boosts
from kb.search import rank as product_rank
from kb.settings import load_settings
from kb.users import SYSTEM

K = 10
QUERIES = 600
FOLDS = 5
SEEDS = (0, 1, 2)
SHARES = (0.3, 0.5, 0.7, 1.0)
SIMILARS = (0.4, 0.5, 0.6, 0.7, 0.8)
BOOSTS = (0.3, 0.5, 1.0)
SPARSE = 0.3
Param = tuple[float, float, float]  # (dense share, similar, boost)


def metrics(ids: list[int], topic: str, topics: list[str], total: int) -> tuple[float, float]:
    rel = [topics[d] == topic for d in ids[:K]]
    p5 = sum(rel[:5]) / 5
    hits, ap = 0, 0.0
    for r, ok in enumerate(rel, start=1):
        if ok:
            hits += 1
            ap += hits / r
    return p5, ap / max(1, min(K, total))


def run() -> dict[str, Any]:
    toks, vec = cached("samples")
    letters = texts_of("samples")
    truth = [json.loads(line) for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")]
    topics = [t["topic"] for t in truth]
    size = {t: topics.count(t) for t in set(topics)}
    settings = load_settings()
    engine = Engine(settings, encoder=HashingEncoder())
    seg, index = engine.segmenter, engine.index(vec, toks)
    picks = [int(q) for q in np.random.default_rng(0).choice(len(letters), QUERIES, replace=False)]
    pools: dict[int, list[Fused]] = {}
    pool_file = CACHE / f"feedback-pools-{settings.fusion}-{settings.dense_weight}-{QUERIES}.pkl"
    if pool_file.exists():
        pools = pickle.loads(pool_file.read_bytes())
    for q in picks:  # the ranking a typed search of the letter gets, with the feedback pool
        if q in pools:
            continue
        pools[q] = product_rank(
            index.dense,
            index.bm25,
            vec[q],
            toks[q],
            k=K + FEEDBACK_POOL,
            depth=settings.candidate_depth,
            method=settings.fusion,
            dense_weight=settings.dense_weight,
            exclude_id=q,
            extra=seg.expansion(letters[q], toks[q], SYNONYM_WEIGHT),
            expand_short=True,
        )
    pool_file.write_bytes(pickle.dumps(pools))
    unit = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)
    # The product's tf-idf term weights (kb.feedback.store.term_weights) as a sparse matrix, so the
    # cosine of two queries' terms is one product of rows, exactly query_similarity's lexical part.
    vocab: dict[str, int] = {}
    data, cols, ptr = [], [], [0]
    for q in range(len(toks)):
        for t, w in term_weights(toks[q], index.bm25.idf).items():
            data.append(w)
            cols.append(vocab.setdefault(t, len(vocab)))
        ptr.append(len(data))
    terms = sparse.csr_matrix((np.array(data, np.float32), cols, ptr), shape=(len(toks), len(vocab)))

    def fold_scores(queries: list[int], seed: int, density: float, grid: list[Param]) -> list[Any]:
        """Per fold: base (P@5, MAP) and, per (similar, boost, neighbours), the re-ranked (P@5, MAP)."""
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(queries))
        out = []
        for f in range(FOLDS):
            test = [queries[i] for i in order[f::FOLDS]]
            train = [queries[i] for i in order if i not in set(order[f::FOLDS])]
            marks = [  # (query row, item, relevant)
                (q, h.id, topics[h.id] == topics[q])
                for q in train
                for h in pools[q][:K]
                if density >= 1.0 or rng.random() < density
            ]
            rows = [m[0] for m in marks]
            items, votes = [m[1] for m in marks], [m[2] for m in marks]
            base = np.mean([metrics([h.id for h in pools[q]], topics[q], topics, size[topics[q]] - 1) for q in test], 0)
            dense = {q: unit[rows] @ unit[q] for q in test}
            lexical = {q: np.asarray((terms[rows] @ terms[q].T).todense()).ravel() for q in test}
            tuned = {}
            for share, similar, boost in grid:
                scores = []
                for q in test:
                    sims = share * dense[q] + (1.0 - share) * lexical[q]
                    boosts = boosts_from(sims, items, votes, similar=similar, boost=boost)
                    ranked = apply_boosts(pools[q], boosts, K) if boosts else pools[q][:K]
                    scores.append(metrics([h.id for h in ranked], topics[q], topics, size[topics[q]] - 1))
                tuned[(share, similar, boost)] = np.mean(scores, 0)
            out.append((base, tuned, len(marks)))
        return out

    grid = [(a, s, b) for a in SHARES for s in SIMILARS for b in BOOSTS]
    dev, held = picks[: QUERIES // 2], picks[QUERIES // 2 :]
    result: dict[str, Any] = {
        "product_default": {"dense_share": DENSE_SHARE, "similar": SIMILAR, "boost": BOOST},
        "queries": len(held),
    }
    for label, density in (("dense marks", 1.0), ("sparse marks", SPARSE)):
        folds = fold_scores(dev, 0, density, grid)
        dev_map = {p: float(np.mean([t[p][1] for _, t, _ in folds])) for p in grid}
        dev_base = float(np.mean([b[1] for b, _, _ in folds]))
        chosen = max(grid, key=lambda p: (round(dev_map[p], 4), -p[1]))
        rows = [
            fold for seed in SEEDS for fold in fold_scores(held, seed, density, [chosen, (DENSE_SHARE, SIMILAR, BOOST)])
        ]
        base = np.array([b for b, _, _ in rows])
        after = np.array([t[chosen] for _, t, _ in rows])
        default = np.array([t[(DENSE_SHARE, SIMILAR, BOOST)] for _, t, _ in rows])
        result[label] = {
            "development": {
                "base_map": dev_base,
                "chosen": chosen,
                "chosen_map": dev_map[chosen],
                "top": [(p, dev_map[p]) for p in sorted(grid, key=lambda p: -dev_map[p])[:6]],
            },
            "marks_per_fold": float(np.mean([n for _, _, n in rows])),
            "folds": len(rows),
            "heldout": {
                name: {
                    "p5": float(arr[:, 0].mean()),
                    "p5_sd": float(arr[:, 0].std()),
                    "map": float(arr[:, 1].mean()),
                    "map_sd": float(arr[:, 1].std()),
                }
                for name, arr in (("base", base), ("chosen", after), ("product_default", default))
            },
            "gain_map": float((after[:, 1] - base[:, 1]).mean()),
            "gain_map_sd": float((after[:, 1] - base[:, 1]).std()),
            "gain_p5": float((after[:, 0] - base[:, 0]).mean()),
            "gain_p5_sd": float((after[:, 0] - base[:, 0]).std()),
            "folds_improved": int(((after[:, 1] - base[:, 1]) > 0).sum()),
        }
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| marks | chosen on development (dense share, similar, boost) | held-out P@5 before → after "
        "| held-out MAP before → after "
        "| MAP gain (sd over folds) | folds improved | product default MAP |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in ("dense marks", "sparse marks"):
        r = result[label]
        h = r["heldout"]
        lines.append(
            f"| {label} ({r['marks_per_fold']:.0f} a fold) | {tuple(r['development']['chosen'])} "
            f"| {h['base']['p5']:.3f} → {h['chosen']['p5']:.3f} | {h['base']['map']:.3f} → {h['chosen']['map']:.3f} "
            f"| {r['gain_map']:+.3f} ({r['gain_map_sd']:.3f}) | {r['folds_improved']}/{r['folds']} "
            f"| {h['product_default']['map']:.3f} |"
        )
    for label in ("dense marks", "sparse marks"):
        d = result[label]["development"]
        top = ", ".join(f"{tuple(p)} {m:.3f}" for p, m in d["top"])
        lines.append(
            f"\n{label}, development MAP {d['base_map']:.3f} before; best (dense share, similar, boost): {top}"
        )
    return "\n".join(lines)


def modelcases() -> dict[str, Any]:
    """The same rule on model-case guidance, with the product's parameters (chosen on cases, not here).

    A service holds the 32 sample model cases; probes are the sample letters (every 8th) and short
    queries whose issue type has a model case, looked up as typed text (``kb.modelcases.guidance``).
    A simulated handler marks each train probe's top 3 relevant when the model case's category is
    the probe's issue type; held-out probes are ranked by ``guidance.rank`` with the service's
    ``feedback_boosts`` over the train marks (term idf from the sample cases' BM25 index, as a
    deployment holding them would have). P@1 and MRR@3 of a relevant model case; 5 folds × 3 seeds.
    """
    import tempfile

    from bench.wording import load_queries
    from kb.feedback.store import MarkSignal, feedback_boosts
    from kb.modelcases import library
    from kb.modelcases.guidance import build_query
    from kb.modelcases.guidance import rank as guidance_rank
    from kb.service import LeianService

    toks, vec = cached("samples")
    letters = texts_of("samples")
    truth = [json.loads(line) for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")]
    idf = Engine(load_settings(), encoder=HashingEncoder()).index(vec, toks).bm25.idf
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        svc = LeianService(load_settings(data_dir=Path(tmp), petitioner_key="bench"))
        try:
            library.load_samples(svc.modelcases)
            covered = {m.data.category for m in svc.modelcases.page(limit=10_000)[0]}
            probes = [(letters[q], truth[q]["issue_type"]) for q in range(0, len(letters), 8)]
            probes = [p for p in probes if p[1] in covered]
            probes += [(q["text"], q["issue_type"]) for q in load_queries() if q["issue_type"] in covered]
            queries = [
                build_query(svc.modelcases, text=t, case_id=None, group_id=None, actor=SYSTEM) for t, _ in probes
            ]
            qv = [np.zeros(1, np.float32) if q.vector is None else q.vector for q in queries]
            svc.modelcases.feedback_boosts = None
            base = [guidance_rank(svc.modelcases, q, 3) for q in queries]

            def score(hits: list[Any], issue: str) -> tuple[float, float]:
                rel = [h.model_case.data.category == issue for h in hits[:3]]
                first = next((i for i, r in enumerate(rel, start=1) if r), None)
                return float(bool(rel and rel[0])), 1.0 / first if first else 0.0

            before, after = [], []
            for seed in SEEDS:
                order = np.random.default_rng(seed).permutation(len(probes))
                for f in range(FOLDS):
                    test = set(int(i) for i in order[f::FOLDS])
                    signals = [
                        MarkSignal(
                            qv[i],
                            term_weights(queries[i].tokens, idf),
                            h.model_case.id,
                            h.model_case.data.category == probes[i][1],
                            probes[i][0],
                        )
                        for i in range(len(probes))
                        if i not in test
                        for h in base[i]
                    ]
                    svc.modelcases.feedback_boosts = lambda v, t, s=signals: feedback_boosts(s, v, term_weights(t, idf))
                    b = [score(base[i], probes[i][1]) for i in sorted(test)]
                    a = [score(guidance_rank(svc.modelcases, queries[i], 3), probes[i][1]) for i in sorted(test)]
                    before.append(np.mean(b, 0))
                    after.append(np.mean(a, 0))
        finally:
            svc.close()
    bef, aft = np.array(before), np.array(after)
    out = {
        "probes": len(probes),
        "p1": [float(bef[:, 0].mean()), float(aft[:, 0].mean())],
        "mrr3": [float(bef[:, 1].mean()), float(aft[:, 1].mean())],
        "gain_mrr3_sd": float((aft[:, 1] - bef[:, 1]).std()),
        "folds_improved": int(((aft[:, 1] - bef[:, 1]) > 0).sum()),
        "folds": len(bef),
    }
    print(
        f"model cases, {out['probes']} probes: P@1 {out['p1'][0]:.3f} -> {out['p1'][1]:.3f}, "
        f"MRR@3 {out['mrr3'][0]:.3f} -> {out['mrr3'][1]:.3f} (gain sd {out['gain_mrr3_sd']:.3f}, "
        f"{out['folds_improved']}/{out['folds']} folds improved)"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--modelcases", action="store_true", help="guidance (model cases) instead of cases")
    args = parser.parse_args()
    if args.modelcases:
        result = modelcases()
    else:
        result = run()
        print(markdown(result))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=list), encoding="utf-8")


if __name__ == "__main__":
    main()
