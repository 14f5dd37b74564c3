"""Routing priors: titles and a category taxonomy (kb.evaluation.priors) in the router and the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter
from kb.errors import InvalidInputError
from kb.evaluation.engine import Engine
from kb.evaluation.priors import PriorFeatures, load_taxonomy, title_of
from kb.evaluation.routing import Router, evaluate_routing
from kb.settings import Settings

TAXONOMY = {
    "rows": [
        {"level1": "教育文体", "level2": "考试招生", "level3": "招生录取"},
        {"level1": "教育文体", "level2": "教育行政管理", "level3": "校园安全"},
        {"level1": "环境保护", "level2": "环境污染", "level3": "噪音污染"},
        {"level1": "环境保护", "level2": "环境污染", "level3": "水污染"},
        {"level1": "环境保护", "level2": "其他", "level3": "其他"},
    ]
}
FILLER = {"教育文体": ["学校", "学生", "老师", "家长"], "环境保护": ["工厂", "河道", "排放", "居民"]}
TERMS = {"教育文体": "招生录取", "环境保护": "噪音污染"}


@pytest.fixture
def engine() -> Engine:
    return Engine(Settings(threads=2, encoder="hashing"), HashingEncoder(), Segmenter(include_defaults=False))


def rows(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for label, words in FILLER.items():
        for i in range(n):
            body = "，".join(rng.sample(words, 3))
            out.append({"id": f"{label}{i}", "text": f"关于{TERMS[label]}的问题\n{body}，请处理。", "label": label})
    return out


def test_title_of_takes_the_first_line_or_sentence() -> None:
    assert title_of("小区噪音扰民\n每天晚上施工。") == "小区噪音扰民"
    assert title_of("反映拖欠工资。我在工地干了半年。") == "反映拖欠工资"
    assert len(title_of("长" * 500)) == 80


def test_load_taxonomy_drops_vague_terms_and_names_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    tax = load_taxonomy(path)
    assert tax["环境保护"] == ["噪音污染", "水污染", "环境污染"]
    assert "其他" not in tax["环境保护"]
    path.write_text(json.dumps([{"level2": "x"}]), encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_taxonomy(path)
    assert "一级分类" in str(err.value.problems[0].message)


def test_prior_features_point_at_the_class_whose_terms_occur(tmp_path: Path) -> None:
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    priors = PriorFeatures(load_taxonomy(path), ["教育文体", "环境保护"], 1.0, 1.0)
    f = priors.transform(["校园安全隐患\n操场围墙倒塌", "河道水污染\n工厂排放"])
    assert f.shape == (2, 4)
    # Term hits: columns 0-1; title bigrams unique to one class: columns 2-3.
    assert f[0, 0] > 0 and f[0, 1] == 0 and f[0, 2] > 0 and f[0, 3] == 0
    assert f[1, 1] > 0 and f[1, 0] == 0 and f[1, 3] > 0


def test_taxonomy_routes_a_term_never_seen_in_training(tmp_path: Path, engine: Engine) -> None:
    """校园安全 and 水污染 appear only in the taxonomy: the prior columns carry the decision."""
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    train = rows(8)
    texts, labels = [r["text"] for r in train], [r["label"] for r in train]
    vectors, tokens = engine.encode(texts), engine.segment(texts)
    router = Router(engine, method="linear", taxonomy=load_taxonomy(path)).fit(vectors, tokens, labels, texts)
    tests = ["校园安全\n操场", "水污染\n池塘"]
    found = router.predict(tests)
    assert found == ["教育文体", "环境保护"]
    with pytest.raises(ValueError):
        router.linear_proba(engine.encode(tests), engine.segment(tests))


def test_evaluate_routing_with_taxonomy_reports_it(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    result = evaluate_routing(rows(6), None, engine, folds=3, taxonomy=load_taxonomy(path))
    assert result["config"]["taxonomy"] is True
    assert result["systems"]["linear"]["macro_f1"] == pytest.approx(1.0)
    assert np.asarray(result["systems"]["combined"]["confusion"]).sum() == 12


def test_cli_uses_the_taxonomy_beside_the_data(tmp_path: Path) -> None:
    register_commands()
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows(6)) + "\n", encoding="utf-8")
    (tmp_path / "gov_category_taxonomy.json").write_text(json.dumps(TAXONOMY, ensure_ascii=False), encoding="utf-8")
    base = ["--encoder", "hashing", "eval", "routing", "--data", str(data), "--folds", "3"]
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, [*base, "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    assert any("gov_category_taxonomy.json" in note for note in json.loads(out.read_text("utf-8"))["notes"])
    res = CliRunner().invoke(cli, [*base, "--no-taxonomy", "--json-out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text("utf-8"))["config"]["taxonomy"] is False
