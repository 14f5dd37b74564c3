"""Online backup and restore of a deployment: the SQLite database plus the vector index file.

The database copy uses SQLite's backup API, a consistent snapshot even while the service writes.
The index is derived data: its stamp records the database generation, so an index that does not
match the restored database is rebuilt on the next start instead of being trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.locks import try_lock
from kb.schema import ALL_MIGRATIONS
from kb.settings import Settings
from kb.storage.cases import now
from kb.storage.db import PRIVATE_DIR, PRIVATE_FILE, Database

DB_FILE, INDEX_FILE, MANIFEST = "leian.db", "vectors.index", "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_copy(source: Path, target: Path) -> None:
    # Owner-only from creation: a backup holds every petition and the password hashes.
    fd = os.open(target, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    os.chmod(target, PRIVATE_FILE)
    with source.open("rb") as src, os.fdopen(fd, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


SQLITE_HEADER = b"SQLite format 3\x00"


def _describe(db_path: Path) -> dict[str, Any]:
    """Integrity, case count, generation and migrations of a database file; a file that is not a
    whole Leian database (truncated, random bytes, another program's) is refused by name."""
    bad = InvalidInputError(
        [FieldProblem(db_path.name, f"不是有效的 Leian 数据库（文件已截断、损坏或不是 SQLite 文件）：{db_path}")]
    )
    with open(db_path, "rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise bad
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            return {"integrity": check}
        cases = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        gen = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    except sqlite3.Error:
        raise bad from None
    finally:
        conn.close()
    return {"integrity": check, "cases": cases, "generation": int(gen[0]) if gen else 0, "migrations": versions}


POSTGRES_BACKUP = (
    "数据库为 PostgreSQL（LEIAN_DATABASE_URL）：请用 pg_dump / pg_restore 备份与恢复数据库（见 docs/deploy.md）"
)


def _embedded_only(settings: Settings) -> None:
    """This backup copies the SQLite file; a PostgreSQL store is backed up with its own tools."""
    if settings.database_url:
        raise ConflictError(POSTGRES_BACKUP)


def backup(settings: Settings, target: Path) -> dict[str, Any]:
    """Copy the live database and index into the folder ``target`` (created; must be empty)."""
    _embedded_only(settings)
    if not settings.db_path.exists():
        raise NotFoundError(f"数据库不存在：{settings.db_path}")
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ConflictError(f"备份目录不为空：{target}")
    target.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(target, PRIVATE_DIR)
    db = Database(settings.db_path, migrations=ALL_MIGRATIONS)
    try:
        db.backup_to(target / DB_FILE)
    finally:
        db.close()
    files = {DB_FILE: _sha256(target / DB_FILE)}
    if settings.index_path.exists():
        _fsync_copy(settings.index_path, target / INDEX_FILE)
        files[INDEX_FILE] = _sha256(target / INDEX_FILE)
    manifest = {"created_at": now(), "files": files, **_describe(target / DB_FILE)}
    with os.fdopen(
        os.open(target / MANIFEST, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE), "w", encoding="utf-8"
    ) as fh:
        fh.write(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def verify(source: Path) -> dict[str, Any]:
    """Check a backup folder against its manifest; raises InvalidInputError naming the bad file."""
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise NotFoundError(f"不是有效的备份目录（缺少 {MANIFEST}）：{source}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest.get("files", {})
        assert isinstance(files, dict)
    except (ValueError, AssertionError, AttributeError):
        raise InvalidInputError([FieldProblem(MANIFEST, f"备份清单已损坏：{manifest_path}")]) from None
    if not (source / DB_FILE).is_file():
        raise InvalidInputError([FieldProblem(DB_FILE, f"备份目录中没有数据库文件：{source / DB_FILE}")])
    for name, digest in files.items():
        path = source / name
        if not path.exists() or _sha256(path) != digest:
            raise InvalidInputError([FieldProblem(name, "备份文件缺失或校验和不符")])
    if _describe(source / DB_FILE)["integrity"] != "ok":
        raise InvalidInputError([FieldProblem(DB_FILE, "备份数据库完整性检查未通过")])
    return manifest


def restore(settings: Settings, source: Path, force: bool = False) -> dict[str, Any]:
    """Replace the deployment's data with a verified backup. The service must be stopped: a running
    ``leian serve`` holds the data directory's lock and the restore is refused (even with ``force``),
    since the running service would keep writing to the database it had open."""
    _embedded_only(settings)
    refuse_while_serving(settings)
    manifest = verify(source)
    data_dir = settings.data_dir
    if settings.db_path.exists() and not force:
        raise ConflictError(f"数据目录已有数据库：{settings.db_path}（确认覆盖请加 --force）")
    data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    staged = data_dir / (DB_FILE + ".restoring")
    _fsync_copy(Path(source) / DB_FILE, staged)
    # A leftover WAL of the old database would be replayed onto the restored one: remove it first.
    for suffix in ("-wal", "-shm"):
        Path(str(settings.db_path) + suffix).unlink(missing_ok=True)
    os.replace(staged, settings.db_path)
    settings.index_path.unlink(missing_ok=True)
    settings.lexical_path.unlink(missing_ok=True)  # derived; rebuilt from the restored database
    if (Path(source) / INDEX_FILE).exists():
        staged_index = data_dir / (INDEX_FILE + ".restoring")
        _fsync_copy(Path(source) / INDEX_FILE, staged_index)
        os.replace(staged_index, settings.index_path)
    return manifest


# -- the service lock --------------------------------------------------------------------------------
LOCK_FILE = "leian.lock"
SERVING_MESSAGE = (
    "服务正在运行（leian serve 持有数据目录锁 {lock}），请先停止服务再恢复；否则服务之后的写入会在下次重启时丢失"
)


class ServiceLock:
    """An exclusive ``flock`` on ``<data_dir>/leian.lock`` held while ``leian serve`` runs.

    The kernel drops it when the process ends (even on kill -9), so a stale lock file never blocks."""

    def __init__(self, settings: Settings) -> None:
        self.path = Path(settings.data_dir) / LOCK_FILE
        self._fh: Any = None

    def acquire(self) -> None:
        self.path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        self.path.touch(mode=0o600, exist_ok=True)
        os.chmod(self.path, 0o600)
        fh = try_lock(self.path)
        if fh is None:
            raise ConflictError(f"数据目录已被另一个 leian serve 使用：{self.path}")
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the descriptor releases the flock
            self._fh = None


def serving(settings: Settings) -> bool:
    """Whether a running service holds the data directory's lock."""
    import fcntl

    path = Path(settings.data_dir) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return False


def refuse_while_serving(settings: Settings) -> None:
    if serving(settings):
        raise ConflictError(SERVING_MESSAGE.format(lock=Path(settings.data_dir) / LOCK_FILE))
