"""What a data directory's saved index files answer, to compare two builds of them (``leian reindex``
by two versions of the code): the top-10 ids and scores of 300 stored vectors through the saved
vector index, and the crc32 of every array of the saved BM25 file.

    python -m bench.index_fingerprint DIR OUT.npz            # after one build
    python -m bench.index_fingerprint DIR OUT2.npz --against OUT.npz
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import zlib
from pathlib import Path

import numpy as np

from indexing.lexical import BM25Index
from indexing.vectors import load_index_with_meta, read_index_meta


def fingerprint(data_dir: Path) -> dict[str, np.ndarray]:
    meta = read_index_meta(data_dir / "vectors.index")
    index, _ = load_index_with_meta(data_dir / "vectors.index", {k: meta[k] for k in ("encoder", "dim", "backend")})
    with sqlite3.connect(data_dir / "leian.db") as con:
        rows = con.execute("SELECT vector FROM case_vectors ORDER BY case_id LIMIT 300 OFFSET 1000").fetchall()
    queries = np.vstack([np.frombuffer(r[0], dtype=np.float32) for r in rows])
    scores, ids = index.search(queries, 10)
    lexical, _ = BM25Index.load(data_dir / "vectors.index.bm25")
    assert lexical._main is not None
    crcs = {name: zlib.crc32(np.ascontiguousarray(a).data) for name, a in lexical._main.arrays().items()}
    return {"ids": ids, "scores": scores, "n": np.array(len(index)), "crcs": np.array(json.dumps(crcs))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--against", type=Path, help="an earlier fingerprint to compare with")
    args = ap.parse_args(argv)
    got = fingerprint(args.data_dir)
    np.savez(args.out, **got)  # type: ignore[arg-type]
    print(f"{int(got['n']):,} vectors; BM25 arrays {got['crcs']!s}")
    if args.against is None:
        return 0
    with np.load(args.against) as old:
        same = {key: bool(np.array_equal(old[key], got[key])) for key in ("ids", "scores", "n", "crcs")}
    print("same as", args.against, same)
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
