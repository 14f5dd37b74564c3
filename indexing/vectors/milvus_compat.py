"""What differs between the Milvus engines and clients Leian talks to, in one place.

Two combinations are tested (docs/milvus.md): Milvus Lite (``milvus-lite`` with pymilvus >= 2.5,
the ``milvus`` extra) and the Milvus standalone server 2.3 (the ``milvus`` PyPI package with
pymilvus 2.3, the ``milvus-server`` extra, in its own virtualenv because the pins clash). Measured
differences, each handled here:

- pymilvus 2.3's ``MilvusClient`` has no ``flush`` and no ``query_iterator``: the connection's
  ``flush`` and the ORM ``Collection.query_iterator`` stand in.
- Server 2.3.5 answers a delete with timestamp 0, so "Session" consistency does not see the client's
  own deletes: the first read after a delete is made "Strong" (later reads see it too, the query
  node's time only moves forward).
- Server 2.3.5 loses the partition key on ``upsert`` (rows upserted into a partition-key collection
  are not found by a filter on the key, and an upsert changing the key leaves the row in its old
  partition): on a server, rows are replaced by delete + insert, which routes them correctly.
- Server 2.3.5 prunes partitions by every partition-key condition in a filter, also one inside an
  ``or``: ``(city == "佛山市" or id in [...]) and ...`` searched only 佛山市's partition and missed the
  listed ids elsewhere. Such an ``or`` is split into one expression per branch and the results
  merged (``milvus_expr.split_on``).
- The server's version is checked when connecting: below ``MIN_SERVER`` Leian refuses to start,
  with a Chinese message (raised to the user) and an English log line naming the missing feature.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# Upsert, ``count(*)`` and partition keys are all there from 2.3.0 on.
MIN_SERVER = (2, 3, 0)
# Partition keys exist from 2.2.9 (kept as its own check: a future minimum could be lowered).
PARTITION_KEY_SINCE = (2, 2, 9)


class MilvusVersionError(RuntimeError):
    """The Milvus server is too old for a feature Leian needs."""


@dataclass(frozen=True)
class Engine:
    """The engine behind a connection and what it can do."""

    version: str  # as reported: "v2.3.5-lite" (the ``milvus`` package's server), "milvus_lite-3.2.2"
    lite: bool
    numbers: tuple[int, int, int]

    @property
    def partition_key(self) -> bool:
        return self.lite or self.numbers >= PARTITION_KEY_SINCE

    @property
    def prunes_inside_or(self) -> bool:
        """Whether a partition-key condition inside an ``or`` wrongly prunes partitions (server 2.3.5)."""
        return not self.lite

    @property
    def upsert_keeps_partition_key(self) -> bool:
        """Whether ``upsert`` routes rows by their partition key (Milvus Lite: yes; server 2.3.5: no)."""
        return self.lite


def parse_version(reported: str) -> Engine:
    """The engine of a reported version string (``v2.3.5``, ``v2.3.5-lite``, ``milvus_lite-3.2.2``)."""
    lite = reported.startswith("milvus_lite") or reported.startswith("milvus-lite")
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", reported)
    numbers = (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)) if found else (0, 0, 0)
    return Engine(reported, lite, numbers)


def check_engine(engine: Engine, uri: str) -> None:
    """Refuse a server older than ``MIN_SERVER``: Chinese for the user, English in the log."""
    if engine.lite or engine.numbers >= MIN_SERVER:
        return
    wanted = ".".join(map(str, MIN_SERVER))
    log.error(
        "Milvus server at %s reports version %r; Leian needs %s or newer (upsert, count(*) and partition keys)",
        uri,
        engine.version,
        wanted,
    )
    raise MilvusVersionError(
        f"Milvus 服务器（{uri}）版本为 {engine.version}，过低：Leian 需要 {wanted} 或更高版本"
        "（需要 upsert、count(*) 统计和分区键）；请升级 Milvus 或改用 LEIAN_INDEX_BACKEND=faiss"
    )


def server_version(client: Any) -> str:
    if hasattr(client, "get_server_version"):
        return str(client.get_server_version())
    from pymilvus import utility  # pymilvus 2.3: through the client's connection alias

    return str(utility.get_server_version(using=client._using))


def flush(client: Any, collection: str) -> None:
    if hasattr(client, "flush"):
        client.flush(collection)
    else:  # pymilvus 2.3
        client._get_connection().flush([collection])


def iter_ids(client: Any, collection: str, batch: int = 10000) -> list[int]:
    """Every primary key in the collection."""
    if hasattr(client, "query_iterator"):
        iterator = client.query_iterator(collection, batch_size=batch, filter="", output_fields=["id"])
    else:  # pymilvus 2.3: the ORM's iterator over the client's connection
        from pymilvus import Collection

        # One comparison: the 2.3 iterator appends ``and id > last`` without parentheses (an ``or``
        # here made it return the first page for ever), and -2**63 itself does not parse.
        iterator = Collection(collection, using=client._using).query_iterator(
            batch_size=batch, expr=f"id > {-(2**63) + 1}", output_fields=["id"]
        )
    out: list[int] = []
    try:
        while batch_rows := iterator.next():
            out.extend(int(row["id"]) for row in batch_rows)
    finally:
        iterator.close()
    return out
