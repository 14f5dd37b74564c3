"""The petitioner-identity key of a data directory: where it comes from and that it never changes.

Identities (身份证号, 联系电话) are stored only as a keyed hash (``kb.privacy.petitioner_key``), so
every command on a data directory must hash with the same secret. The secret is
``LEIAN_PETITIONER_KEY`` or, when that is unset, the directory's key file ``petitioner.key``
(``demo-petitioner.key``, written by earlier demos, is honoured). The first import that hashes an
identity records a fingerprint of the key (an HMAC of a fixed label, not the key) in the storage
``meta`` table; a later import with another key is refused instead of silently producing new
petitioner hashes that match no earlier case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from pathlib import Path

from kb.errors import ConflictError
from kb.settings import Settings
from kb.storage.cases import read_meta, write_meta
from kb.storage.db import Database, write_private_text

KEY_FILE = "petitioner.key"
DEMO_KEY_FILE = "demo-petitioner.key"  # written by `leian demo` before key files were general
KEY_HINT = f"设置环境变量 LEIAN_PETITIONER_KEY，或在数据目录中放置 {KEY_FILE} 文件"
FINGERPRINT_META = "petitioner_key_fingerprint"
_LABEL = b"leian petitioner key fingerprint v1"


def key_file(data_dir: Path) -> Path | None:
    """The data directory's key file, if it has one."""
    for name in (KEY_FILE, DEMO_KEY_FILE):
        path = Path(data_dir) / name
        if path.is_file():
            return path
    return None


def with_key_file(settings: Settings) -> Settings:
    """``settings`` with the key file's secret when no key was configured."""
    if settings.petitioner_key is not None:
        return settings
    path = key_file(settings.data_dir)
    secret = path.read_text(encoding="utf-8").strip() if path else ""
    return settings.with_(petitioner_key=secret) if secret else settings


def create_key_file(data_dir: Path) -> Path:
    """A random key file readable by its owner only (the demo's), unless the directory has one."""
    existing = key_file(data_dir)
    if existing is not None:
        return existing
    path = Path(data_dir) / KEY_FILE
    write_private_text(path, secrets.token_hex(32))
    return path


def fingerprint(secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), _LABEL, hashlib.sha256).hexdigest()[:32]


def key_state(db: Database, secret: str | None) -> str:
    """``unset`` (no key), ``new`` (nothing hashed yet), ``ok`` or ``mismatch`` — for health."""
    if not secret:
        return "unset"
    stored = read_meta(db, FINGERPRINT_META)
    if stored is None:
        return "new"
    return "ok" if hmac.compare_digest(stored, fingerprint(secret)) else "mismatch"


def check_key(conn: sqlite3.Connection, secret: str) -> None:
    """Inside an import's transaction: refuse a key other than the recorded one, record it on first use."""
    stored = read_meta(conn, FINGERPRINT_META)
    if stored is None:
        write_meta(conn, FINGERPRINT_META, fingerprint(secret))
    elif not hmac.compare_digest(stored, fingerprint(secret)):
        raise ConflictError(
            "信访人密钥与本数据目录此前使用的不一致：用新密钥生成的匿名键无法与已有案件对应，导入已拒绝"
            f"（请使用原密钥：{KEY_HINT}）"
        )
