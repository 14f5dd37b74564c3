"""Milvus backend (scale-out): the vector index contract over ``pymilvus.MilvusClient``.

The same client opens Milvus Lite from a local file (``uri="./leian-milvus.db"``, used in tests and
single-machine trials) or a Milvus cluster (``uri="http://host:19530"`` plus ``token``). Unlike the
in-process backends, the collection *is* the saved index: ``to_bytes`` returns a small JSON record
(uri, collection, count) that ``save_index`` stamps with the usual fingerprint into the side file
``vectors.index``, and ``load_index`` reopens the collection and checks its row count against it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import indexing.vectors.milvus_compat as compat
from indexing.vectors.base import IndexMismatchError, as_ids, as_matrix
from indexing.vectors.milvus_expr import FILTER_CHUNK, expressions
from indexing.vectors.where import IdIn, Scalar, ScalarField, Where

log = logging.getLogger(__name__)

# Milvus caps ``limit`` (top-k) per search; larger k is clipped to it.
MAX_TOPK = 16384
# Adds of at least this many rows are flushed (sealed) at once so they are searched with the index.
SEAL_MIN = 1000
# Partitions a partition key hashes its values into (Milvus' own default is 64; a province has
# about 20 cities, and fewer partitions keep fewer small segments).
NUM_PARTITIONS = 16
_DEFAULTS: dict[str, Scalar] = {"str": "", "int": 0, "bool": False}
# Build and search parameters per index type. A 2.3 server refuses an IVF index without ``nlist``
# ("nlist out of range") and an HNSW one without ``M``/``efConstruction``; unset, a search probes
# Milvus's default 8 lists. 1/32 of the lists are probed, as the FAISS backend's rule
# (indexing/vectors/choose.py: ``nprobe_for``); HNSW's ``ef`` is at least the asked k.
IVF_NLIST = 1024
INDEX_PARAMS: dict[str, dict[str, int]] = {
    "IVF_FLAT": {"nlist": IVF_NLIST},
    "IVF_SQ8": {"nlist": IVF_NLIST},
    "HNSW": {"M": 32, "efConstruction": 200},
}
SEARCH_PARAMS: dict[str, dict[str, int]] = {
    "IVF_FLAT": {"nprobe": IVF_NLIST // 32},
    "IVF_SQ8": {"nprobe": IVF_NLIST // 32},
    "HNSW": {"ef": 128},
}


def search_params(index_type: str, limit: int) -> dict[str, Any]:
    """What a search on an index of ``index_type`` passes to Milvus for ``limit`` hits."""
    params: dict[str, Any] = dict(SEARCH_PARAMS.get(index_type.upper(), {}))
    if "ef" in params:
        params["ef"] = max(params["ef"], limit)
    return {"metric_type": "IP", "params": params}


def _scalar(f: ScalarField, value: Any) -> Scalar:
    """A value as the field stores it (None becomes the field's default: Milvus 2.3 has no nulls)."""
    if value is None:
        return _DEFAULTS[f.kind]
    if f.kind == "bool":
        return bool(value)
    if f.kind == "int":
        return int(value)
    return str(value)


def _client(uri: str, token: str | None) -> Any:
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("the 'milvus' index backend needs pymilvus: pip install 'leian[milvus]'") from exc
    return MilvusClient(uri=uri, token=token or "")


class MilvusIndex:
    """Inner-product search in one Milvus collection: ``id`` INT64 primary key, ``vector``, and the
    scalar fields ``scalars`` (``partition_key`` one of them) that ``search(..., where=...)`` filters on.

    ``fresh=True`` (what ``create_index`` does) drops any existing collection of that name on first
    use, so a new index starts empty like the other backends; ``fresh=False`` reopens it
    (``load_index``) and checks its dimension and scalar fields.
    ``index_type`` is a Milvus index (``FLAT`` exact by default; ``HNSW``/``IVF_SQ8`` on a cluster).
    """

    backend = "milvus"
    # The collection persists every change itself: the case index journals nothing for it and
    # saves only the small side record (kb/indexer.py).
    persistent = True
    # ``search`` takes a ``Where`` and filters inside the engine (kb/search.py pushes filters down).
    filters_by_expression = True

    def __init__(
        self,
        dim: int,
        uri: str,
        collection: str = "leian_cases",
        *,
        token: str | None = None,
        index_type: str = "FLAT",
        fresh: bool = True,
        scalars: Sequence[ScalarField] = (),
        partition_key: str | None = None,
    ) -> None:
        self.dim, self.uri, self.collection = dim, uri, collection
        self.index_type = index_type
        self.factory = index_type
        self.scalars = tuple(scalars)
        if partition_key is not None and partition_key not in {f.name for f in self.scalars}:
            raise ValueError(f"partition key {partition_key!r} is not one of the scalar fields")
        self._client = _client(uri, token)
        self.engine = compat.parse_version(compat.server_version(self._client))
        compat.check_engine(self.engine, uri)
        if partition_key is not None and not self.engine.partition_key:  # pragma: no cover - below MIN_SERVER
            log.warning("Milvus %s has no partition keys; %s stays a plain field", self.engine.version, partition_key)
            partition_key = None
        self.partition_key = partition_key
        # The first read after a delete is "Strong" (milvus_compat: deletes carry no session timestamp).
        self._strong_next = False
        # A fresh index empties the collection lazily, on first use: a service constructs a new index
        # before it knows whether the saved one is current, and must not wipe it in doing so.
        self._ready = False
        if not fresh:
            if self._client.has_collection(collection):
                self._check_schema()
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

        kinds = {"str": DataType.VARCHAR, "int": DataType.INT64, "bool": DataType.BOOL}
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        for f in self.scalars:
            extra: dict[str, Any] = {"max_length": 4 * f.max_chars} if f.kind == "str" else {}  # UTF-8 bytes
            if f.name == self.partition_key:
                extra["is_partition_key"] = True
            schema.add_field(f.name, kinds[f.kind], **extra)
        params = self._client.prepare_index_params()
        params.add_index(
            field_name="vector",
            index_type=self.index_type,
            metric_type="IP",
            params=INDEX_PARAMS.get(self.index_type.upper(), {}),
        )
        options: dict[str, Any] = {"consistency_level": "Session"}
        if self.partition_key is not None:
            options["num_partitions"] = NUM_PARTITIONS
        self._client.create_collection(self.collection, schema=schema, index_params=params, **options)

    def _check_schema(self) -> None:
        fields = self._client.describe_collection(self.collection).get("fields", [])
        dims = [int(f.get("params", {}).get("dim", 0)) for f in fields if f.get("name") == "vector"]
        if dims != [self.dim]:
            raise IndexMismatchError(
                f"Milvus 集合 {self.collection!r} 的维度为 {dims}，应为 {self.dim}；请运行 `leian reindex`"
            )
        have = sorted(str(f.get("name")) for f in fields if f.get("name") not in ("id", "vector"))
        want = sorted(f.name for f in self.scalars)
        if have != want:
            raise IndexMismatchError(
                f"Milvus 集合 {self.collection!r} 的标量字段为 {have}，应为 {want}；请运行 `leian reindex`"
            )

    def _consistency(self) -> str:
        level = "Strong" if self._strong_next else "Session"
        self._strong_next = False
        return level

    # -- contract ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        self._ensure()
        rows = self._client.query(
            self.collection, filter="", output_fields=["count(*)"], consistency_level=self._consistency()
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def ids(self) -> np.ndarray:
        self._ensure()
        if self._strong_next:
            len(self)  # one Strong read makes the deletes visible to the iterator too
        return np.sort(np.asarray(compat.iter_ids(self._client, self.collection), dtype=np.int64))

    def _rows(self, ids: np.ndarray, vectors: np.ndarray, attributes: Mapping[str, Sequence[Scalar]] | None) -> list:
        columns: dict[str, list[Any]] = {}
        for f in self.scalars:
            given = (attributes or {}).get(f.name)
            if given is None:
                columns[f.name] = [_DEFAULTS[f.kind]] * ids.shape[0]
            else:
                if len(given) != ids.shape[0]:
                    raise ValueError(f"{len(given)} values of {f.name} for {ids.shape[0]} ids")
                columns[f.name] = [_scalar(f, v) for v in given]
        rows = []
        for row_no, (case_id, vector) in enumerate(zip(ids.tolist(), vectors.tolist(), strict=True)):
            row: dict[str, Any] = {"id": int(case_id), "vector": vector}
            for name, values in columns.items():
                row[name] = values[row_no]
            rows.append(row)
        return rows

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if self.partition_key is not None and not self.engine.upsert_keeps_partition_key:
            # Server 2.3: upsert loses the partition key (milvus_compat); delete + insert routes rows.
            self._client.delete(self.collection, ids=[r["id"] for r in rows])
            self._client.insert(self.collection, rows)
        else:
            self._client.upsert(self.collection, rows)

    def add(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        batch: int = 5000,
        *,
        attributes: Mapping[str, Sequence[Scalar]] | None = None,
        seal: bool = True,
    ) -> None:
        """Insert or replace rows; ``attributes`` are the scalar fields' values, one per id (missing
        fields are stored as ``""``/0/false). ``seal=False`` leaves the flush to a later ``seal()``
        (a rebuild adding page by page flushes once at the end, as one ``add`` of every row did)."""
        self._ensure()
        ids, vectors = as_ids(ids), as_matrix(vectors, self.dim)
        if ids.shape[0] != vectors.shape[0]:
            raise ValueError(f"{ids.shape[0]} ids for {vectors.shape[0]} vectors")
        # Within one call the last row for an id wins, as in the other backends.
        _, last = np.unique(ids[::-1], return_index=True)
        keep = np.sort(ids.shape[0] - 1 - last)
        if attributes is not None:
            attributes = {name: [values[i] for i in keep.tolist()] for name, values in attributes.items()}
        ids, vectors = ids[keep], vectors[keep]
        rows = self._rows(ids, vectors, attributes)
        for start in range(0, len(rows), batch):
            self._write(rows[start : start + batch])
        if seal and ids.shape[0] >= SEAL_MIN:
            self._seal()

    def seal(self) -> None:
        """Flush the rows written so far (after adds with ``seal=False``)."""
        self._ensure()
        self._seal()

    def update_attributes(self, ids: Sequence[int], attributes: Mapping[str, Sequence[Scalar]]) -> int:
        """Rewrite the scalar fields of rows already in the collection (the vectors stay, and so do
        fields ``attributes`` does not name); ids not in the collection are skipped. Returns how many
        rows were rewritten."""
        self._ensure()
        wanted = {int(i): n for n, i in enumerate(ids)}
        if not wanted:
            return 0
        found: dict[int, dict[str, Any]] = {}
        keys = sorted(wanted)
        for start in range(0, len(keys), FILTER_CHUNK):
            chunk = keys[start : start + FILTER_CHUNK]
            rows = self._client.query(
                self.collection,
                filter=f"id in [{','.join(map(str, chunk))}]",
                output_fields=["id", "vector", *(f.name for f in self.scalars)],
                consistency_level=self._consistency(),
            )
            found.update({int(r["id"]): dict(r) for r in rows})
        if not found:
            return 0
        present = sorted(found)
        picked = {
            f.name: [attributes[f.name][wanted[i]] for i in present]
            if f.name in attributes
            else [found[i][f.name] for i in present]
            for f in self.scalars
        }
        matrix = np.asarray([list(found[i]["vector"]) for i in present], dtype=np.float32)
        self._write(self._rows(np.asarray(present, dtype=np.int64), matrix, picked))
        return len(present)

    def remove(self, ids: np.ndarray) -> None:
        self._ensure()
        ids = as_ids(ids)
        for start in range(0, ids.shape[0], FILTER_CHUNK):
            self._client.delete(self.collection, ids=ids[start : start + FILTER_CHUNK].tolist())
        self._strong_next = True

    def _seal(self) -> None:
        # Unflushed rows sit in "growing" segments that Milvus searches without their index: on
        # Milvus Lite a 20,000-vector collection answered 25-50x slower before this flush
        # (docs/benchmarks.md). Bulk adds and saves flush; single cases are left to Milvus's own
        # segment sealing, since a flush per request is an anti-pattern on a cluster.
        compat.flush(self._client, self.collection)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None, *, where: Where | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by inner product among the rows that are in ``allowed`` (an id list) and satisfy
        ``where`` (scalar conditions, evaluated by Milvus); either may be None."""
        self._ensure()
        queries = as_matrix(queries, self.dim)
        m = queries.shape[0]
        scores = np.full((m, max(k, 0)), -np.inf, dtype=np.float32)
        out = np.full((m, max(k, 0)), -1, dtype=np.int64)
        if k <= 0 or m == 0:
            return scores, out
        clauses = list(where.clauses) if where is not None else []
        if allowed is not None:
            allowed = np.unique(as_ids(allowed))
            if allowed.shape[0] == 0:
                return scores, out
            clauses.append(IdIn(tuple(allowed.tolist())))
        # One expression, or one per chunk of the largest id list; their top-k lists are merged so
        # the answer stays complete.
        split = self.partition_key if self.partition_key is not None and self.engine.prunes_inside_or else None
        filters = expressions(Where(tuple(clauses)), FILTER_CHUNK, split)
        limit = min(k, MAX_TOPK)
        merged: list[dict[int, float]] = [{} for _ in range(m)]
        level = self._consistency()
        for expr in filters:
            res = self._client.search(
                self.collection,
                data=queries.tolist(),
                limit=limit,
                filter=expr,
                output_fields=["id"],
                search_params=search_params(self.index_type, limit),
                consistency_level=level,
            )
            for row, hits in enumerate(res):
                for h in hits:  # chunks of an ``Either`` may overlap: one entry per id
                    merged[row][int(h["id"])] = float(h["distance"])
        for row, hits in enumerate(merged):
            best = sorted(hits.items(), key=lambda h: (-h[1], h[0]))[:limit]
            scores[row, : len(best)] = [h[1] for h in best]
            out[row, : len(best)] = [h[0] for h in best]
        return scores, out

    def to_bytes(self) -> bytes:
        """A record of where the vectors live; the vectors themselves stay in Milvus."""
        record = {
            "uri": self.uri,
            "collection": self.collection,
            "index_type": self.index_type,
            "count": len(self),
            "scalars": [[f.name, f.kind, f.max_chars] for f in self.scalars],
            "partition_key": self.partition_key,
        }
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
        scalars: Sequence[ScalarField] | None = None,
        partition_key: str | None = None,
    ) -> MilvusIndex:
        """Reopen the recorded collection, checking location and row count against the record.

        ``uri``/``collection`` are the configured ones: pointing Leian elsewhere is a mismatch
        (the service then rebuilds there from SQLite) rather than a silent switch. ``scalars`` are
        the configured scalar fields (default: the recorded ones); a collection with other fields
        is a mismatch too (an index saved before filters were pushed down has none).
        """
        record = json.loads(payload.decode("utf-8"))
        for key, configured in (("uri", uri), ("collection", collection)):
            if configured is not None and str(configured) != record[key]:
                raise IndexMismatchError(
                    f"Milvus 索引保存时的 {key} 为 {record[key]!r}，当前配置为 {configured!r}；请运行 `leian reindex`"
                )
        if scalars is None:
            scalars = [ScalarField(name, kind, int(chars)) for name, kind, chars in record.get("scalars", [])]
            partition_key = record.get("partition_key")
        index = cls(
            dim,
            record["uri"],
            record["collection"],
            token=token,
            index_type=record["index_type"],
            fresh=False,
            scalars=scalars,
            partition_key=partition_key,
        )
        index._strong_next = True  # the start-up check sees every write, also other processes' deletes
        if len(index) != int(record["count"]):
            raise IndexMismatchError(
                f"Milvus 集合 {record['collection']!r} 现有 {len(index)} 个向量，保存的记录为 "
                f"{record['count']} 个；请运行 `leian reindex`"
            )
        return index
