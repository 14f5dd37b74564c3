"""The vector index contract, and the atomic, fingerprinted file format every backend saves to."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

FORMAT_VERSION = 1


class IndexMismatchError(ValueError):
    """The saved index was built differently from what the configuration asks for."""


class IndexCorruptError(ValueError):
    """The saved index file is unreadable or fails its checksum (e.g. a crash mid-save)."""


@runtime_checkable
class VectorIndex(Protocol):
    """Inner-product search over L2-normalised vectors keyed by int64 case ids."""

    backend: str
    dim: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert rows; an id that is already present is replaced."""
        ...

    def remove(self, ids: np.ndarray) -> None:
        """Drop rows; unknown ids are ignored."""
        ...

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids), both (m, k); missing slots hold score -inf and id -1.

        With ``allowed`` only those ids are eligible, and k hits come back whenever at least k
        allowed ids are indexed (filters never make results incomplete).
        """
        ...

    def ids(self) -> np.ndarray: ...

    def __len__(self) -> int: ...

    def to_bytes(self) -> bytes: ...


def as_ids(ids: Any) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def sorted_unique(ids: Any) -> np.ndarray:
    """``np.unique`` of an id list, in O(n) when it is already strictly ascending (allow-lists are)."""
    ids = as_ids(ids)
    if ids.shape[0] < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return ids
    return np.unique(ids)


# An allow-list becomes a bitmap over the id space (one bit per id up to its largest) when that costs
# at most this many bytes per allowed id; FAISS's hash-set selector (``IDSelectorBatch``) cost 15 ms
# to build for 80,000 ids, the bitmap 0.4 ms (docs/benchmarks.md "Filtered search at 100,000 cases").
BITMAP_BYTES_PER_ID = 8


def id_mask(allowed: np.ndarray) -> np.ndarray | None:
    """A boolean mask over ids ``0..max(allowed)`` marking the ``allowed`` ones (sorted, unique), or
    None when the ids are too sparse for one (or negative): then test membership by search."""
    if allowed.shape[0] == 0 or int(allowed[0]) < 0:
        return None
    top = int(allowed[-1])
    if top + 1 > 8 * BITMAP_BYTES_PER_ID * allowed.shape[0]:
        return None
    mask = np.zeros(top + 1, dtype=bool)
    mask[allowed] = True
    return mask


def as_matrix(vectors: Any, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.shape[1] != dim:
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, the index expects {dim}")
    return matrix


def save_index_file(path: Path, payload: bytes, meta: dict[str, Any]) -> None:
    """Write payload + meta to ``path`` atomically: a temp file in the same folder, fsync, rename.

    A crash leaves either the old file or the new one, never a mix; a checksum in the meta lets
    ``load_index_file`` detect any file that was damaged some other way.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "format": FORMAT_VERSION, "crc32": zlib.crc32(payload), "bytes": len(payload)}
    buffer = io.BytesIO()
    np.savez(
        buffer,
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        payload=np.frombuffer(payload, dtype=np.uint8),
    )
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getbuffer())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_index_meta(path: Path) -> dict[str, Any]:
    return load_index_file(path)[1]


def load_index_file(path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            payload = bytes(data["payload"])
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise IndexCorruptError(f"索引文件 {path} 无法读取：{exc}") from exc
    if meta.get("crc32") != zlib.crc32(payload) or meta.get("bytes") != len(payload):
        raise IndexCorruptError(f"索引文件 {path} 校验失败（可能写入时中断）")
    return payload, meta


def check_fingerprint(meta: dict[str, Any], expected: dict[str, Any], path: Path) -> None:
    """Raise IndexMismatchError naming the differing fields and the command that fixes it."""
    diffs = [f"{k}：保存时为 {meta.get(k)!r}，当前为 {v!r}" for k, v in expected.items() if meta.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            f"{path} 处的索引与当前配置不一致（{'；'.join(diffs)}）；请运行 `leian reindex` 从数据库重建"
        )
