"""The vector index contract, and the atomic, fingerprinted file format every backend saves to."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar, runtime_checkable

import numpy as np

FORMAT_VERSION = 1
T = TypeVar("T")
# One page of a bulk load: (ids, vectors), as ``bulk_load`` takes them.
Batch = tuple[np.ndarray, np.ndarray]


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


def bulk_load(index: VectorIndex, n: int, sample: Callable[[np.ndarray], np.ndarray], pages: Iterable[Batch]) -> None:
    """Fill the empty ``index`` with ``pages`` of (ids, vectors), about ``n`` vectors in all with
    ids ascending and unique across pages, holding no more than a page beside the index.

    ``sample(rows)`` returns the vectors at those positions (ascending) of the ``n``: an index that
    trains (FAISS IVF, codes) trains on exactly the rows one ``add`` of all of them would have
    taken, so the result is the same index. A backend without its own ``bulk_load`` (Milvus) gets
    one ``add`` per page."""
    own = getattr(index, "bulk_load", None)
    if own is not None:
        own(n, sample, pages)
        return
    for ids, vectors in pages:
        index.add(ids, vectors)


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


# Writes an index's serialisation through the function it is given, piece by piece.
PayloadWriter = Callable[[Callable[[bytes], object]], None]


def save_index_file(
    path: Path, payload: bytes | bytearray | memoryview | np.ndarray | PayloadWriter, meta: dict[str, Any]
) -> None:
    """Write payload + meta to ``path`` atomically: a temp file in the same folder, fsync, rename.

    A crash leaves either the old file or the new one, never a mix; a checksum in the meta lets
    ``load_index_file`` detect any file that was damaged some other way. ``payload`` is any
    bytes-like buffer, streamed into the file without a copy, or a ``PayloadWriter``: a function
    that writes the serialisation in pieces through the function it is given (FAISS's
    ``write_index`` into a callback writer), so the serialisation is never held in memory — it was
    a transient copy of the whole index at every snapshot, 540 MB at 1,000,000 cases. The writer
    is called twice: once to checksum and measure the payload (the meta, written first, holds
    both), once to write it; a payload that differs between the two calls is refused.
    """
    if callable(payload):
        _save_streamed(Path(path), payload, meta)
        return
    view = np.frombuffer(payload, dtype=np.uint8)  # a view, not a copy
    meta = {**meta, "format": FORMAT_VERSION, "crc32": zlib.crc32(view.data), "bytes": int(view.nbytes)}

    def write(fh: IO[bytes]) -> None:
        # The same npz np.savez writes (uncompressed members ``meta`` and ``payload``), written
        # straight into the file: np.savez into a BytesIO held a second copy of the payload.
        np.savez(fh, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8), payload=view)

    _atomic_write(Path(path), write)


def _save_streamed(path: Path, produce: PayloadWriter, meta: dict[str, Any]) -> None:
    first = _Sum()
    produce(first.add)
    meta = {**meta, "format": FORMAT_VERSION, "crc32": first.crc, "bytes": first.size}

    def write(fh: IO[bytes]) -> None:
        # The layout np.savez writes: a stored (uncompressed) zip of meta.npy and payload.npy,
        # the payload a 1-d uint8 array whose .npy header precedes its bytes.
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            with archive.open("meta.npy", "w") as member:
                meta_bytes = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
                np.lib.format.write_array(member, meta_bytes, allow_pickle=False)
            with archive.open("payload.npy", "w", force_zip64=True) as member:
                header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False}
                np.lib.format.write_array_header_1_0(member, {**header, "shape": (first.size,)})
                second = _Sum()

                def sink(chunk: bytes) -> None:
                    second.add(chunk)
                    member.write(chunk)

                produce(sink)
                if (second.crc, second.size) != (first.crc, first.size):
                    raise RuntimeError("the index changed while it was being saved")

    _atomic_write(path, write)


class _Sum:
    """crc32 and length of the bytes passed to ``add``."""

    def __init__(self) -> None:
        self.crc, self.size = 0, 0

    def add(self, chunk: bytes) -> None:
        self.crc, self.size = zlib.crc32(chunk, self.crc), self.size + len(chunk)


def _atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
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
    """The saved meta alone (the payload is neither read nor checked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _meta(archive)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise IndexCorruptError(f"索引文件 {path} 无法读取：{exc}") from exc


def _meta(archive: zipfile.ZipFile) -> dict[str, Any]:
    meta = json.loads(np.load(io.BytesIO(archive.read("meta.npy")), allow_pickle=False).tobytes())
    if not isinstance(meta, dict):
        raise ValueError("meta is not an object")
    return meta


def load_index_file(
    path: Path,
    check: Callable[[dict[str, Any]], None] | None = None,
    stream: Callable[[dict[str, Any], Callable[[int], bytes]], T] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The payload and meta of a saved index file, checked against the meta's crc32 and length.

    ``check(meta)`` runs before any of the payload is read (a fingerprint mismatch costs no read
    of a large file; its exception propagates). Without ``stream`` the payload comes back as bytes.
    With it, the payload is first checksummed in 1 MB chunks, then ``stream(meta, read)`` consumes
    it through ``read(n)`` (at most n bytes, b"" at the end) and its result is returned — e.g. FAISS
    deserialising straight from the file, so the payload is never held in memory beside the index
    it becomes (a second sequential read, from the page cache, costs a fraction of a second at
    1,000,000 cases; checking first means a damaged file is never parsed). Any failure to read or
    parse, or a checksum mismatch, is IndexCorruptError.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _meta(archive)
            if check is not None:
                check(meta)
            with _payload(archive) as reader:
                result: Any = reader.read() if stream is None else None
                reader.drain()  # also lets zipfile check the member's own CRC at its end
            if meta.get("crc32") != reader.crc or meta.get("bytes") != reader.size:
                raise _ChecksumError
            if stream is not None:
                with _payload(archive) as reader:
                    result = stream(meta, reader.read)
    except (FileNotFoundError, IndexMismatchError):
        raise
    except _ChecksumError:
        raise IndexCorruptError(f"索引文件 {path} 校验失败（可能写入时中断）") from None
    except Exception as exc:
        raise IndexCorruptError(f"索引文件 {path} 无法读取：{exc}") from exc
    return result, meta


class _ChecksumError(Exception):
    pass


class _CheckedReader:
    """Reads the payload member in chunks, keeping its crc32 and length as the bytes pass."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh, self.crc, self.size = fh, 0, 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(n)
        self.crc, self.size = zlib.crc32(chunk, self.crc), self.size + len(chunk)
        return chunk

    def drain(self) -> None:
        while self.read(1 << 20):
            pass

    def __enter__(self) -> _CheckedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def _payload(archive: zipfile.ZipFile) -> _CheckedReader:
    """The payload member positioned after its .npy header (a 1-d uint8 array, as np.savez wrote it)."""
    member = archive.open("payload.npy")
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        if dtype != np.uint8 or len(shape) != 1:
            raise ValueError(f"payload is {dtype} {shape}, expected a uint8 vector")
    except BaseException:
        member.close()
        raise
    return _CheckedReader(member)


def check_fingerprint(meta: dict[str, Any], expected: dict[str, Any], path: Path) -> None:
    """Raise IndexMismatchError naming the differing fields and the command that fixes it."""
    diffs = [f"{k}：保存时为 {meta.get(k)!r}，当前为 {v!r}" for k, v in expected.items() if meta.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            f"{path} 处的索引与当前配置不一致（{'；'.join(diffs)}）；请运行 `leian reindex` 从数据库重建"
        )
