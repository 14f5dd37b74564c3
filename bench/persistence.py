"""Single-case write latency at 100,000 cases: whole-index save per write (before) vs the journal (after).

    python -m bench.persistence                 # 100,000 cases, 512-d, 12 creates + 12 updates per mode
    python -m bench.persistence --n 20000 --writes 6

The encoder is not the subject: cases get synthetic unit vectors (512-d, the USE-m3 dimension) and
the service encodes new texts with the 512-bucket hashing encoder, so a write costs what Leian adds
around the encoder: segmentation, the SQLite transaction, the in-memory index update and the
persistence of the index. "Before" is the pre-journal behaviour, a whole-index save after every
write (``CaseIndex.compact``, which is what ``save`` was); "after" is the shipped path (one journal
record, ``save`` a no-op below the compaction threshold). Modes run in alternating blocks on the
same service. Also reported: the restart cost after a crash (rebuild from the stored vectors)
against a clean restart (snapshot + journal replay). Figures are ratios; seconds are context.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DIM = 512


def build(data_dir: Path, n: int, seed: int = 0) -> None:
    """``n`` cases with synthetic vectors written straight to SQLite (no segmentation, no encoding)."""
    from kb.indexer import CaseIndex
    from kb.schema import ALL_MIGRATIONS
    from kb.storage.cases import CaseRepository
    from kb.storage.db import Database

    db = Database(data_dir / "leian.db", migrations=ALL_MIGRATIONS)
    repo = CaseRepository(db)
    rng = np.random.default_rng(seed)
    words = ["拖欠", "工资", "物业", "维修", "征地", "补偿", "噪音", "污染", "学位", "退款", "安置", "医保"]
    chunk = 10_000
    for start in range(0, n, chunk):
        vecs = rng.standard_normal((min(chunk, n - start), DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        with db.transaction() as conn:
            rows = []
            for i, vec in enumerate(vecs):
                toks = " ".join(words[(start + i + j) % len(words)] for j in range(6))
                values = {
                    "title": f"案件{start + i}",
                    "content": toks.replace(" ", ""),
                    "received_date": "2025-01-01",
                    "content_hash": f"h{start + i}",
                    "tokens": toks,
                }
                case_id, _ = repo.upsert(conn, f"B-{start + i:07d}", values)
                rows.append((case_id, values["content_hash"], vec))
            repo.save_vectors(conn, f"hashing-{DIM}", rows)
            CaseIndex.bump_generation(conn)
    db.close()


def open_service(data_dir: Path, open_index: bool = True) -> Any:
    from bench.corpus import segmenter
    from indexing.encoders.hashing import HashingEncoder
    from kb.service import LeianService
    from kb.settings import Settings

    settings = Settings(data_dir=data_dir, petitioner_key="bench", threads=1, ingest_workers=1)
    return LeianService(settings, encoder=HashingEncoder(DIM), segmenter=segmenter(), open_index=open_index)


def case(i: int) -> Any:
    from kb.domain import CaseIn

    text = f"小区物业公司擅自上调物业费，电梯长期故障无人维修，业主多次投诉无果，第{i}次反映。"
    return CaseIn.model_validate({"external_no": f"W-{i:06d}", "content": text, "received_date": "2025-06-01"})


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def writes(svc: Any, first: int, count: int, full_save: bool) -> tuple[list[float], list[float]]:
    """``count`` creates then ``count`` text updates of them; (create seconds, update seconds)."""
    from kb.domain import CaseUpdate

    index = svc.index
    # "Before": every write ended in a whole-index save; that is what compact() does.
    index.save = index.compact if full_save else type(index).save.__get__(index)
    creates, ids = [], []
    for i in range(first, first + count):
        t0 = time.perf_counter()
        ids.append(svc.create_case(case(i)).id)
        creates.append(time.perf_counter() - t0)
    updates = []
    for j, case_id in enumerate(ids):
        update = CaseUpdate(content=f"夜间施工噪音扰民，打桩机凌晨还在作业，第{first + j}次反映。")
        updates.append(timed(lambda u=update, c=case_id: svc.update_case(c, u)))
    index.save = type(index).save.__get__(index)
    return creates, updates


def run(n: int, n_writes: int, rounds: int, data_dir: Path) -> str:
    t0 = time.perf_counter()
    build(data_dir, n)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    svc = open_service(data_dir)  # no index file yet: built from the stored vectors, then saved
    first_open = time.perf_counter() - t0
    index = svc.index
    kind = getattr(index.vectors, "kind", index.vectors.backend)
    snapshot_mb = index.settings.index_path.stat().st_size / 1e6
    samples: dict[str, dict[str, list[float]]] = {m: {"create": [], "update": []} for m in ("full", "journal")}
    per_block = max(1, n_writes // rounds)
    first = 0
    for _ in range(rounds):
        for mode in ("journal", "full"):
            c, u = writes(svc, first, per_block, full_save=mode == "full")
            samples[mode]["create"] += c
            samples[mode]["update"] += u
            first += per_block
    # The persistence step alone, on the same index: one journal record vs one whole save.
    from indexing.vectors import journal as journal_file

    vec = svc.encoder.encode([case(0).content])
    probe = index.journal_path.with_name(index.journal_path.name + ".probe")
    journal_file.create(probe, "probe")
    journal_s, full_s = [], []
    for i in range(per_block * rounds):
        journal_s.append(
            timed(lambda g=i: journal_file.append(probe, [journal_file.encode_record(1, g, np.array([g]), vec)]))
        )
        full_s.append(timed(index.compact))
    probe.unlink()
    encode_s = [timed(lambda: svc.encoder.encode([case(1).content])) for _ in range(50)]
    segment_s = [timed(lambda: svc.segmenter.tokens(case(1).content)) for _ in range(50)]
    # Journal grows by a few writes, then the restart costs: replay vs rebuild after a crash.
    for i in range(5):
        svc.create_case(case(900_000 + i))
    journal_kb = index.journal_path.stat().st_size / 1e3 if index.journal_path.exists() else 0.0
    svc.db.close()
    again = open_service(data_dir, open_index=False)
    clean_open = timed(again.index.open)
    assert not again.index.rebuilt_from_db, "a clean restart rebuilt the index"
    rebuild = timed(lambda: again.index.rebuild(save=False))
    again.db.close()

    med = statistics.median
    out = [
        f"## bench.persistence: n={n:,} cases, dim {DIM}, FAISS {kind}, snapshot {snapshot_mb:.1f} MB",
        f"(build {built:.0f} s, first open + rebuild + save {first_open:.1f} s; {len(samples['full']['create'])}"
        f" writes per kind and mode, medians)",
        "",
        "| single-case write | before: whole save, ms | after: journal, ms | after / before |",
        "|---|---:|---:|---:|",
    ]
    for kind_ in ("create", "update"):
        before, after = med(samples["full"][kind_]), med(samples["journal"][kind_])
        out.append(f"| {kind_} | {before * 1e3:.1f} | {after * 1e3:.1f} | {after / before:.4f} |")
    pb, pa = med(full_s), med(journal_s)
    out.append(f"| index persistence step alone | {pb * 1e3:.1f} | {pa * 1e3:.2f} | {pa / pb:.4f} |")
    after_create = med(samples["journal"]["create"])
    out += [
        "",
        f"hashing-{DIM} encoding of one text: {med(encode_s) * 1e3:.2f} ms; segmentation {med(segment_s) * 1e3:.2f} ms",
        f"create (after) / hashing encoding: {after_create / med(encode_s):.1f}x; "
        f"create (before) / create (after): {med(samples['full']['create']) / after_create:.1f}x",
        f"journal after 5 writes: {journal_kb:.1f} KB; restart (index only): snapshot + replay {clean_open:.2f} s, "
        f"rebuild from stored vectors (after a crash) {rebuild:.2f} s: rebuild / clean restart "
        f"{rebuild / clean_open:.2f}",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.persistence", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases in the index")
    parser.add_argument("--writes", type=int, default=12, help="creates (and as many updates) per mode")
    parser.add_argument("--rounds", type=int, default=2, help="alternating blocks per mode")
    parser.add_argument("--dir", type=Path, default=None, help="data directory (default: a temporary one)")
    args = parser.parse_args(argv)
    from bench.corpus import write_fragment

    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        if any(args.dir.iterdir()):
            parser.error(f"{args.dir} is not empty")
        report = run(args.n, args.writes, args.rounds, args.dir)
    else:
        with tempfile.TemporaryDirectory(prefix="leian-bench-persistence-") as tmp:
            report = run(args.n, args.writes, args.rounds, Path(tmp))
    print(report)
    write_fragment("persistence", report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
