"""The versioned byte-bounded LRU (indexing/lru.py) behind kb's filter cache."""

from __future__ import annotations

import numpy as np

from indexing.lru import VersionedLRU


def test_values_hold_for_one_version_and_the_least_recent_leave_past_the_byte_bound() -> None:
    lru: VersionedLRU[str, np.ndarray] = VersionedLRU(max_bytes=3 * 80)
    assert lru.get(1, "a") is None and lru.version == 1
    for key in "abc":
        lru.put(1, key, np.zeros(10), 80)
    assert lru.get(1, "a") is not None  # "a" is now the most recent
    lru.put(1, "d", np.zeros(10), 80)
    assert [lru.get(1, k) is not None for k in "abcd"] == [True, False, True, True] and lru.nbytes == 240
    lru.put(1, "huge", np.zeros(100), 800)  # larger than the bound: never kept, nothing evicted
    assert lru.get(1, "huge") is None and len(lru) == 3

    assert lru.get(2, "a") is None and len(lru) == 0 and lru.nbytes == 0  # another version drops all
    lru.put(1, "a", np.zeros(10), 80)  # computed for the old version: not kept under the new one
    assert lru.get(2, "a") is None
    lru.put(2, "a", np.ones(10), 80)
    assert lru.get(2, "a") is not None
    assert lru.get(1, "a") is None and lru.version == 1  # unordered versions: any other one resets


def test_an_ordered_version_older_than_the_cache_neither_drops_nor_fills_it() -> None:
    lru: VersionedLRU[str, int] = VersionedLRU(max_bytes=100, ordered=True)
    lru.get(5, "k")
    lru.put(5, "k", 42, 8)
    assert lru.get(4, "k") is None and lru.version == 5  # a reader that saw an older counter
    lru.put(4, "old", 1, 8)
    assert lru.get(5, "k") == 42 and lru.get(5, "old") is None
    assert lru.get(6, "k") is None and len(lru) == 0  # the counter moved on
