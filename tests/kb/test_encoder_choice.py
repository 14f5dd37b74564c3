"""Issue 20, item 1: ``LEIAN_ENCODER=auto`` (the default). A new data directory gets use-m3-int8; a
directory keeps the encoder it was indexed with (one indexed before this record existed included);
``reindex --re-encode`` with another encoder switches it; an explicit encoder always wins."""

from __future__ import annotations

from pathlib import Path

from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.encoder_choice import indexed_encoder, resolve_encoder
from kb.service import LeianService
from kb.settings import NEW_DIRECTORY_ENCODER, Settings, load_settings
from tests.conftest import make_settings

ROWS = [
    (1, {"external_no": "E-1", "content": "包工头拖欠三个月工资两万元，多次讨要无果", "received_date": "2026-11-20"}),
    (2, {"external_no": "E-2", "content": "物业公司乱收停车费且不出示收费依据", "received_date": "2026-11-21"}),
]


def _forget_the_record(svc: LeianService) -> None:
    """What a directory indexed before ``meta.encoder`` existed looks like."""
    with svc.db.transaction() as conn:
        conn.execute("DELETE FROM meta WHERE key = 'encoder'")


def test_auto_is_the_default_and_explicit_settings_are_kept() -> None:
    assert Settings().encoder == "auto" and load_settings({}).encoder == "auto"
    assert load_settings({"LEIAN_ENCODER": "use-m3"}).encoder == "use-m3"
    assert NEW_DIRECTORY_ENCODER == "use-m3-int8"


def test_the_directory_record_decides_auto(tmp_path: Path, segmenter: Segmenter) -> None:
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    auto = make_settings(tmp_path)
    assert indexed_encoder(svc.db) is None  # nothing stored yet: a new directory
    assert resolve_encoder(auto, svc.db).encoder == NEW_DIRECTORY_ENCODER
    svc.ingest(ROWS)
    assert indexed_encoder(svc.db) == "hashing-256"  # recorded with the vectors
    kept = resolve_encoder(auto, svc.db)
    assert (kept.encoder, kept.encoder_model) == ("hashing", "256")
    _forget_the_record(svc)  # indexed before the record: the stored vectors tell
    assert resolve_encoder(auto, svc.db).encoder == "hashing"
    # An explicit encoder always wins over the directory's.
    assert resolve_encoder(make_settings(tmp_path, encoder="use-m3"), svc.db).encoder == "use-m3"
    # An encoder this configuration cannot build (sbert without its model) falls back to the default.
    with svc.db.transaction() as conn:
        conn.execute("UPDATE case_vectors SET encoder = 'sbert'")
    assert resolve_encoder(auto, svc.db).encoder == NEW_DIRECTORY_ENCODER
    svc.close()


def test_new_directory_int8_existing_use_m3_kept_until_re_encoded(tmp_path: Path, segmenter: Segmenter) -> None:
    # A new directory with the default settings gets use-m3-int8, and keeps it.
    fresh = LeianService(make_settings(tmp_path / "new"), segmenter=segmenter)
    assert fresh.encoder.name == "use-m3-int8" and fresh.health()["encoder"] == "use-m3-int8"
    fresh.ingest(ROWS)
    fresh.close()
    # A directory indexed with use-m3 by a version before "auto" (no record: the default then).
    old_dir = tmp_path / "old"
    old = LeianService(make_settings(old_dir, encoder="use-m3"), segmenter=segmenter)
    old.ingest(ROWS)
    _forget_the_record(old)
    old.close()
    upgraded = LeianService(make_settings(old_dir), segmenter=segmenter)
    assert upgraded.encoder.name == "use-m3"
    assert not upgraded.index.rebuilt_from_db  # its saved index is used as it is, nothing re-encoded
    hits = upgraded.search(text="拖欠工资", k=2)
    assert hits and hits[0].case.external_no == "E-1"
    upgraded.close()
    # `leian --encoder use-m3-int8 reindex --re-encode` switches it; "auto" then keeps int8.
    switch = LeianService(make_settings(old_dir, encoder="use-m3-int8"), segmenter=segmenter, open_index=False)
    assert switch.reindex(re_encode=True) == 2
    switch.close()
    after = LeianService(make_settings(old_dir), segmenter=segmenter)
    assert after.encoder.name == "use-m3-int8" and not after.index.rebuilt_from_db
    # An explicit LEIAN_ENCODER still wins on that directory.
    explicit = LeianService(
        load_settings({"LEIAN_ENCODER": "use-m3", "LEIAN_DATA_DIR": str(old_dir)}), segmenter=segmenter
    )
    assert explicit.encoder.name == "use-m3"
    explicit.close()
    after.close()
