"""The append-only delta journal next to a saved vector index: record format, append and read-back.

A journal belongs to one snapshot: its header carries the snapshot's ``token``, so a journal left
over from an older snapshot (a crash between writing a new snapshot and removing the old journal)
is recognised and ignored. Every record is ``[length u32][crc32 u32][body]`` with body
``[op u8][generation i64][n u32][dim u32][ids i64 * n][vectors f32 * n * dim]``; it is written with
one ``write`` call on an ``O_APPEND`` descriptor and then ``fdatasync``'ed. Reading stops at the
first record that is short or fails its checksum (a torn append) and says so, so the caller can
decide whether what was read still proves a consistent index (kb/indexer.py decides by generation).
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexing.vectors.base import as_ids

MAGIC = b"LEIANJ01"
ADD, REMOVE, MARK = 1, 2, 3
_FRAME = struct.Struct("<II")
_HEAD = struct.Struct("<BqII")
# A record longer than this is damage, not data (a 10,000-row batch of 1,024-d vectors is 41 MB).
_MAX_RECORD = 1 << 31


@dataclass(frozen=True)
class Record:
    """One journalled change; ``generation`` is None for a write that carried none."""

    op: int
    generation: int | None
    ids: np.ndarray
    vectors: np.ndarray | None


@dataclass
class JournalRead:
    """What a journal file held: its snapshot token, its intact records, and whether it ended cleanly."""

    token: str
    records: list[Record]
    clean: bool
    good_bytes: int


def encode_record(op: int, generation: int | None, ids: np.ndarray, vectors: np.ndarray | None) -> bytes:
    ids = as_ids(ids)
    matrix = np.zeros((0, 0), np.float32) if vectors is None else np.ascontiguousarray(vectors, dtype=np.float32)
    dim = int(matrix.shape[1]) if matrix.ndim == 2 and matrix.shape[0] else 0
    body = _HEAD.pack(op, -1 if generation is None else int(generation), ids.shape[0], dim)
    body += ids.tobytes() + (matrix.tobytes() if dim else b"")
    return _FRAME.pack(len(body), zlib.crc32(body)) + body


def _decode(body: bytes) -> Record:
    op, generation, n, dim = _HEAD.unpack_from(body)
    offset = _HEAD.size
    ids = np.frombuffer(body, np.int64, n, offset).copy()
    offset += 8 * n
    vectors = np.frombuffer(body, np.float32, n * dim, offset).reshape(n, dim).copy() if dim else None
    if offset + 4 * n * dim != len(body) or op not in (ADD, REMOVE, MARK):
        raise ValueError("malformed journal record")
    return Record(op, None if generation < 0 else int(generation), ids, vectors)


def create(path: Path, token: str) -> None:
    """Start an empty journal for snapshot ``token`` atomically (temp file, fsync, rename)."""
    path = Path(path)
    header = token.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + _FRAME.pack(len(header), zlib.crc32(header)) + header)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append(path: Path, records: list[bytes]) -> int:
    """Append encoded records with one write and make them durable; returns the bytes written."""
    data = b"".join(records)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        written = os.write(fd, data)
        if written != len(data):  # a short write to a regular file means the disk is full
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fdatasync(fd)
    finally:
        os.close(fd)
    return len(data)


def read(path: Path) -> JournalRead | None:
    """Read a journal; None if there is none or its header is unreadable (then it proves nothing)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(MAGIC):
        return None
    frames = _frames(data, len(MAGIC))
    first = next(frames, None)
    if first is None or first[1] is None:
        return None
    header = first[1]
    records: list[Record] = []
    good = len(MAGIC) + _FRAME.size + len(header)
    clean = True
    for end, body in frames:
        if body is None:
            clean = False
            break
        try:
            records.append(_decode(body))
        except (ValueError, struct.error):
            clean = False
            break
        good = end
    else:
        clean = good == len(data)
    return JournalRead(header.decode("utf-8", "replace"), records, clean, good)


def _frames(data: bytes, offset: int) -> Iterator[tuple[int, bytes | None]]:
    """(end offset, body) per intact frame; a torn or damaged frame yields (offset, None) and stops."""
    while offset < len(data):
        if offset + _FRAME.size > len(data):
            yield offset, None
            return
        length, crc = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if length > _MAX_RECORD or end > len(data) or zlib.crc32(data[start:end]) != crc:
            yield offset, None
            return
        yield end, data[start:end]
        offset = end


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
