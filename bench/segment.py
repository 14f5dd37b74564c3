"""jieba vs rjieba (jieba-rs) through ``indexing.segment.Segmenter``: the same tokens? how much faster?

    python -m bench.segment            # bundled samples + ../shared/eval texts (LEIAN_EVAL_DIR)

Both segmenters load the bundled user dictionary and petition stopwords; the check compares the raw
cut (``Segmenter.cut``) and the index tokens (``Segmenter.tokens``) of every text. Timings are of
``tokens`` (normalisation included, its cache emptied before each run) over all texts, one after
the other, with the load beside them.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

from indexing.segment import Segmenter
from indexing.text import normalize

REPO = Path(__file__).resolve().parents[1]


def texts() -> list[str]:
    rows = [json.loads(x) for x in (REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines()]
    out = [f"{r['title']}。{r['content']}" if r.get("title") else r["content"] for r in rows]
    shared = Path(os.environ.get("LEIAN_EVAL_DIR") or REPO.parent / "shared" / "eval")
    for name in ("gov_messages_unlabeled.jsonl.gz", "gov_messages_labeled.jsonl.gz"):
        path = shared / name
        if path.exists():
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                out += [json.loads(line)["text"] for line in fh]
    return out


def main() -> None:
    corpus = texts()
    py, rs = Segmenter(backend="jieba"), Segmenter(backend="rjieba")
    py.tokens("预热"), rs.tokens("预热")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    normalize.cache_clear()  # both runs pay the (shared) normalisation
    t = time.perf_counter()
    a = [py.tokens(x) for x in corpus]
    t_py = time.perf_counter() - t
    normalize.cache_clear()
    t = time.perf_counter()
    b = [rs.tokens(x) for x in corpus]
    t_rs = time.perf_counter() - t
    same_tokens = sum(x == y for x, y in zip(a, b, strict=True))
    same_cut = sum(py.cut(x) == rs.cut(x) for x in corpus)
    print(
        f"{len(corpus):,} texts (mean {sum(map(len, corpus)) / len(corpus):.0f} chars); load {load} before, "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} after"
    )
    print("| segmenter | texts/s | vs jieba | identical token sequences | identical raw cuts |")
    print("|---|---|---|---|---|")
    print(f"| jieba (reference) | {len(corpus) / t_py:.0f} | 1.00 | – | – |")
    print(f"| rjieba | {len(corpus) / t_rs:.0f} | **{t_py / t_rs:.1f}×** | {same_tokens:,} / {len(corpus):,} "
          f"| {same_cut:,} / {len(corpus):,} |")  # fmt: skip


if __name__ == "__main__":
    main()
