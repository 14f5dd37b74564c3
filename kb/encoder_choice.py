"""``LEIAN_ENCODER=auto`` (the default): which encoder a data directory uses.

An explicit encoder always wins. Otherwise a directory keeps the encoder it was indexed with: the
one recorded in the ``meta`` table whenever vectors are stored (``CaseRepository.save_vectors``),
or, for a directory indexed before that record existed, the encoder of its newest case's stored
vector (``use-m3``, the default then, when it has several). A directory that holds no vectors yet
gets ``NEW_DIRECTORY_ENCODER`` (``use-m3-int8``: about 2x faster at cosine >= 0.999 to USE-m3 and
the same evaluation figures, docs/benchmarks.md). ``leian --encoder use-m3-int8 reindex --re-encode``
switches an existing directory; from then on ``auto`` keeps that one.
"""

from __future__ import annotations

from indexing.encoders import ENCODERS
from kb.settings import NEW_DIRECTORY_ENCODER, Settings
from kb.storage.cases import read_meta
from kb.storage.db import Database

META_KEY = "encoder"
# The default before "auto": what a directory indexed without LEIAN_ENCODER used.
PREVIOUS_DEFAULT = "use-m3"


def indexed_encoder(db: Database) -> str | None:
    """The encoder the directory's vectors were stored with, or None when it holds none."""
    recorded = read_meta(db, META_KEY)
    if recorded:
        return recorded
    rows = db.query(
        "SELECT encoder FROM case_vectors WHERE case_id = (SELECT MAX(case_id) FROM case_vectors) ORDER BY encoder"
    )
    names = [str(r[0]) for r in rows]
    if not names:
        return None
    return PREVIOUS_DEFAULT if PREVIOUS_DEFAULT in names else names[0]


def resolve_encoder(settings: Settings, db: Database) -> Settings:
    """``settings`` with ``encoder`` decided for this directory when it is ``auto``."""
    if settings.encoder != "auto":
        return settings
    found = indexed_encoder(db)
    if found and found.startswith("hashing-") and found[len("hashing-") :].isdigit():
        # The hashing encoder is named by its dimension (its "model"): hashing-256.
        return settings.with_(encoder="hashing", encoder_model=settings.encoder_model or found[len("hashing-") :])
    if found not in ENCODERS or (found == "sbert" and not settings.encoder_model):
        found = None  # an encoder this configuration cannot build (a model path it does not name)
    return settings.with_(encoder=found or NEW_DIRECTORY_ENCODER)
