"""Cases read a page at a time for group discovery (issue 20): ids, stored vectors and tokens of at
most ``page`` cases are held at once, features are built per page.

At 1,000,000 cases one Python list of token strings per case is ~17 GB; a page of 5,000 is ~85 MB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from indexing.clustering import HybridFeatures
from kb.kernel import Kernel

FEATURE_PAGE = 5_000  # cases per page (token lists, vectors and their feature rows)


class CasePages:
    def __init__(self, kernel: Kernel, page: int = FEATURE_PAGE) -> None:
        if page < 1:
            raise ValueError("page must be positive")
        self.kernel, self.page = kernel, page

    def with_vectors(self, ids: Sequence[int]) -> list[int]:
        """Those of ``ids`` with a stored vector of the current encoder and its dimension (order kept)."""
        encoder = self.kernel.encoder
        have = self.kernel.cases.ids_with_vector(encoder.name, encoder.dim, ids)
        return [i for i in ids if i in have]

    def slices(self, n: int) -> Iterator[slice]:
        for start in range(0, n, self.page):
            yield slice(start, min(n, start + self.page))

    def tokens(self, ids: Sequence[int]) -> Iterator[tuple[Sequence[int], list[list[str]]]]:
        """(ids, their token lists) per page, in the order of ``ids`` (no tokens: empty list)."""
        for part in self.slices(len(ids)):
            page = ids[part]
            found = self.kernel.cases.tokens_for(page)
            yield page, [found.get(i, []) for i in page]

    def token_pages(self, ids: Sequence[int]) -> Callable[[], Iterator[list[list[str]]]]:
        """The token lists of ``ids`` as re-readable pages (``HybridFeatures.fit_pages``)."""
        return lambda: (tokens for _, tokens in self.tokens(ids))

    def transform(self, model: HybridFeatures, ids: Sequence[int], tokens: Sequence[Sequence[str]]) -> np.ndarray:
        """Feature rows of ``ids`` (all with a stored vector) given their tokens."""
        encoder = self.kernel.encoder
        if not len(ids):
            return model.transform(np.zeros((0, encoder.dim), np.float32), [])
        vectors = self.kernel.cases.vectors_for(encoder.name, list(ids))
        return model.transform(np.vstack([vectors[i] for i in ids]), tokens)

    def features(self, model: HybridFeatures, ids: Sequence[int]) -> Iterator[tuple[Sequence[int], np.ndarray]]:
        """(ids, feature rows) per page of ``ids`` (all with a stored vector)."""
        for page, tokens in self.tokens(ids):
            yield page, self.transform(model, page, tokens)

    def rows(self, model: HybridFeatures, ids: Sequence[int]) -> Callable[[np.ndarray], np.ndarray]:
        """``idx -> feature rows of ids[idx]`` built page by page (``HybridClusterer.fit_rows``)."""

        def build(idx: np.ndarray) -> np.ndarray:
            chosen = [ids[int(k)] for k in idx]
            return self.matrix(model, chosen)

        return build

    def matrix(self, model: HybridFeatures, ids: Sequence[int]) -> np.ndarray:
        """All feature rows of ``ids`` in one float32 matrix, filled a page at a time."""
        out: np.ndarray | None = None
        for part, (_, x) in zip(self.slices(len(ids)), self.features(model, ids), strict=True):
            if out is None:
                out = np.empty((len(ids), x.shape[1]), np.float32)
            out[part] = x
        return out if out is not None else self.transform(model, [], [])
