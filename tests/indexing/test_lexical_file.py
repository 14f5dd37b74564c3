"""The persisted BM25 index: equal to the earlier implementation to the last bit, through adds,
removes, compactions, a save and a memory-mapped load; stale or damaged files are refused."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexing.lexical import BM25Index, LexicalFileError
from tests.indexing.reference_bm25 import ReferenceBM25

VOCAB = [f"词{i}" for i in range(300)]


def corpus(rng: random.Random, n: int, start: int = 0) -> dict[int, list[str]]:
    # Zipf-like: a few terms in most documents, most terms rare (as in petitions).
    weights = [1.0 / (i + 1) for i in range(len(VOCAB))]
    return {start + i: rng.choices(VOCAB, weights=weights, k=rng.randint(3, 60)) for i in range(n)}


def queries(rng: random.Random) -> list[tuple[list[str], dict[str, float]]]:
    out: list[tuple[list[str], dict[str, float]]] = [(["词0"], {}), (["词299", "未登录"], {})]
    for _ in range(25):
        toks = rng.choices(VOCAB[:150], k=rng.randint(1, 12))
        extra = {t: 0.3 for t in rng.sample(VOCAB, 3)} if rng.random() < 0.5 else {}
        out.append((toks, extra))
    return out


def assert_same(ours: BM25Index, ref: ReferenceBM25, rng: random.Random, allowed: np.ndarray | None = None) -> None:
    assert len(ours) == len(ref)
    for toks, extra in queries(rng):
        a_ids, a_scores = ours.top_k(toks, 30, allowed, extra)
        b_ids, b_scores = ref.top_k(toks, 30, allowed, extra)
        assert a_ids.tolist() == b_ids.tolist()
        assert a_scores.tolist() == b_scores.tolist()  # bit for bit
        assert ours.feedback_terms(a_ids[:5].tolist(), 8) == ref.feedback_terms(b_ids[:5].tolist(), 8)
    for term in ("词0", "词7", "词250", "未登录"):
        assert ours.idf(term) == ref.idf(term)


def apply(ops: list[tuple[str, int, list[str]]], *indexes: BM25Index | ReferenceBM25) -> None:
    for op, doc_id, toks in ops:
        for index in indexes:
            if op == "add":
                index.add(doc_id, toks)
            else:
                index.remove([doc_id])


def churn(rng: random.Random, ids: list[int], next_id: int) -> list[tuple[str, int, list[str]]]:
    ops: list[tuple[str, int, list[str]]] = []
    for doc_id in rng.sample(ids, 40):
        ops.append(("remove", doc_id, []))
    for doc_id in rng.sample(ids, 30):  # replacements, some of removed ids (re-created)
        ops.append(("add", doc_id, rng.choices(VOCAB, k=rng.randint(2, 30))))
    for doc_id, toks in corpus(rng, 50, next_id).items():
        ops.append(("add", doc_id, toks))
    # Ids below the main segment's largest, so a compaction must interleave.
    for doc_id, toks in corpus(rng, 10, -20).items():
        ops.append(("add", doc_id, toks))
    return ops


def test_equal_to_the_reference_through_updates_save_and_load(tmp_path: Path) -> None:
    rng = random.Random(20)
    docs = corpus(rng, 800)
    ours, ref = BM25Index(compact_ratio=0.05), ReferenceBM25(compact_ratio=0.05)
    ours.add_many(docs.items())
    ref.add_many(docs.items())
    assert_same(ours, ref, random.Random(1))
    apply(churn(rng, list(docs), 1000), ours, ref)
    assert_same(ours, ref, random.Random(2))
    allowed = np.array(sorted(rng.sample(range(-20, 1050), 300)), dtype=np.int64)
    assert_same(ours, ref, random.Random(3), allowed)

    path = tmp_path / "vectors.index.bm25"
    ours.save(path, {"journal": "abc"})
    assert ours.mapped
    loaded, meta = BM25Index.load(path, compact_ratio=0.05)
    assert meta == {"journal": "abc"} and loaded.mapped
    assert_same(loaded, ref, random.Random(4))
    assert_same(ours, ref, random.Random(4))
    # Updates after a load: tombstones in the mapped segment, a delta in memory, then compaction.
    ops = churn(rng, [d for d in range(1050) if d in loaded], 2000)
    apply(ops, loaded, ref)
    assert_same(loaded, ref, random.Random(5), allowed)
    loaded.compact()
    assert not loaded.mapped
    assert_same(loaded, ref, random.Random(6))
    loaded.save(path)
    again, meta = BM25Index.load(path, compact_ratio=0.05)
    assert meta == {}
    assert_same(again, ref, random.Random(7), allowed)


def test_a_failed_compaction_keeps_the_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    # The delta's per-document arrays are released before the inversion (memory); a fold that
    # fails there puts them back, so the index still answers as before and compacts later.
    import indexing.lexical as lexical

    rng = random.Random(30)
    docs = corpus(rng, 300)
    ours, ref = BM25Index(compact_ratio=0.05), ReferenceBM25(compact_ratio=0.05)
    ours.add_many(docs.items())
    ref.add_many(docs.items())
    ours.compact()
    apply(churn(rng, list(docs), 400), ours, ref)
    build = lexical._Segment.from_forward

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("模拟内存不足")

    monkeypatch.setattr(lexical._Segment, "from_forward", fail)
    delta = len(ours._delta_docs)
    with pytest.raises(MemoryError):
        ours.compact()
    assert delta > 0 and len(ours._delta_docs) == delta
    monkeypatch.setattr(lexical._Segment, "from_forward", build)
    assert_same(ours, ref, random.Random(8))
    ours.compact()
    assert not ours._delta_docs
    assert_same(ours, ref, random.Random(9))


def test_empty_index_saves_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "empty.bm25"
    BM25Index().save(path)
    loaded, _ = BM25Index.load(path)
    assert len(loaded) == 0 and loaded.top_k(["拖欠"], 5)[0].shape == (0,)
    loaded.add(3, ["拖欠", "工资"])
    assert loaded.top_k(["拖欠"], 5)[0].tolist() == [3]


def test_stale_or_damaged_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.bm25"
    index = BM25Index()
    index.add_many(corpus(random.Random(3), 50).items())
    index.save(path)
    with pytest.raises(LexicalFileError):
        BM25Index.load(path, k1=1.5)
    raw = bytearray(path.read_bytes())
    header_end = raw.index(b"}", 16)
    bad = tmp_path / "bad.bm25"
    bad.write_bytes(bytes(raw).replace(b'"format": 1', b'"format": 9', 1))
    with pytest.raises(LexicalFileError, match="格式版本"):
        BM25Index.load(bad)
    raw[header_end + 70] ^= 0xFF  # inside the vocabulary
    bad.write_bytes(bytes(raw))
    with pytest.raises(LexicalFileError):
        BM25Index.load(bad)
    bad.write_bytes(b"not an index")
    with pytest.raises(LexicalFileError):
        BM25Index.load(bad)


def test_bulk_build_equals_the_reference() -> None:
    rng = random.Random(9)
    docs = corpus(rng, 600)
    items = sorted(docs.items(), key=lambda kv: (kv[0] * 7919) % 601)  # not in id order
    built, ref = BM25Index.build(items), ReferenceBM25()
    ref.add_many(items)
    assert_same(built, ref, random.Random(10))
    apply(churn(rng, list(docs), 700), built, ref)
    assert_same(built, ref, random.Random(11))
    assert len(BM25Index.build([])) == 0
