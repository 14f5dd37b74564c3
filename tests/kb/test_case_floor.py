"""Relevance floor for similar-case hits (issue 19, item 5): a hit sharing no informative word with
the query and weak in dense similarity is 相关度较低, in the API's JSON and the CLI; nonsense input
gets no confident hit, a real query keeps its confident ones."""

from __future__ import annotations

from typing import Any

from kb.search import CASE_DENSE_FLOOR, LOW_RELEVANCE, below_floor
from kb.service import LeianService
from tests.helpers import rows


def test_the_rule() -> None:
    assert below_floor([], CASE_DENSE_FLOOR - 0.01, CASE_DENSE_FLOOR)
    assert not below_floor([], CASE_DENSE_FLOOR, CASE_DENSE_FLOOR)
    assert not below_floor(["工资"], 0.0, CASE_DENSE_FLOOR)  # an informative shared word is evidence
    assert below_floor(["广州市"], 0.1, CASE_DENSE_FLOOR, {"广州市"}.__contains__)  # a place name is not
    assert below_floor([], None, CASE_DENSE_FLOOR)  # a lexical-only hit with nothing shown


def test_nonsense_gets_only_low_hits_and_a_real_query_confident_ones(service: LeianService, client: Any) -> None:
    service.ingest(rows())
    junk = client.post("/api/search", json={"text": "asdfgh qwerty 12345", "k": 5}).json()["hits"]
    assert junk and all(h["low_relevance"] for h in junk)
    assert all(h["reasons"][0].startswith(LOW_RELEVANCE) for h in junk)
    real = client.post("/api/search", json={"text": "包工头拖欠农民工工资", "k": 3}).json()["hits"]
    assert real and not any(h["low_relevance"] for h in real)
    assert real[0]["my_mark"] is None


def test_the_cli_marks_low_hits(service: LeianService, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from api.cli import cli, register_commands

    service.ingest(rows())
    data_dir = service.settings.data_dir
    service.close()
    register_commands()
    env = {"LEIAN_PETITIONER_KEY": service.settings.petitioner_key or "", "LEIAN_THREADS": "1"}
    args = ["--data-dir", str(data_dir), "--encoder", "hashing", "search", "asdfgh qwerty 12345", "-k", "3"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "提示：所有结果均相关度较低" in result.output
    assert result.output.count("[相关度较低]") == 3
