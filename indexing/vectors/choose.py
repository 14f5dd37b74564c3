"""Which FAISS index to build for a corpus size: exact while small, IVF + 8-bit scalar codes above.

The figures behind these defaults are in docs/benchmarks.md (``python -m bench.search``): at
1,000,000 USE-m3 vectors, IVF-SQ8 keeps recall@10 >= 0.95 against exact search at about a quarter
of the memory of flat float32 vectors (512 B codes vs 2 KB), while exact search over the whole
corpus stops meeting a 20 ms p99.
"""

from __future__ import annotations

import math

# Below this many vectors an exact flat index is fast enough and needs no training.
AUTO_THRESHOLD = 100_000
# Filtered queries with at most this many allowed ids are answered exactly over those ids.
EXACT_FILTER_LIMIT = 20_000
# k-means iterations when training the coarse quantiser (FAISS default 25 costs minutes at 1M).
TRAIN_ITERATIONS = 10
# Training points per inverted list (FAISS warns below 39).
TRAIN_PER_LIST = 50
# Training points for codes that need no coarse quantiser (e.g. ``HNSW32,SQ8``).
TRAIN_SAMPLE = 20_000


def nlist_for(n: int) -> int:
    """Inverted lists for ``n`` vectors: a power of two near 2*sqrt(n), between 64 and 65536."""
    target = 2.0 * math.sqrt(max(n, 1))
    return int(min(65536, max(64, 2 ** round(math.log2(target)))))


def nprobe_for(nlist: int) -> int:
    """Lists scanned per query; 1/32 of the lists (at least 16) reached recall@10 >= 0.95."""
    return int(min(nlist, max(16, nlist // 32)))


def choose_factory(n: int, threshold: int = AUTO_THRESHOLD) -> str:
    """The FAISS factory string for ``n`` vectors: ``"Flat"`` below ``threshold``, else IVF-SQ8."""
    if n < threshold:
        return "Flat"
    return f"IVF{nlist_for(n)},SQ8"


def resolve_factory(factory: str, n: int, threshold: int = AUTO_THRESHOLD) -> str:
    """``"auto"`` becomes a concrete factory for ``n`` vectors; anything else is returned as is."""
    return choose_factory(n, threshold) if factory == "auto" else factory
