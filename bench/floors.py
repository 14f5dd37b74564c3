"""Relevance floors for model-case guidance and similar-case hits (issue 19): choose the floor on a
development split of the sample letters and report it on a held-out split, through the product's rule.

    python -m bench.floors            # guidance (DENSE_FLOOR); USE-m3; a few minutes (encodes the probes)
    python -m bench.floors --cases    # similar-case hits (kb.search.CASE_DENSE_FLOOR); see cases() below

A service holds the 32 sample model cases (no stored cases, so no category guess or boost). Probes:
the sample letters whose issue type has a model case, plus the short colloquial queries
(tests/fixtures/short_queries.jsonl); even positions are development, odd ones held out. Each probe's
top 3 hits are labelled relevant when the model case's category is the probe's issue type. For each
floor: precision of the hits kept above the floor, and the share of relevant hits wrongly marked low.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from bench.wording import load_queries
from kb.modelcases import library
from kb.modelcases.guidance import is_low, look_up
from kb.service import LeianService
from kb.settings import load_settings
from kb.units.gazetteer import Gazetteer

ROOT = Path(__file__).resolve().parents[1]
FLOORS = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)


def main() -> None:
    cases = [json.loads(line) for line in (ROOT / "data" / "samples" / "cases.jsonl").open(encoding="utf-8")]
    truth = {
        json.loads(line)["external_no"]: json.loads(line)["issue_type"]
        for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")
    }
    with tempfile.TemporaryDirectory() as tmp:
        svc = LeianService(load_settings(data_dir=Path(tmp), petitioner_key="bench"))
        try:
            library.load_samples(svc.modelcases)
            covered = {m.data.category for m in svc.modelcases.page(limit=10_000)[0]}
            letters = [c for c in cases if truth[c["external_no"]] in covered][::8]
            probes = [(f"{c['title']}。{c['content']}", truth[c["external_no"]]) for c in letters]
            probes += [(q["text"], q["issue_type"]) for q in load_queries() if q["issue_type"] in covered]
            probes += [("asdfgh qwerty 12345", None)]
            places = Gazetteer(svc.kernel.units)
            rows = []  # (split, relevant, terms, dense)
            for i, (text, issue) in enumerate(probes):
                _, hits = look_up(svc.modelcases, text=text, k=3)
                for h in hits:
                    rows.append((i % 2, h.model_case.data.category == issue, h.matched_terms, h.dense_score))
        finally:
            svc.close()
    print(f"probes {len(probes)}, hits {len(rows)}")
    print(
        "| floor | dev precision kept | dev relevant marked low "
        "| held-out precision kept | held-out relevant marked low |"
    )
    print("|---|---|---|---|---|")
    for floor in FLOORS:
        cells = []
        for split in (0, 1):
            part = [r for r in rows if r[0] == split]
            kept = [r for r in part if not is_low(r[2], r[3], places, floor)]
            rel = [r for r in part if r[1]]
            lost = [r for r in rel if is_low(r[2], r[3], places, floor)]
            cells += [f"{sum(r[1] for r in kept) / max(1, len(kept)):.3f}", f"{len(lost) / max(1, len(rel)):.3f}"]
        print(f"| {floor} | " + " | ".join(cells) + " |", flush=True)


# Input that names no matter at all: every hit it gets must be marked 相关度较低.
NONSENSE = ("asdfgh qwerty 12345", "测试测试测试", "你好", "1234567890", "abc def ghi", "今天天气不错")
CASE_FLOORS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
CASE_K = 10


def cases() -> None:
    """Similar-case hits: the 2,400 sample cases indexed (vectors cached by ``bench.fusion``), probes
    = every 8th sample letter (searched as pasted text, itself excluded), the short colloquial queries
    and ``NONSENSE``; even probes are development, odd ones held out. Each probe's top 10 hybrid hits
    are relevant when they are about the probe's matter (the truth ``topic``; a short query has only
    an issue type, so there the issue type). A hit is low by ``kb.search.below_floor``
    (its shown shared terms, place names removed, and its dense similarity) at each floor. The floor
    kept is the development split's best Youden J (non-relevant hits marked low − relevant hits
    marked low) among floors that mark every nonsense hit low."""
    from bench.fusion import cached, texts_of
    from bench.wording import query_vectors
    from indexing.display import shown
    from indexing.encoders.hashing import HashingEncoder
    from kb.evaluation.engine import Engine
    from kb.search import SYNONYM_WEIGHT, below_floor, dense_text
    from kb.search import rank as product_rank

    toks, vec = cached("samples")
    letters = texts_of("samples")
    truth = [json.loads(line) for line in (ROOT / "data" / "samples" / "truth.jsonl").open(encoding="utf-8")]
    settings = load_settings()
    engine = Engine(settings, encoder=HashingEncoder())  # vectors come from the cache
    seg, index = engine.segmenter, engine.index(vec, toks)
    with tempfile.TemporaryDirectory() as tmp:
        svc = LeianService(load_settings(data_dir=Path(tmp), petitioner_key="bench"))
        try:
            places = Gazetteer(svc.kernel.units)
        finally:
            svc.close()
    probes: list[tuple[str, np.ndarray, list[str], str | None, int | None]] = []
    for q in range(0, len(letters), 8):
        probes.append((letters[q], vec[q], toks[q], truth[q]["topic"], q))
    typed = [(q["text"], q["issue_type"]) for q in load_queries()] + [(t, None) for t in NONSENSE]
    tvec = query_vectors([dense_text(seg, t, seg.tokens(t)) for t, _ in typed])
    for (t, issue), v in zip(typed, tvec, strict=True):
        probes.append((t, v, seg.tokens(t), issue, None))
    rows = []  # (split, kind, relevant, terms, dense)
    for i, (text, v, qt, issue, own) in enumerate(probes):
        fused = product_rank(
            index.dense,
            index.bm25,
            v,
            qt,
            k=CASE_K,
            depth=settings.candidate_depth,
            method=settings.fusion,
            dense_weight=settings.dense_weight,
            exclude_id=own,
            extra=seg.expansion(text, qt, SYNONYM_WEIGHT),
            expand_short=True,
        )
        kind = "nonsense" if issue is None else ("letter" if own is not None else "short")
        for f in fused:
            terms = shown(set(qt) & set(toks[f.id]))
            label = truth[f.id]["topic" if kind == "letter" else "issue_type"]
            rows.append((i % 2, kind, label == issue, terms, f.dense))
    dense = [r[4] for r in rows if r[4] is not None]
    print(f"probes {len(probes)}, hits {len(rows)}; dense similarity of hits: median {np.median(dense):.3f}")
    for kind in ("letter", "short", "nonsense"):
        d = [r[4] for r in rows if r[1] == kind and r[4] is not None]
        rel = sum(r[2] for r in rows if r[1] == kind)
        spread = f"dense p10 {np.percentile(d, 10):.3f} median {np.median(d):.3f} max {max(d):.3f}"
        print(f"  {kind}: {len(d)} hits ({rel} relevant), {spread}")
    print(
        "| floor | dev precision kept | dev relevant marked low | dev non-relevant marked low "
        "| held-out precision kept | held-out relevant marked low | held-out non-relevant marked low "
        "| nonsense hits marked low |"
    )
    print("|---|---|---|---|---|---|---|---|")
    best: tuple[float, float] | None = None
    for floor in CASE_FLOORS:
        cells = []
        for split in (0, 1):
            part = [r for r in rows if r[0] == split and r[1] != "nonsense"]
            low = [below_floor(r[3], r[4], floor, places.is_place) for r in part]
            kept = [r for r, lo in zip(part, low, strict=True) if not lo]
            rel = [lo for r, lo in zip(part, low, strict=True) if r[2]]
            non = [lo for r, lo in zip(part, low, strict=True) if not r[2]]
            lost, caught = sum(rel) / max(1, len(rel)), sum(non) / max(1, len(non))
            cells += [f"{sum(r[2] for r in kept) / max(1, len(kept)):.3f}", f"{lost:.3f}", f"{caught:.3f}"]
            if split == 0:
                dev_j = caught - lost
        junk = [below_floor(r[3], r[4], floor, places.is_place) for r in rows if r[1] == "nonsense"]
        share = sum(junk) / max(1, len(junk))
        if share == 1.0 and (best is None or dev_j > best[1]):
            best = (floor, dev_j)
        print(f"| {floor} | " + " | ".join(cells) + f" | {share:.3f} |", flush=True)
    print(f"chosen on development (best Youden J with every nonsense hit low): {best}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", action="store_true", help="similar-case hits instead of model-case guidance")
    if parser.parse_args().cases:
        cases()
    else:
        main()
