"""Progress of running HTTP imports: the upload names an ``import_id`` (any token the client
chooses), ``GET /api/cases/import/progress/{import_id}`` reads how far it got and when it should end.

Held in memory for the process (an import runs in one request); a finished import stays readable
for ``KEEP_SECONDS``. Only the account that started an import reads its progress.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

KEEP_SECONDS = 600.0
MAX_TRACKED = 256


@dataclass
class ImportProgress:
    username: str
    total: int
    done: int = 0
    stage: str = "读取并校验"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def describe(self) -> dict[str, object]:
        elapsed = (self.finished or time.monotonic()) - self.started
        share = min(1.0, self.done / self.total) if self.total else 0.0
        eta = elapsed * (1 - share) / share if 0 < share < 1 else (0.0 if share >= 1 else None)
        return {
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "share": round(share, 4),
            "elapsed_seconds": round(elapsed, 1),
            "eta_seconds": None if eta is None else round(eta, 1),
            "finished": self.finished is not None,
        }


class ProgressBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, ImportProgress] = {}

    def start(self, import_id: str, username: str, total: int) -> ImportProgress:
        with self._lock:
            now = time.monotonic()
            for key in [k for k, p in self._items.items() if p.finished and now - p.finished > KEEP_SECONDS]:
                del self._items[key]
            while len(self._items) >= MAX_TRACKED:
                del self._items[next(iter(self._items))]
            item = ImportProgress(username, total)
            self._items[import_id] = item
            return item

    def advance(self, item: ImportProgress, n: int) -> None:
        with self._lock:
            item.done += n
            item.stage = "编码" if item.done < item.total else "写入数据库、检测重复信访并归入类案组"

    def finish(self, item: ImportProgress, stage: str) -> None:
        with self._lock:
            item.finished, item.stage = time.monotonic(), stage

    def get(self, import_id: str, username: str) -> dict[str, object] | None:
        with self._lock:
            item = self._items.get(import_id)
            return item.describe() if item is not None and item.username == username else None


BOARD = ProgressBoard()
