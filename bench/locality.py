"""Locality from the text (issue 19): routing locality accuracy on the 2,400 sample cases, before
(the classifier alone) and after (a city the text names beats it, ``kb.units.gazetteer``).

    python -m bench.locality

The classifier is the evaluation's combined router (kNN over the product's ranking + linear model)
in 5-fold stratified cross-validation (seed 0) on the cached sample vectors (``bench.fusion``), the
case's ``city`` as the label; the gazetteer is built from the bundled unit catalog.
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.model_selection import StratifiedKFold

from bench.fusion import ROOT, cached, texts_of
from indexing.encoders.hashing import HashingEncoder
from kb.evaluation.engine import Engine
from kb.evaluation.routing import Router
from kb.settings import load_settings
from kb.units.catalog import UnitCatalog
from kb.units.gazetteer import Gazetteer
from kb.units.rows import bundled_rows


def main() -> None:
    engine = Engine(load_settings(), encoder=HashingEncoder())
    _, vec = cached("samples")
    texts = texts_of("samples")
    toks = engine.segment(texts)
    cities = [json.loads(line)["city"] for line in (ROOT / "data" / "samples" / "cases.jsonl").open(encoding="utf-8")]
    gaz = Gazetteer(UnitCatalog(r.unit for r in bundled_rows()))
    before = [""] * len(cities)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, cities):
        router = Router(engine).fit(
            vec[train], [toks[i] for i in train], [cities[i] for i in train], [texts[i] for i in train]
        )
        pred = router.predict_encoded(vec[test], [toks[i] for i in test], texts=[texts[i] for i in test])
        for i, p in zip(test, pred, strict=True):
            before[i] = p
    places = [gaz.city_in(t) for t in texts]
    after = [p.city if p is not None else b for p, b in zip(places, before, strict=True)]
    named = [i for i, p in enumerate(places) if p is not None]
    conflict = [i for i in named if before[i] != places[i].city]  # type: ignore[union-attr]
    acc = lambda pred, rows: float(np.mean([pred[i] == cities[i] for i in rows])) if rows else 0.0  # noqa: E731
    every = list(range(len(cities)))
    print("| cases | n | classifier | text place beats classifier |\n|---|---|---|---|")
    print(f"| all | {len(every)} | {acc(before, every):.3f} | {acc(after, every):.3f} |")
    print(f"| text names a place | {len(named)} | {acc(before, named):.3f} | {acc(after, named):.3f} |")
    print(f"| conflicts (marked) | {len(conflict)} | {acc(before, conflict):.3f} | {acc(after, conflict):.3f} |")


if __name__ == "__main__":
    main()
