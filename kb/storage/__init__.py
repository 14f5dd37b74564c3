"""SQLite storage: connection, ordered migrations and one repository module per aggregate."""

from kb.storage.db import Database

__all__ = ["Database"]
