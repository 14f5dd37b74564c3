"""Milvus backend (scale-out): the vector index contract over ``pymilvus.MilvusClient``.

The same client opens Milvus Lite from a local file (``uri="./leian-milvus.db"``, used in tests and
single-machine trials) or a Milvus cluster (``uri="http://host:19530"`` plus ``token``). Unlike the
in-process backends, the collection *is* the saved index: ``to_bytes`` returns a small JSON record
(uri, collection, count) that ``save_index`` stamps with the usual fingerprint into the side file
``vectors.index``, and ``load_index`` reopens the collection and checks its row count against it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from indexing.vectors.base import IndexMismatchError, as_ids, as_matrix

# Milvus caps ``limit`` (top-k) per search; larger k is clipped to it.
MAX_TOPK = 16384
# Ids per ``id in [...]`` filter expression: long allow-lists are searched chunk by chunk and merged.
FILTER_CHUNK = 8192
# Adds of at least this many rows are flushed (sealed) at once so they are searched with the index.
SEAL_MIN = 1000


def _client(uri: str, token: str | None) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("the 'milvus' index backend needs pymilvus: pip install 'leian[milvus]'") from exc
    return MilvusClient(uri=uri, token=token or "")


class MilvusIndex:
    """Inner-product search in one Milvus collection (``id`` INT64 primary key + ``vector``).

    ``fresh=True`` (what ``create_index`` does) drops any existing collection of that name on first
    use, so a new index starts empty like the other backends; ``fresh=False`` reopens it
    (``load_index``).
    ``index_type`` is a Milvus index (``FLAT`` exact by default; ``HNSW``/``IVF_SQ8`` on a cluster).
    """

    backend = "milvus"
    # The collection persists every change itself: the case index journals nothing for it and
    # saves only the small side record (kb/indexer.py).
    persistent = True

    def __init__(
        self,
        dim: int,
        uri: str,
        collection: str = "leian_cases",
        *,
        token: str | None = None,
        index_type: str = "FLAT",
        fresh: bool = True,
    ) -> None:
        self.dim, self.uri, self.collection = dim, uri, collection
        self.index_type = index_type
        self.factory = index_type
        self._client = _client(uri, token)
        # A fresh index empties the collection lazily, on first use: a service constructs a new index
        # before it knows whether the saved one is current, and must not wipe it in doing so.
        self._ready = False
        if not fresh:
            if self._client.has_collection(collection):
                self._check_dim()
            else:
                self._create()
            self._ready = True

    def _ensure(self) -> None:
        if not self._ready:
            if self._client.has_collection(self.collection):
                self._client.drop_collection(self.collection)
            self._create()
            self._ready = True

    def _create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        params = self._client.prepare_index_params()
        params.add_index(field_name="vector", index_type=self.index_type, metric_type="IP")
        self._client.create_collection(self.collection, schema=schema, index_params=params)

    def _check_dim(self) -> None:
        fields = self._client.describe_collection(self.collection).get("fields", [])
        dims = [int(f.get("params", {}).get("dim", 0)) for f in fields if f.get("name") == "vector"]
        if dims != [self.dim]:
            raise IndexMismatchError(
                f"Milvus 集合 {self.collection!r} 的维度为 {dims}，应为 {self.dim}；请运行 `leian reindex`"
            )

    # -- contract ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        self._ensure()
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def ids(self) -> np.ndarray:
        self._ensure()
        iterator = self._client.query_iterator(self.collection, batch_size=10000, filter="", output_fields=["id"])
        out: list[int] = []
        try:
            while batch := iterator.next():
                out.extend(int(row["id"]) for row in batch)
        finally:
            iterator.close()
        return np.sort(np.asarray(out, dtype=np.int64))

    def add(self, ids: np.ndarray, vectors: np.ndarray, batch: int = 5000) -> None:
        self._ensure()
        ids, vectors = as_ids(ids), as_matrix(vectors, self.dim)
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError(f"{ids.shape[0]} ids for {vectors.shape[0]} vectors")
        # Within one call the last row for an id wins, as in the other backends.
        _, last = np.unique(ids[::-1], return_index=True)
        keep = np.sort(ids.shape[0] - 1 - last)
        ids, vectors = ids[keep], vectors[keep]
        for start in range(0, ids.shape[0], batch):
            chunk = zip(ids[start : start + batch].tolist(), vectors[start : start + batch].tolist(), strict=True)
            rows = [{"id": int(i), "vector": v} for i, v in chunk]
            self._client.upsert(self.collection, rows)
        if ids.shape[0] >= SEAL_MIN:
            self._seal()

    def remove(self, ids: np.ndarray) -> None:
        self._ensure()
        ids = as_ids(ids)
        for start in range(0, ids.shape[0], FILTER_CHUNK):
            self._client.delete(self.collection, ids=ids[start : start + FILTER_CHUNK].tolist())

    def _seal(self) -> None:
        # Unflushed rows sit in "growing" segments that Milvus searches without their index: on
        # Milvus Lite a 20,000-vector collection answered 25-50x slower before this flush
        # (docs/benchmarks.md). Bulk adds and saves flush; single cases are left to Milvus's own
        # segment sealing, since a flush per request is an anti-pattern on a cluster.
        self._client.flush(self.collection)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        self._ensure()
        queries = as_matrix(queries, self.dim)
        m = queries.shape[0]
        scores = np.full((m, max(k, 0)), -np.inf, dtype=np.float32)
        out = np.full((m, max(k, 0)), -1, dtype=np.int64)
        if k <= 0 or m == 0:
            return scores, out
        if allowed is None:
            filters = [""]
        else:
            # A filter is an explicit id list, split into chunks whose top-k lists are merged, so
            # the answer stays complete. Deployments with millions of cases should instead store
            # city/department/category/date as scalar fields and filter by expression (docs/milvus.md).
            allowed = np.unique(as_ids(allowed))
            if allowed.shape[0] == 0:
                return scores, out
            filters = [
                f"id in [{','.join(map(str, allowed[s : s + FILTER_CHUNK].tolist()))}]"
                for s in range(0, allowed.shape[0], FILTER_CHUNK)
            ]
        limit = min(k, MAX_TOPK)
        merged: list[list[tuple[float, int]]] = [[] for _ in range(m)]
        for expr in filters:
            res = self._client.search(
                self.collection,
                data=queries.tolist(),
                limit=limit,
                filter=expr,
                output_fields=["id"],
                search_params={"metric_type": "IP"},
            )
            for row, hits in enumerate(res):
                merged[row].extend((float(h["distance"]), int(h["id"])) for h in hits)
        for row, hits in enumerate(merged):
            best = sorted(hits, key=lambda h: (-h[0], h[1]))[:limit]
            scores[row, : len(best)] = [h[0] for h in best]
            out[row, : len(best)] = [h[1] for h in best]
        return scores, out

    def to_bytes(self) -> bytes:
        """A record of where the vectors live; the vectors themselves stay in Milvus."""
        record = {"uri": self.uri, "collection": self.collection, "index_type": self.index_type, "count": len(self)}
        return json.dumps(record, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(
        cls,
        payload: bytes,
        dim: int,
        *,
        token: str | None = None,
        uri: str | None = None,
        collection: str | None = None,
    ) -> MilvusIndex:
        """Reopen the recorded collection, checking location and row count against the record.

        ``uri``/``collection`` are the configured ones: pointing Leian elsewhere is a mismatch
        (the service then rebuilds there from SQLite) rather than a silent switch.
        """
        record = json.loads(payload.decode("utf-8"))
        for key, configured in (("uri", uri), ("collection", collection)):
            if configured is not None and str(configured) != record[key]:
                raise IndexMismatchError(
                    f"Milvus 索引保存时的 {key} 为 {record[key]!r}，当前配置为 {configured!r}；请运行 `leian reindex`"
                )
        index = cls(dim, record["uri"], record["collection"], token=token, index_type=record["index_type"], fresh=False)
        if len(index) != int(record["count"]):
            raise IndexMismatchError(
                f"Milvus 集合 {record['collection']!r} 现有 {len(index)} 个向量，保存的记录为 "
                f"{record['count']} 个；请运行 `leian reindex`"
            )
        return index
