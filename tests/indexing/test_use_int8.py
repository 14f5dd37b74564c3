"""The int8 USE encoder gives the reference encoder's vectors (issue 20, item 1)."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from indexing.encoders import create_encoder

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "cases.jsonl"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with SAMPLES.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in islice(f, 120)]
    # Demo letters, a short query, an empty string and one text longer than the cut.
    return [r["title"] + "。" + r["content"] for r in rows] + ["欠薪", "", "拖欠工资" * 300]


def test_int8_vectors_are_within_cosine_0995_of_the_reference(texts: list[str]) -> None:
    reference = create_encoder("use-m3", threads=1).encode(texts)
    fast = create_encoder("use-m3-int8", threads=1).encode(texts)
    assert fast.shape == reference.shape == (len(texts), 512)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosine = (fast * reference).sum(axis=1)
    assert cosine.min() >= 0.995, cosine.min()
    # Activations are quantized per batch, so a text alone differs only in the last digits.
    alone = create_encoder("use-m3-int8", threads=1).encode(texts[5:6])
    assert float(alone[0] @ fast[5]) > 0.999


def test_int8_ranks_neighbours_as_the_reference_does(texts: list[str]) -> None:
    reference = create_encoder("use-m3", threads=1).encode(texts[:120])
    fast = create_encoder("use-m3-int8", threads=1).encode(texts[:120])
    ref_top = np.argsort(-(reference @ reference.T), axis=1)[:, 1:6]
    fast_top = np.argsort(-(fast @ fast.T), axis=1)[:, 1:6]
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(ref_top, fast_top, strict=True)])
    assert overlap >= 0.9, overlap


def test_the_quantized_model_is_cached_and_a_damaged_file_rebuilt(
    texts: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The int8 model is built once and kept in a file named by what it is derived from; the
    cached model gives the same vectors bit for bit, and a damaged file is built again."""
    monkeypatch.setenv("LEIAN_MODEL_CACHE", str(tmp_path / "cache"))
    first = create_encoder("use-m3-int8", threads=1)
    path = first.model_file  # type: ignore[attr-defined]
    assert path is not None and path.parent == tmp_path / "cache" and path.stat().st_size > 1_000_000
    built = first.encode(texts[:20])
    cached = create_encoder("use-m3-int8", threads=1)
    assert cached.model_file == path  # type: ignore[attr-defined]
    np.testing.assert_array_equal(cached.encode(texts[:20]), built)
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    again = create_encoder("use-m3-int8", threads=1)
    np.testing.assert_array_equal(again.encode(texts[:20]), built)
    assert path.stat().st_size > 1_000_000  # replaced by a good file
    monkeypatch.setenv("LEIAN_MODEL_CACHE", "off")
    assert create_encoder("use-m3-int8", threads=1).model_file is None  # type: ignore[attr-defined]
