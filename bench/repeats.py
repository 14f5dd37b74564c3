"""Repeat-petition detection (issue 19): precision and recall before/after evidence-based thresholds.

    python -m bench.repeats samples   # data/samples: petitioner_id, truth repeat_of
    python -m bench.repeats real      # ../shared/eval gov_messages_unlabeled: user, same `group`

The detector's own rule (``kb.workflow.repeats.judge_repeat``) over every case in date order: the
candidates are the same petitioner's earlier cases within the window. A link is correct when the
truth says the case repeats that earlier case (samples: same ``topic`` and ``repeat_of`` set;
real: same duplicate ``group``). Recall is over the cases the truth marks as repeats of an earlier
case of the same petitioner. *before*: one bar (0.80 cosine / 0.50 token overlap) whatever the
evidence; *after*: the defaults (0.65 / 0.35 with evidence). USE-m3 vectors from bench.group_grain's cache.

    python -m bench.repeats scale --sizes 20000 40000 80000

*scale* (issue 20): the cost of finding each imported case's nearest cases within its own file,
the step that made repeat detection quadratic: the former all-pairs products (exact, blockwise)
against ``indexing.vectors.batch_knn.batch_neighbours`` (an inverted-file index over the file
above 8,192 rows), on ``bench.corpus.vectors`` (USE-m3 sample vectors and synthetic mixes), with
the recall of the exact top-10 and the load average beside each figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import bench.groups as bg
from kb.workflow.repeats import Candidate, NewCase, RepeatSettings, judge_repeat

REPO = Path(__file__).resolve().parents[1]


def _rows(part: str) -> tuple[list[dict[str, Any]], list[str], str]:
    """Normalised rows (id, date, who, text, category, city, district, truth key) and the cache name."""
    if part == "samples":
        cases = [json.loads(x) for x in (REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines()]
        truth = [json.loads(x) for x in (REPO / "data/samples/truth.jsonl").read_text(encoding="utf-8").splitlines()]
        rows = []
        for c, t in zip(cases, truth, strict=True):
            text = f"{c['title']}。{c['content']}" if c.get("title") else c["content"]
            rows.append({
                "id": c["external_no"], "date": c["received_date"], "who": c.get("petitioner_id"), "text": text,
                "category": c.get("category"), "city": c.get("city"), "district": c.get("district"),
                "matter": t["topic"], "repeat": t["repeat_of"] is not None,
            })  # fmt: skip
        return rows, [r["text"] for r in rows], "samples"
    shared = Path(os.environ.get("LEIAN_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval")
    path = shared / "gov_messages_unlabeled.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh]
    rows = [
        {
            "id": r["id"], "date": str(r.get("date") or "")[:10], "who": r.get("user"), "text": r["text"],
            "category": r.get("label"), "city": r.get("location"), "district": None,
            "matter": r.get("group") or None, "repeat": None,
        }
        for r in raw
    ]  # fmt: skip
    return rows, [r["text"] for r in raw], "gov_unlabeled"


def evaluate(rows: list[dict[str, Any]], vectors: np.ndarray, tokens: list[list[str]], settings: RepeatSettings):
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["date"], i))
    seen: dict[str, list[int]] = {}
    predicted = correct = positives = 0
    for i in order:
        r = rows[i]
        if not r["who"]:
            continue
        earlier = [j for j in seen.get(r["who"], []) if _within(rows[j]["date"], r["date"], settings.window_days)]
        seen.setdefault(r["who"], []).append(i)
        truth_repeat = (
            r["repeat"]
            if r["repeat"] is not None
            else bool(r["matter"] and any(rows[j]["matter"] == r["matter"] for j in earlier))
        )
        positives += int(truth_repeat)
        if not earlier:
            continue
        case = NewCase(
            i, r["date"], r["who"], r["text"], vectors[i], tokens[i], r["category"], r["city"], r["district"]
        )
        scored = [
            (Candidate(j, rows[j]["text"], tokens[j], rows[j]["category"], rows[j]["city"], rows[j]["district"]),
             float(vectors[j] @ vectors[i]))
            for j in earlier
        ]  # fmt: skip
        best, _ = judge_repeat(case, scored, settings)
        if best is None:
            continue
        predicted += 1
        correct += int(truth_repeat and bool(r["matter"]) and rows[best[0]]["matter"] == r["matter"])
    return {
        "links": predicted,
        "truth_repeats": positives,
        "precision": round(correct / predicted, 3) if predicted else None,
        "recall": round(correct / positives, 3) if positives else None,
    }


def _within(a: str, b: str, days: int) -> bool:
    try:
        return (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days <= days
    except ValueError:
        return True


def scale(sizes: list[int], exact_up_to: int, n_real: int) -> str:
    import time

    from bench.corpus import vectors as corpus_vectors
    from indexing.vectors.batch_knn import batch_neighbours, exact_neighbours

    lines = [
        "| rows in the file | all pairs (before) s | through the index s | recall of exact top-10 | load (1 min) |",
        "|---|---|---|---|---|",
    ]
    costs: dict[int, tuple[float | None, float]] = {}
    for n in sizes:
        v = np.ascontiguousarray(corpus_vectors(n, n_real=n_real), dtype=np.float32)
        t = time.perf_counter()
        approx = batch_neighbours(v, 10)
        t_new = time.perf_counter() - t
        t_old: float | None = None
        recall = "–"
        if n <= exact_up_to:
            t = time.perf_counter()
            exact = exact_neighbours(v, 10)
            t_old = time.perf_counter() - t
            probe = range(0, n, max(1, n // 2000))
            recall = f"{np.mean([len(set(exact[i]) & set(approx[i])) / 10 for i in probe]):.3f}"
        costs[n] = (t_old, t_new)
        old = f"{t_old:.1f}" if t_old is not None else "–"
        lines.append(f"| {n:,} | {old} | {t_new:.1f} | {recall} | {os.getloadavg()[0]:.2f} |")
        print(lines[-1], flush=True)
    first = sizes[0]
    ratios = []
    for n in sizes[1:]:
        old, new = costs[n][0], costs[n][1]
        base_old, base_new = costs[first]
        part = f"{n // first}× rows: through the index {new / base_new:.2f}× the cost"
        if old is not None and base_old is not None:
            part += f", all pairs {old / base_old:.2f}×"
        ratios.append(part)
    lines += ["", f"Against {first:,} rows: " + "; ".join(ratios) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["samples", "real", "scale"])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/leian-grain"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 40_000, 80_000])
    ap.add_argument("--exact-up-to", type=int, default=40_000, help="largest size also run all pairs")
    ap.add_argument("--n-real", type=int, default=4_000, help="encoded sample vectors the synthetic ones mix")
    args = ap.parse_args(argv)
    if args.part == "scale":
        print(scale(args.sizes, args.exact_up_to, args.n_real))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows, texts, name = _rows(args.part)
    vectors, tokens = bg.load(args.cache, name, texts)
    after = RepeatSettings()
    before = replace(after, evidence_cosine=after.same_matter_cosine, evidence_overlap=after.same_matter_overlap)
    out = {"before (0.80 / 0.50 always)": evaluate(rows, vectors, tokens, before)}
    out["after (evidence: 0.65 / 0.35)"] = evaluate(rows, vectors, tokens, after)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
