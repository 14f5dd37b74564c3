"""A least-recently-used cache bounded in bytes whose values hold for one version of their source.

For derived arrays that are costly to compute and cheap to keep while what they were computed from is
unchanged: kb's filter allow-lists (valid for one filter generation, kb/storage/filter_cache.py).
A lookup or store under another version than the cache's drops every value first; values are
computed outside the lock and stored only if the version did not move meanwhile, so a value is
never kept under a version newer than the one it was computed for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedLRU(Generic[K, V]):
    """Values by key for the current version, least recently used out past ``max_bytes``.

    ``ordered``: versions are a counter that only grows, so a caller holding an *older* version than
    the cache's (a reader that raced a writer) neither drops the cache nor fills it.
    """

    def __init__(self, max_bytes: int, *, ordered: bool = False) -> None:
        self.max_bytes = max_bytes
        self.ordered = ordered
        self.version: Any = None
        self.nbytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0

    def get(self, version: Any, key: K) -> V | None:
        """The value of ``key`` under ``version`` (None when absent); a newer version drops the rest."""
        with self._lock:
            if self.ordered and self.version is not None and version < self.version:
                return None
            if version != self.version:
                self._items.clear()
                self.version, self.nbytes = version, 0
                return None
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, version: Any, key: K, value: V, nbytes: int) -> None:
        """Keep ``value`` (``nbytes`` large) if ``version`` is still the cache's and it fits at all."""
        with self._lock:
            if version != self.version or key in self._items or nbytes > self.max_bytes:
                return
            self._items[key] = (value, nbytes)
            self.nbytes += nbytes
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.nbytes -= dropped
