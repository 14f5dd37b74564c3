"""Vector index backends: a contract, one module per backend, a registry, and atomic save/load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexing.vectors.base import (
    IndexCorruptError,
    IndexMismatchError,
    VectorIndex,
    bulk_load,
    check_fingerprint,
    load_index_file,
    read_index_meta,
    save_index_file,
)


def _exact(dim: int, options: dict[str, Any]) -> VectorIndex:
    from indexing.vectors.exact import ExactIndex

    return ExactIndex(dim)


def _faiss(dim: int, options: dict[str, Any]) -> VectorIndex:
    from indexing.vectors.faiss_index import FaissIndex

    return FaissIndex(dim, factory=options.get("factory", "auto"))


def _milvus(dim: int, options: dict[str, Any]) -> VectorIndex:
    from indexing.vectors.milvus_index import MilvusIndex

    if not options.get("uri"):
        raise ValueError("the 'milvus' index backend needs a uri (LEIAN_MILVUS_URI)")
    return MilvusIndex(
        dim,
        str(options["uri"]),
        options.get("collection") or "leian_cases",
        token=options.get("token"),
        index_type=options.get("index_type") or "FLAT",
        scalars=options.get("scalars") or (),
        partition_key=options.get("partition_key"),
    )


BACKENDS: dict[str, Callable[[int, dict[str, Any]], VectorIndex]] = {
    "exact": _exact,
    "faiss": _faiss,
    "milvus": _milvus,
}


def create_index(backend: str, dim: int, **options: Any) -> VectorIndex:
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown index backend '{backend}'; choose one of {sorted(BACKENDS)}") from None
    return factory(dim, options)


def save_index(index: VectorIndex, path: Path, fingerprint: dict[str, Any]) -> None:
    meta = {**fingerprint, "backend": index.backend, "dim": index.dim, "count": len(index)}
    meta.update({"factory": getattr(index, "factory", None)})
    # FAISS writes its serialisation into the file piece by piece (``to_bytes`` would hold all of it).
    write_to = getattr(index, "write_to", None)
    save_index_file(path, write_to if write_to is not None else index.to_bytes(), meta)


def load_index(path: Path, fingerprint: dict[str, Any], **options: Any) -> VectorIndex:
    """Load a saved index, checking encoder, dimension and backend against ``fingerprint``."""
    return load_index_with_meta(path, fingerprint, **options)[0]


def load_index_with_meta(path: Path, fingerprint: dict[str, Any], **options: Any) -> tuple[VectorIndex, dict[str, Any]]:
    """``load_index`` that also returns the saved meta (generation stamp, journal token, ...).

    For Milvus the file is a side record of the collection (uri, name, row count) stamped with the
    same fingerprint; ``options`` carry the configured ``uri``/``collection`` (a different location
    is a mismatch), the ``token`` (never saved) and the ``scalars``/``partition_key`` the collection
    must have (indexing/vectors/where.py). Other backends ignore ``options``.
    """
    meta = read_index_meta(path)
    check_fingerprint(meta, fingerprint, path)  # before any of the payload is read
    backend, dim = meta["backend"], int(meta["dim"])
    if backend == "faiss":
        from indexing.vectors.faiss_index import FaissIndex

        # Deserialised straight from the file (after its checksum pass): the payload is never held
        # in memory beside the index (it was twice before, ~1.1 GB transient at 1,000,000 cases).
        def read(meta: dict[str, Any], reader: Callable[[int], bytes]) -> FaissIndex:
            return FaissIndex.from_reader(reader, dim, factory=meta.get("factory") or "Flat")

        return load_index_file(path, check=lambda m: check_fingerprint(m, fingerprint, path), stream=read)
    payload, meta = load_index_file(path, check=lambda m: check_fingerprint(m, fingerprint, path))
    if backend == "exact":
        from indexing.vectors.exact import ExactIndex

        return ExactIndex.from_bytes(payload, dim), meta
    if backend == "milvus":
        from indexing.vectors.milvus_index import MilvusIndex

        index = MilvusIndex.from_bytes(
            payload,
            dim,
            token=options.get("token"),
            uri=options.get("uri"),
            collection=options.get("collection"),
            scalars=options.get("scalars"),
            partition_key=options.get("partition_key"),
        )
        return index, meta
    raise IndexMismatchError(f"{path} 处的索引使用未知后端 {backend!r}；请运行 `leian reindex` 从数据库重建")


__all__ = [
    "BACKENDS",
    "IndexCorruptError",
    "IndexMismatchError",
    "VectorIndex",
    "bulk_load",
    "create_index",
    "load_index",
    "load_index_with_meta",
    "save_index",
]
