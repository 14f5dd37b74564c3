"""`leian eval`: loaders, metrics and every task on small synthetic data (hashing encoder)."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from api.cli import cli, register_commands
from indexing.encoders.chunking import ChunkedEncoder, split_chunks
from indexing.encoders.hashing import HashingEncoder
from indexing.segment import Segmenter, default_userdict
from kb.errors import InvalidInputError
from kb.evaluation import datasets, metrics
from kb.evaluation.clustering import evaluate_clustering
from kb.evaluation.duplicates import evaluate_duplicates
from kb.evaluation.engine import Engine
from kb.evaluation.report import summary_lines, to_markdown
from kb.evaluation.retrieval import evaluate_retrieval
from kb.evaluation.routing import evaluate_routing, fit_router
from kb.evaluation.triplets import evaluate_triplets
from kb.settings import Settings
from tests.conftest import REPO

TOPICS = {
    "劳动和社会保障": ["工资", "拖欠", "农民工", "社保", "养老保险", "劳动合同", "加班费", "用人单位"],
    "城乡建设": ["小区", "物业", "停车位", "电梯", "房产证", "开发商", "拆迁", "违建"],
    "教育文体": ["学校", "学生", "老师", "补课", "学位", "幼儿园", "招生", "校车"],
}


def message(topic: str, rng: random.Random, n: int = 6) -> str:
    words = rng.sample(TOPICS[topic], n)
    return "反映" + "，".join(words) + "的问题，请有关部门尽快处理。"


def labelled_rows(per_topic: int = 12, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [
        {"id": f"{topic}-{i}", "text": message(topic, rng), "label": topic}
        for topic in TOPICS
        for i in range(per_topic)
    ]


def write_jsonl(path: Path, rows: list[dict], gz: bool = False) -> Path:
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    if gz:
        path.write_bytes(gzip.compress(body.encode("utf-8")))
    else:
        path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def eval_segmenter() -> Segmenter:
    # Plain jieba when the project dictionaries are not installed: these tests are about the harness.
    return Segmenter() if default_userdict().is_file() else Segmenter(include_defaults=False)


@pytest.fixture
def engine(eval_segmenter: Segmenter) -> Engine:
    return Engine(Settings(threads=2, encoder="hashing"), HashingEncoder(), eval_segmenter)


# -- datasets ------------------------------------------------------------------------------------
def test_reads_gzip_and_plain_alike(tmp_path: Path) -> None:
    rows = labelled_rows(2)
    plain = datasets.load("labelled", write_jsonl(tmp_path / "a.jsonl", rows))
    zipped = datasets.load("labelled", write_jsonl(tmp_path / "a.jsonl.gz", rows, gz=True))
    assert plain == zipped and len(plain) == 6


def test_malformed_line_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "1", "text": "甲"}\n{"id": "2", "text": \n{"id": "3"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        datasets.load("corpus", path)
    assert "第 2 行" in err.value.message and "JSON" in err.value.message
    path.write_text('{"id": "1", "text": "甲"}\n{"id": "3", "text": ""}\n{"id": "1", "text": "乙"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        datasets.load("corpus", path)
    problems = {(p.row, p.field) for p in err.value.problems}
    assert problems == {(2, "text"), (3, "id")}


def test_triplet_and_query_fields_are_checked(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl", [{"id": "t1", "text_a": "甲", "text_b": "乙", "text_c": "丙", "label": "D"}]
    )
    with pytest.raises(InvalidInputError, match="label"):
        datasets.load("triplets", path)
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "q1", "text": "甲", "relevance": {"d1": 5}}])
    with pytest.raises(InvalidInputError, match="relevance"):
        datasets.load("queries", path)


# -- metrics -------------------------------------------------------------------------------------
def test_ranking_metrics_match_hand_computation() -> None:
    ranked = ["a", "x", "b", "y"]
    grades = {"a": 3, "b": 3, "c": 3, "x": 1}
    assert metrics.precision_at(ranked, {"a", "b", "c"}, 5) == pytest.approx(2 / 5)
    assert metrics.average_precision(ranked, {"a", "b", "c"}) == pytest.approx((1 + 2 / 3) / 3)
    dcg = 7 + 1 / np.log2(3) + 7 / 2
    ideal = 7 + 7 / np.log2(3) + 7 / 2 + 1 / np.log2(5)
    assert metrics.ndcg_at(ranked, grades, 10) == pytest.approx(dcg / ideal)


def test_pair_and_cluster_metrics() -> None:
    groups = {"a": "g1", "b": "g1", "c": "g2", "d": "g2", "e": None}
    found = metrics.pair_metrics({"a": ["b", "e"], "b": ["e", "a"], "c": ["e"], "d": ["c"]}, groups)
    assert found["recall"] == pytest.approx(3 / 4) and found["precision"] == pytest.approx(2 / 4)
    perfect = metrics.clustering_metrics(["x", "x", "y", "y"], [0, 0, 1, 1])
    assert perfect["NMI"] == pytest.approx(1.0) and perfect["unassigned"] == 0.0
    assert metrics.clustering_metrics(["x", "x", "y", "y"], [0, 0, -1, -1])["unassigned"] == 0.5


# -- chunking ------------------------------------------------------------------------------------
def test_chunked_encoder_keeps_the_contract() -> None:
    base = HashingEncoder(64)
    chunked = ChunkedEncoder(base, chunk_chars=10)
    short, long = "短文本", "甲乙丙丁戊己庚辛壬癸" * 3
    out = chunked.encode([short, long])
    assert out.shape == (2, 64) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.allclose(out[0], base.encode([short])[0], atol=1e-6)
    mean = base.encode(split_chunks(long, 10, 8)).sum(axis=0)
    assert np.allclose(out[1], mean / np.linalg.norm(mean), atol=1e-5)
    assert chunked.name != base.name


# -- tasks ---------------------------------------------------------------------------------------
def test_triplets_rank_the_shared_topic_first(engine: Engine) -> None:
    rng = random.Random(3)
    rows = [
        {
            "id": f"t{i}",
            "text_a": message("城乡建设", rng),
            "text_b": message("城乡建设", rng),
            "text_c": message("教育文体", rng),
            "label": "B",
        }
        for i in range(6)
    ]
    rows.append(
        {
            "id": "swap",
            "text_a": message("教育文体", rng),
            "text_b": message("城乡建设", rng),
            "text_c": message("教育文体", rng),
            "label": "C",
        }
    )
    result = evaluate_triplets(rows, engine)
    for system in ("bm25", "dense", "hybrid", "char-bigram tf-idf"):
        assert result["systems"][system]["accuracy"] == 1.0, system
    assert summary_lines(result)[0] == "accuracy: 1.000"


def test_retrieval_with_and_without_pools(engine: Engine) -> None:
    rng = random.Random(5)
    corpus = [
        {"id": f"d{t}{i}", "text": message(topic, rng), "group": f"p{i % 2}"}
        for t, topic in enumerate(TOPICS)
        for i in range(4)
    ]
    queries = [
        {
            "id": f"q{t}",
            "text": message(topic, rng),
            "group": "p0",
            "relevance": {d["id"]: (3 if d["id"].startswith(f"d{t}") else 0) for d in corpus},
        }
        for t, topic in enumerate(TOPICS)
    ]
    whole = evaluate_retrieval(corpus, queries, engine)
    pooled = evaluate_retrieval(corpus, queries, engine, pool_field="group")
    for result in (whole, pooled):
        for system in ("bm25", "dense", "hybrid"):
            assert result["systems"][system]["MAP"] == pytest.approx(1.0), system
    # The whole corpus holds 4 relevant rows per query; its `group` pool holds only 2 of them.
    assert whole["systems"]["hybrid"]["P@5"] == pytest.approx(4 / 5)
    assert pooled["systems"]["hybrid"]["P@5"] == pytest.approx(2 / 5)
    with pytest.raises(InvalidInputError):
        evaluate_retrieval(corpus, [{**queries[0], "relevance": {"nope": 3}}], engine)


def test_routing_kfold_and_fit_router(engine: Engine) -> None:
    rows = labelled_rows(10)
    result = evaluate_routing(rows, None, engine, folds=3, unlabeled=[r["text"] for r in labelled_rows(3, seed=9)])
    configured = result["systems"][result["configured"]]
    assert configured["macro_f1"] >= 0.9
    assert np.asarray(configured["confusion"]).sum() == len(rows)
    for method in ("knn-bm25", "knn-dense", "knn-hybrid", "linear"):
        assert 0.0 <= result["systems"][method]["accuracy"] <= 1.0
    router = fit_router([r["text"] for r in rows], [r["label"] for r in rows], engine)
    rng = random.Random(11)
    assert router.predict([message("教育文体", rng), message("劳动和社会保障", rng)]) == ["教育文体", "劳动和社会保障"]
    assert "Confusion matrix" in to_markdown(result)


def test_clustering_and_duplicates(engine: Engine) -> None:
    rows = labelled_rows(10)
    result = evaluate_clustering(rows, engine)
    kmeans = result["systems"]["kmeans k=3 hybrid"]
    assert kmeans["NMI"] > 0.5 and kmeans["groups"] == 3
    assert 0.0 <= result["systems"][result["configured"]]["unassigned"] <= 1.0
    families = result["systems"]["product families"]  # the level above matter groups (issue 19)
    assert families["groups"] <= result["systems"][result["configured"]]["groups"]
    assert families["unassigned"] == result["systems"][result["configured"]]["unassigned"]
    dup_rows = [{**r, "group": None} for r in rows]
    dup_rows += [{"id": f"dup{i}", "text": r["text"] + "！", "group": f"g{i}"} for i, r in enumerate(rows[:5])]
    for i in range(5):
        dup_rows[i]["group"] = f"g{i}"
    dups = evaluate_duplicates(dup_rows, engine)
    assert dups["systems"]["hybrid"]["recall@10"] == 1.0
    assert dups["systems"]["dense"]["precision"] == 1.0


# -- command line --------------------------------------------------------------------------------
def test_cli_triplets_writes_json_and_ends_with_metric_lines(tmp_path: Path) -> None:
    register_commands()
    rng = random.Random(4)
    rows = [
        {
            "id": f"t{i}",
            "text_a": message("城乡建设", rng),
            "text_b": message("城乡建设", rng),
            "text_c": message("教育文体", rng),
            "label": "B",
        }
        for i in range(4)
    ]
    data = write_jsonl(tmp_path / "trip.jsonl.gz", rows, gz=True)
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    res = CliRunner().invoke(
        cli,
        ["--encoder", "hashing", "eval", "triplets", "--data", str(data), "--json-out", str(out), "--md-out", str(md)],
    )
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-2:] == ["accuracy: 1.000", "ties: 0.000"]
    assert json.loads(out.read_text(encoding="utf-8"))["systems"]["bm25"]["accuracy"] == 1.0
    assert "| hybrid (configured) |" in md.read_text(encoding="utf-8")


def test_cli_reports_bad_rows_and_bad_options(tmp_path: Path) -> None:
    register_commands()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "甲", "label": "x"}\n{"id": "2", "text": "乙"}\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["--encoder", "hashing", "eval", "routing", "--data", str(bad)])
    assert res.exit_code == 2 and "第 2 行" in res.output and "label" in res.output
    res = CliRunner().invoke(cli, ["--encoder", "hashing", "eval", "routing", "--train", str(bad)])
    assert res.exit_code == 2 and "--test" in res.output


# -- real data smoke (../shared/eval) ------------------------------------------------------------
EVAL_DIR = REPO.parent / "shared" / "eval"


def eval_slice(name: str, keep: int, pick: object = None) -> list[dict]:
    rows = datasets.read_jsonl(EVAL_DIR / name)
    chosen = [row for _, row in rows if pick is None or pick(row)]  # type: ignore[operator]
    return chosen[:keep]


@pytest.mark.realdata
@pytest.mark.skipif(not EVAL_DIR.is_dir(), reason="../shared/eval is absent")
def test_realdata_smoke_every_task(tmp_path: Path, eval_segmenter: Segmenter) -> None:
    """Each task on a small slice of the real data with the configured (real) encoder."""
    engine = Engine(Settings(threads=2), segmenter=eval_segmenter)
    trip = evaluate_triplets(eval_slice("legal_triplets.jsonl.gz", 8), engine)
    assert set(trip["systems"]) >= {"bm25", "dense", "hybrid", "char-bigram tf-idf"}
    labelled = [
        r
        for label in sorted(TOPICS)
        for r in eval_slice("gov_messages_labeled.jsonl.gz", 8, lambda r, lab=label: r["label"] == lab)
    ]
    assert len(labelled) == 24
    clusters = evaluate_clustering(labelled, engine)
    assert 0.0 <= clusters["systems"][clusters["configured"]]["NMI"] <= 1.0
    first_groups = {r["group"] for r in eval_slice("gov_messages_unlabeled.jsonl.gz", 8, lambda r: r.get("group"))}
    grouped = eval_slice("gov_messages_unlabeled.jsonl.gz", 40, lambda r: r.get("group") in first_groups)
    others = eval_slice("gov_messages_unlabeled.jsonl.gz", 20, lambda r: not r.get("group"))
    dups = evaluate_duplicates(grouped + others, engine)
    assert dups["systems"]["hybrid"]["recall@10"] > 0.5
    # Routing end to end through the command line, on a file written like the real one.
    data = write_jsonl(tmp_path / "labelled.jsonl.gz", labelled, gz=True)
    register_commands()
    res = CliRunner().invoke(cli, ["eval", "routing", "--data", str(data), "--folds", "3"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1].startswith("macro_f1: ")


def test_clustering_scores_only_the_labelled_rows_of_a_partly_labelled_corpus(tmp_path: Path) -> None:
    rows = labelled_rows(10)
    for row in rows[::3]:
        row["label"] = None if int(row["id"].rsplit("-", 1)[1]) % 2 else ""
    scored = sum(1 for r in rows if r["label"])
    path = write_jsonl(tmp_path / "partial.jsonl", rows)
    register_commands()
    out = CliRunner().invoke(
        cli,
        ["eval", "clustering", "--data", str(path), "--json-out", str(tmp_path / "c.json")],
        env={"LEIAN_ENCODER": "hashing"},
    )
    assert out.exit_code == 0, out.output
    result = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert f"{len(rows)} rows clustered, {scored} labelled rows scored" in " ".join(result["notes"])
    assert result["systems"]["kmeans k=3 hybrid"]["NMI"] > 0.5
    unlabelled = [{"id": f"u{i}", "text": r["text"]} for i, r in enumerate(rows[:1])]
    with pytest.raises(InvalidInputError, match="至少需要 2 行带 label"):
        evaluate_clustering(unlabelled, Engine(Settings(encoder="hashing"), HashingEncoder()))


def test_clustering_baselines_sample_large_corpora(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.evaluation import clustering

    rows = labelled_rows(10)
    for row in rows[1::2]:
        row["label"] = None
    monkeypatch.setattr(clustering, "BASELINE_MAX", 20)
    sample = clustering.baseline_rows([bool(r["label"]) for r in rows], 20)
    labelled = {i for i, r in enumerate(rows) if r["label"]}
    assert len(sample) == 20 and labelled <= set(sample.tolist())  # every labelled row, then unlabelled
    result = evaluate_clustering(rows, engine)
    assert "seeded sample of 20 rows (15 labelled)" in " ".join(result["notes"])
    assert result["systems"]["kmeans k=3 dense"]["groups"] == 3


def test_nested_routing_chooses_inside_and_scores_outside(tmp_path: Path) -> None:
    rows = labelled_rows(9)
    rng = random.Random(5)
    for row in rows[::4]:  # some noise, so configs differ
        row["text"] = message(rng.choice(list(TOPICS)), rng, 3) + row["text"][:12]
    path = write_jsonl(tmp_path / "routing.jsonl", rows)
    unlabeled = write_jsonl(
        tmp_path / "extra.jsonl", [{"id": f"x{i}", "text": r["text"]} for i, r in enumerate(labelled_rows(2, 7))]
    )
    register_commands()
    out = CliRunner().invoke(
        cli,
        [
            "eval",
            "routing",
            "--data",
            str(path),
            "--folds",
            "3",
            "--nested",
            "--inner-folds",
            "2",
            "--no-taxonomy",
            "--unlabeled",
            str(unlabeled),
            "--json-out",
            str(tmp_path / "r.json"),
        ],
        env={"LEIAN_ENCODER": "hashing"},
    )
    assert out.exit_code == 0, out.output
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    nested, same = result["systems"]["nested"], result["systems"]["best of grid, same folds"]
    assert len(result["chosen"]) == 3 and nested["min"] <= nested["macro_f1"] <= nested["max"]
    assert 0.0 <= same["macro_f1"] <= 1.0 and nested["std"] >= 0.0
    assert "nested + self-training" in result["systems"]
    bad = CliRunner().invoke(cli, ["eval", "routing", "--train", str(path), "--test", str(path), "--nested"])
    assert bad.exit_code != 0 and "--nested 需要 --data" in bad.output
