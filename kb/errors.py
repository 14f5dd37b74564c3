"""Domain errors: small named classes without HTTP codes; api/ maps them in one table.

Messages are shown to petition staff, so they are in simplified Chinese and name the field or row.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass, field


class LeianError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(LeianError):
    code = "not_found"


class ConflictError(LeianError):
    code = "conflict"


class PermissionDeniedError(LeianError):
    code = "forbidden"


class IndexStateError(LeianError):
    """The saved vector index does not match the configuration (rebuild with `leian reindex`)."""

    code = "index_mismatch"


class EncodingError(LeianError):
    """Bulk encoding failed (e.g. an encoder worker process died); nothing was written."""

    code = "encoding_failed"


class StorageReadOnlyError(LeianError):
    """The data directory cannot be written (mounted read-only, permissions): nothing was stored."""

    code = "storage_read_only"


class StorageFullError(LeianError):
    """The disk (or the database's size limit) is full: nothing was stored."""

    code = "storage_full"


READ_ONLY_MESSAGE = "数据目录当前为只读，无法保存（本次操作未写入任何内容），请联系管理员检查存储"
FULL_MESSAGE = "存储空间已满，无法保存（本次操作未写入任何内容），请联系管理员清理磁盘后重试"
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def storage_error(exc: BaseException) -> LeianError | None:
    """The storage error ``exc`` stands for (read-only or full), or None for any other failure.

    SQLite reports ``SQLITE_READONLY`` / ``SQLITE_CANTOPEN`` on a read-only directory and
    ``SQLITE_FULL`` when the disk is full; files written directly raise ``OSError`` with EROFS/ENOSPC.
    A failed SQLite write rolls its transaction back, so either error means nothing was stored."""
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc).lower()
        if name.startswith("SQLITE_FULL") or "disk is full" in text:
            return StorageFullError(FULL_MESSAGE)
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or "readonly" in text or "read-only" in text:
            return StorageReadOnlyError(READ_ONLY_MESSAGE)
        return None
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return StorageFullError(FULL_MESSAGE)
        if exc.errno in _READ_ONLY_ERRNOS:
            return StorageReadOnlyError(READ_ONLY_MESSAGE)
    return None


@dataclass
class FieldProblem:
    field: str
    message: str
    row: int | None = None

    def describe(self) -> str:
        where = f"第 {self.row} 行 " if self.row is not None else ""
        return f"{where}字段 {self.field}：{self.message}"


class InvalidInputError(LeianError):
    code = "invalid_input"

    def __init__(self, problems: list[FieldProblem], message: str | None = None) -> None:
        self.problems = problems
        head = "; ".join(p.describe() for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处错误）" if len(problems) > 5 else ""
        super().__init__(message or f"输入有误：{head}{more}")


@dataclass
class ImportReport:
    """What an import did; a failed import raises InvalidInputError and writes nothing."""

    created: int = 0
    # Stored cases whose row differed from what was stored (and so were written).
    updated: int = 0
    # Updated cases whose text changed and so were embedded again.
    reembedded: int = 0
    # Rows identical to the stored case: nothing was written for them.
    unchanged: int = 0
    # Columns of the file that no case field claims (not read).
    ignored_columns: list[str] = field(default_factory=list)
    external_nos: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        """One Chinese sentence for both doors, e.g.
        ``新增 3 件，更新 1 件（其中 1 件内容有变、已重新编码），未变化 2 件，共 6 行``."""
        parts = [f"新增 {self.created} 件", f"更新 {self.updated} 件"]
        if self.updated:
            parts[-1] += f"（其中 {self.reembedded} 件内容有变、已重新编码）"
        parts.append(f"未变化 {self.unchanged} 件")
        text = "，".join(parts) + f"，共 {self.total} 行"
        if self.ignored_columns:
            text += f"；已忽略列：{'、'.join(self.ignored_columns)}"
        return text
