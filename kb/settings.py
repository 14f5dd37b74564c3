"""Typed settings, the only place that reads the environment (built by a function, never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexing.encoders import usable_cores
from kb.errors import FieldProblem, InvalidInputError


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var/leian")
    encoder: str = "use-m3"
    encoder_model: str | None = None
    threads: int = field(default_factory=usable_cores)
    # Worker processes (one encoder thread each) for bulk encoding: imports and reindex; 1 = in-process.
    ingest_workers: int = field(default_factory=usable_cores)
    index_backend: str = "faiss"
    # "auto": exact Flat below indexing.vectors.choose.AUTO_THRESHOLD vectors, IVF-SQ8 above; or any
    # FAISS factory string (e.g. "HNSW32,SQ8"); for Milvus the index type (default FLAT).
    index_factory: str = "auto"
    # Milvus backend: a cluster URI ("http://host:19530") or a Milvus Lite file; None = data_dir/milvus.db.
    milvus_uri: str | None = None
    milvus_collection: str = "leian_cases"
    milvus_token: str | None = None
    # Linear score blend beat RRF on samples, duplicates and kNN routing (docs/quality.md, "Fusion").
    fusion: str = "linear"
    dense_weight: float = 0.5
    candidate_depth: int = 200
    userdicts: tuple[Path, ...] = ()
    stopwords: tuple[Path, ...] = ()
    # Keyed-hash secret for petitioner identities; no default outside the demo.
    petitioner_key: str | None = None
    max_text_chars: int = 20000
    # Largest HTTP request body accepted (413 above it); uploads are capped separately.
    max_body_bytes: int = 64 * 1024 * 1024

    @property
    def db_path(self) -> Path:
        return self.data_dir / "leian.db"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "vectors.index"

    def index_options(self) -> dict[str, object]:
        """Backend options for ``create_index`` / ``load_index``."""
        if self.index_backend == "faiss":
            return {"factory": self.index_factory}
        if self.index_backend == "milvus":
            return {
                "uri": self.milvus_uri or str(self.data_dir / "milvus.db"),
                "collection": self.milvus_collection,
                "token": self.milvus_token,
                "index_type": None if self.index_factory == "auto" else self.index_factory,
            }
        return {}

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _paths(value: str | None) -> tuple[Path, ...]:
    return tuple(Path(p) for p in (value or "").split(os.pathsep) if p)


def _number(env: Mapping[str, str], name: str, default: int | float) -> int | float:
    """``env[name]`` as the type of ``default``; a malformed value is an error naming the variable."""
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return type(default)(raw)
    except ValueError:
        kind = "整数" if isinstance(default, int) else "数值"
        raise InvalidInputError([FieldProblem(name, f"环境变量 {name} 应为{kind}，当前为 {raw!r}")]) from None


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from ``LEIAN_*`` variables, then apply keyword overrides."""
    env = os.environ if env is None else env
    base = Settings()
    values: dict[str, object] = {
        "data_dir": Path(env.get("LEIAN_DATA_DIR", str(base.data_dir))),
        "encoder": env.get("LEIAN_ENCODER", base.encoder),
        "encoder_model": env.get("LEIAN_ENCODER_MODEL") or None,
        "threads": _number(env, "LEIAN_THREADS", base.threads),
        "ingest_workers": max(1, _number(env, "LEIAN_INGEST_WORKERS", base.ingest_workers)),
        "index_backend": env.get("LEIAN_INDEX_BACKEND", base.index_backend),
        "index_factory": env.get("LEIAN_INDEX_FACTORY", base.index_factory),
        "milvus_uri": env.get("LEIAN_MILVUS_URI") or None,
        "milvus_collection": env.get("LEIAN_MILVUS_COLLECTION", base.milvus_collection),
        "milvus_token": env.get("LEIAN_MILVUS_TOKEN") or None,
        "fusion": env.get("LEIAN_FUSION", base.fusion),
        "dense_weight": _number(env, "LEIAN_DENSE_WEIGHT", base.dense_weight),
        "candidate_depth": _number(env, "LEIAN_CANDIDATE_DEPTH", base.candidate_depth),
        "userdicts": _paths(env.get("LEIAN_USERDICTS")),
        "stopwords": _paths(env.get("LEIAN_STOPWORDS")),
        "petitioner_key": env.get("LEIAN_PETITIONER_KEY") or None,
        "max_body_bytes": _number(env, "LEIAN_MAX_BODY_BYTES", base.max_body_bytes),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
