"""``CaseIndex.rebuild`` reads the stored vectors a page at a time and answers as before.

The reference is the rebuild as it was: every fresh stored vector read by one query and given to
one ``add`` of a new index. Runs on PostgreSQL too (``--db=postgres``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexing.encoders.hashing import HashingEncoder
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.vectors import VectorIndex, create_index
from kb.domain import CaseIn, CaseUpdate
from kb.indexer import CaseIndex
from kb.service import LeianService
from kb.storage.cases import CaseRepository
from tests.conftest import make_settings
from tests.helpers import ROWS

OLD_SQL = (
    "SELECT c.id, v.vector, v.content_hash = c.content_hash AS fresh FROM cases c "
    "LEFT JOIN case_vectors v ON v.case_id = c.id AND v.encoder = ? ORDER BY c.id"
)


def many_rows(n: int) -> list[tuple[int, dict[str, object]]]:
    out = []
    for i in range(n):
        row = dict(ROWS[i % len(ROWS)])
        row["external_no"] = f"P-{i:04d}"
        row["content"] = f"{row['content']}（第{i}次反映，{'噪音' if i % 3 else '工资'}问题仍未解决）"
        out.append((i + 1, row))
    return out


def reference_index(service: LeianService) -> VectorIndex:
    dim = service.encoder.dim
    rows = service.db.query(OLD_SQL, (service.encoder.name,))
    good = [r for r in rows if r["vector"] is not None and r["fresh"] and len(r["vector"]) == dim * 4]
    index = create_index(service.settings.index_backend, dim, **service.settings.index_options())
    index.add(
        np.asarray([r["id"] for r in good], dtype=np.int64),
        np.vstack([np.frombuffer(bytes(r["vector"]), dtype=np.float32) for r in good]),
    )
    return index


@pytest.mark.parametrize(
    ("backend", "factory"), [("faiss", "auto"), ("faiss", "IVF4,SQ8"), ("faiss", "IVF8,Flat"), ("exact", "auto")]
)
def test_a_paged_rebuild_answers_as_one_read_of_every_vector(
    tmp_path: Path, segmenter: Segmenter, monkeypatch: pytest.MonkeyPatch, backend: str, factory: str
) -> None:
    settings = make_settings(tmp_path, index_backend=backend, index_factory=factory)
    service = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    try:
        service.ingest(many_rows(90))
        # One case loses its vector (re-encoded by the rebuild), one has a vector of another size
        # (left out until re-encoded), as the stored data can be.
        ids = sorted(service.index.vectors.ids().tolist())
        with service.db.transaction() as conn:
            conn.execute("DELETE FROM case_vectors WHERE case_id = ?", (ids[5],))
            conn.execute("UPDATE case_vectors SET vector = ? WHERE case_id = ?", (b"\0" * 12, ids[6]))
        lexical_before = {q: service.index.lexical.top_k(q.split(), 10) for q in ("拖欠 工资", "噪音 扰民 施工")}
        monkeypatch.setattr(CaseIndex, "PAGE", 7)  # many pages, and a sample read in parts
        assert service.index.rebuild(save=True, encode=False) == 88
        reference = reference_index(service)
        got = service.index.vectors
        assert np.array_equal(np.sort(got.ids()), np.sort(reference.ids()))
        assert ids[5] not in got.ids() and ids[6] not in got.ids()
        queries = HashingEncoder().encode(["包工头拖欠工资", "夜间施工噪音扰民", "物业乱收费"])
        for allowed in (None, np.asarray(ids[::4], dtype=np.int64)):
            for have, want in zip(
                got.search(queries, 10, allowed), reference.search(queries, 10, allowed), strict=True
            ):
                assert np.array_equal(have, want)
        # The lexical index rebuilt from token pages answers as the one the imports built.
        for q, before in lexical_before.items():
            found = service.index.lexical.top_k(q.split(), 10)
            assert found[0].tolist() == before[0].tolist() and np.array_equal(found[1], before[1])
        # The encoding rebuild stores the missing vector and indexes it; the files load again.
        assert service.index.rebuild(save=True) == 90
        assert len(reference_index(service)) == 90
        hits = [h.case.id for h in service.search(text="包工头拖欠工资", k=5, mode="dense")]
    finally:
        service.close()
    reopened = LeianService(settings, encoder=HashingEncoder(), segmenter=segmenter)
    try:
        assert len(reopened.index.vectors) == 90 and not reopened.index.rebuilt_from_db
        assert [h.case.id for h in reopened.search(text="包工头拖欠工资", k=5, mode="dense")] == hits
    finally:
        reopened.close()


def test_vector_pages_are_the_fresh_rows_of_one_read(service: LeianService) -> None:
    service.ingest(many_rows(30))
    name, dim = service.encoder.name, service.encoder.dim
    ids = sorted(service.index.vectors.ids().tolist())
    with service.db.transaction() as conn:
        conn.execute("UPDATE cases SET content_hash = 'changed' WHERE id = ?", (ids[2],))
        conn.execute("DELETE FROM case_vectors WHERE case_id = ?", (ids[9],))
    fresh, stale = service.cases.vector_states(name, dim, page=4)
    assert stale == [ids[2], ids[9]]
    pages = list(service.cases.vector_pages(name, dim, fresh, page=4))
    assert max(p[0].shape[0] for p in pages) == 4
    paged_ids = np.concatenate([p[0] for p in pages])
    assert np.array_equal(paged_ids, fresh) and fresh.tolist() == [i for i in ids if i not in (ids[2], ids[9])]
    stored = service.cases.vectors_for(name, fresh.tolist())
    assert np.array_equal(np.vstack([p[1] for p in pages]), np.vstack([stored[i] for i in fresh.tolist()]))
    all_ids, matrix, all_stale = service.cases.load_vectors(name, dim)
    assert np.array_equal(all_ids, fresh) and matrix.shape == (28, dim) and all_stale == stale


def test_writes_between_the_pages_are_replayed_onto_the_rebuilt_index(
    service: LeianService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.ingest(many_rows(40))
    ids = sorted(service.index.vectors.ids().tolist())
    pages = type(service.cases).vector_pages
    done: list[int] = []

    def writing_pages(self: CaseRepository, *args: Any, **kwargs: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for n, page in enumerate(pages(self, *args, **kwargs)):
            yield page
            if n == 1:  # pages 0 and 1 are in the new index; the rest is still to be read
                new = CaseIn.model_validate(
                    {"external_no": "NEW-1", "content": "夜间施工噪音扰民", "received_date": "2025-06-01"}
                )
                done.append(service.create_case(new).id)
                service.update_case(ids[0], CaseUpdate(content="小区电梯长期故障，物业拒不维修。"))
                service.delete_case(ids[-1])

    monkeypatch.setattr(type(service.cases), "vector_pages", writing_pages)
    monkeypatch.setattr(CaseIndex, "PAGE", 5)
    service.index.rebuild(save=False)
    assert done
    got = service.index.vectors
    reference = reference_index(service)  # what the database now holds, read at once
    assert np.array_equal(np.sort(got.ids()), np.sort(reference.ids()))
    assert ids[-1] not in got.ids() and done[0] in got.ids()
    queries = HashingEncoder().encode(["小区电梯长期故障", "夜间施工噪音扰民", "包工头拖欠工资"])
    for have, want in zip(got.search(queries, 10), reference.search(queries, 10), strict=True):
        assert np.array_equal(have, want)
    fresh = BM25Index.build(service.cases.all_tokens())
    for q in ("电梯 故障 物业", "噪音 施工", "拖欠 工资"):
        found, expected = service.index.lexical.top_k(q.split(), 10), fresh.top_k(q.split(), 10)
        assert found[0].tolist() == expected[0].tolist() and np.array_equal(found[1], expected[1])
