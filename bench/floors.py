"""Relevance floors for model-case guidance (issue 19): choose ``DENSE_FLOOR`` on a development split
of the sample letters and report it on a held-out split, through the product's look-up.

    python -m bench.floors            # USE-m3; a few minutes (encodes the probes)

A service holds the 32 sample model cases (no stored cases, so no category guess or boost). Probes:
the sample letters whose issue type has a model case, plus the short colloquial queries
(tests/fixtures/short_queries.jsonl); even positions are development, odd ones held out. Each probe's
top 3 hits are labelled relevant when the model case's category is the probe's issue type. For each
floor: precision of the hits kept above the floor, and the share of relevant hits wrongly marked low.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

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


if __name__ == "__main__":
    main()
