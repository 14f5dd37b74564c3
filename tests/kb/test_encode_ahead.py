"""Issue 20, item 2: an import encodes its first part while the file is still validated
(``kb.cases.encode_ahead``), with exactly the vectors of encoding after validation."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import kb.cases.service as case_service
import kb.cases.stage_store as stage_store
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.cases.encode_ahead import EncodeAhead
from kb.errors import InvalidInputError
from kb.service import LeianService
from tests.conftest import make_settings


class BatchSensitive(HashingEncoder):
    """The hashing encoder with a trace of its batch (as int8 activation scales are): a vector
    tells which batch it was encoded in. Records the thread of each call."""

    def __init__(self) -> None:
        super().__init__(64)
        self.threads: list[str] = []
        self.batches: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        self.batches.append(len(texts))
        out = np.asarray(super().encode(texts), dtype=np.float32).copy()
        out[:, 0] += len(texts) / 1000 + len(texts[0]) / 10000
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _vectors(svc: LeianService) -> dict[str, np.ndarray]:
    ids = {r["id"]: r["external_no"] for r in svc.db.query("SELECT id, external_no FROM cases")}
    found = svc.cases.vectors_for(svc.encoder.name, list(ids))
    return {ids[i]: np.asarray(v) for i, v in found.items()}


def _import(tmp: Path, rows: list[tuple[int, dict]], segmenter: Segmenter, ahead: bool) -> dict[str, np.ndarray]:
    encoder = BatchSensitive()
    svc = LeianService(make_settings(tmp), encoder=encoder, segmenter=segmenter)
    report = svc.ingest(rows, batch_size=100)
    assert report.created == len(rows)
    assert ("leian-encode-ahead" in encoder.threads) == ahead
    vectors = _vectors(svc)
    svc.close()
    return vectors


@pytest.mark.parametrize("chunk", [4096, 250])
def test_vectors_equal_those_encoded_after_validation(
    tmp_path: Path,
    sample_rows: list[tuple[int, dict]],
    segmenter: Segmenter,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
) -> None:
    rows = sample_rows[:600]
    monkeypatch.setattr(case_service, "IMPORT_CHUNK", chunk)
    if chunk < stage_store.MEMO:  # a multi-part import reads its rows back from the scratch store
        monkeypatch.setattr(stage_store, "MEMO", chunk)
    ahead = _import(tmp_path / "ahead", rows, segmenter, ahead=True)
    # The path before: nothing is encoded until the whole file is validated.
    monkeypatch.setattr(case_service, "EncodeAhead", lambda enc, limit, size: EncodeAhead(enc, 0, size))
    after = _import(tmp_path / "after", rows, segmenter, ahead=False)
    assert ahead.keys() == after.keys()
    for key, vec in after.items():
        np.testing.assert_array_equal(ahead[key], vec)


def test_a_reimport_encodes_only_changed_texts_ahead(
    tmp_path: Path, sample_rows: list[tuple[int, dict]], segmenter: Segmenter
) -> None:
    rows = sample_rows[:300]
    encoder = BatchSensitive()
    svc = LeianService(make_settings(tmp_path), encoder=encoder, segmenter=segmenter)
    svc.ingest(rows)
    edited = [(n, dict(r, content=r["content"] + "再次反映") if n % 2 else r) for n, r in rows]
    encoder.batches.clear()
    report = svc.ingest(edited)
    assert sum(encoder.batches) == sum(1 for n, _ in rows if n % 2)
    assert report.reembedded == sum(encoder.batches) and report.unchanged == len(rows) - report.reembedded
    svc.close()


def test_an_invalid_file_stops_the_encoding_and_writes_nothing(
    tmp_path: Path, sample_rows: list[tuple[int, dict]], segmenter: Segmenter
) -> None:
    rows = [(n, dict(r)) for n, r in sample_rows[:900]]
    rows[850][1]["received_date"] = "2026-13-45"
    encoder = BatchSensitive()
    svc = LeianService(make_settings(tmp_path), encoder=encoder, segmenter=segmenter)
    with pytest.raises(InvalidInputError) as err:
        svc.ingest(rows, batch_size=64)
    assert err.value.problems[0].row == rows[850][0]
    assert svc.db.query_one("SELECT COUNT(*) FROM cases")[0] == 0
    assert not [t for t in threading.enumerate() if t.name == "leian-encode-ahead"]
    # Feeding stops at the first problem: at most the rows validated before it were encoded.
    assert sum(encoder.batches) <= 850
    svc.close()


def test_encode_ahead_returns_nothing_for_other_rows() -> None:
    encoder = HashingEncoder(16)
    ahead = EncodeAhead(encoder, limit=10, batch_size=4)
    ahead.feed([(0, "甲"), (1, "乙"), (2, "丙"), (12, "丁")])  # seq 12 is beyond the limit
    ahead.end()
    assert ahead.take([(0, "甲"), (1, "乙"), (2, "戊")]) is None  # another text: encoded by the caller
    ahead = EncodeAhead(encoder, limit=10, batch_size=2)
    ahead.feed([(0, "甲"), (1, "乙"), (2, "丙")])
    ahead.end()
    seen: list[int] = []
    got = ahead.take([(0, "甲"), (1, "乙"), (2, "丙")], seen.append)
    assert got is not None and seen == [2, 1]
    np.testing.assert_array_equal(got, np.vstack([encoder.encode(["甲", "乙"]), encoder.encode(["丙"])]))


def test_slices_wait_for_a_full_batch_until_validation_ends() -> None:
    """The thread encodes ``batch_size`` rows at a time (as the path after validation does) however
    the rows trickle in; only the last slice is shorter."""
    encoder = BatchSensitive()
    ahead = EncodeAhead(encoder, limit=100, batch_size=2)
    ahead.feed([(0, "甲"), (1, "乙"), (2, "丙")])
    deadline = threading.Event()
    deadline.wait(0.3)  # the thread has long taken what it may
    ahead.feed([(3, "丁"), (4, "戊")])
    ahead.end()
    got = ahead.take([(0, "甲"), (1, "乙"), (2, "丙"), (3, "丁"), (4, "戊")])
    assert encoder.batches == [2, 2, 1]
    assert got is not None and got.shape == (5, 64)
