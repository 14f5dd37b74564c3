"""The seeded synthetic petition generator (samplegen) and the bundled sample data."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from samplegen import (
    CASE_KEYS,
    CATEGORY_DEPARTMENT,
    ISSUE_TYPES,
    LITIGATION_CATEGORIES,
    generate_cases,
    id_check_char,
    is_valid_id,
    iter_cases,
    iter_records,
)
from samplegen import phrases as P
from samplegen.__main__ import main as cli_main
from samplegen.lexicon import PETITION_TERMS, userdict_entries
from samplegen.people import random_person
from samplegen.slots import apply_oneoff, apply_topic, base_slots, repeat_slots
from samplegen.vocab import CITY_NAMES, DISTRICTS, PLACES, words
from tests.conftest import REPO

SAMPLES = REPO / "data" / "samples"
RESOURCES = REPO / "indexing" / "resources"
SEED = 20261127
N = 2400

TRUTH_KEYS = ("external_no", "issue_type", "topic", "repeat_of", "exact_resubmission", "group_petition", "litigation")
STATUSES = {"pending", "in_progress", "resolved", "unresolved", "closed"}
PII = re.compile(r"1[3-9]\d{9}|44\d{15}[\dX]")


@pytest.fixture(scope="module")
def records() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return list(iter_records(N, seed=SEED))


@pytest.fixture(scope="module")
def cases(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    return [c for c, _ in records]


def test_same_seed_same_output_and_different_seed_differs() -> None:
    a = generate_cases(300, seed=5)
    assert a == generate_cases(300, seed=5)
    assert a == list(iter_cases(300, seed=5))
    b = generate_cases(300, seed=6)
    assert [c["content"] for c in a] != [c["content"] for c in b]


def test_iter_cases_is_lazy() -> None:
    first = next(iter_cases(1_000_000, seed=3))
    assert set(first) == set(CASE_KEYS)


def test_bundled_samples_are_reproducible(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    lines = (SAMPLES / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    truth = (SAMPLES / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == [c for c, _ in records]
    assert [json.loads(x) for x in truth] == [t for _, t in records]
    assert "SYNTHETIC" in (SAMPLES / "README.md").read_text(encoding="utf-8")


def test_cli_writes_both_files(tmp_path: Path) -> None:
    assert cli_main(["--n", "25", "--seed", "9", "--out", str(tmp_path), "--quiet"]) == 0
    cases = [json.loads(x) for x in (tmp_path / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = [json.loads(x) for x in (tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(cases) == len(truth) == 25
    assert cases == generate_cases(25, seed=9)


def test_external_numbers_unique_and_well_formed(cases: list[dict[str, Any]]) -> None:
    numbers = [c["external_no"] for c in cases]
    assert len(set(numbers)) == len(numbers)
    for c in cases:
        m = re.fullmatch(r"GD(\d{4})-(\d{2})(\d{2})-(\d{6,})", c["external_no"])
        assert m, c["external_no"]
        assert f"{m[1]}-{m[2]}-{m[3]}" == c["received_date"]
    many = [c["external_no"] for c in iter_cases(20_000, seed=1, start="2025-01-01", end="2025-01-10")]
    assert len(set(many)) == len(many)


def test_identity_numbers_have_valid_check_digits(cases: list[dict[str, Any]]) -> None:
    assert id_check_char("11010519491231002") == "X"  # the GB 11643 textbook example
    assert not is_valid_id("110105194912310021")
    for c in cases:
        pid = c["petitioner_id"]
        assert is_valid_id(pid) and pid.startswith("44"), pid
        birth = dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
        assert 17 <= (dt.date.fromisoformat(c["received_date"]) - birth).days / 365.25 <= 90
        assert re.fullmatch(r"1(3\d|5[0-35-9]|8\d|9[189])\d{8}", c["petitioner_phone"])


def test_every_field_present_with_the_right_type(cases: list[dict[str, Any]]) -> None:
    for c in cases:
        assert tuple(c) == CASE_KEYS
        for key in ("external_no", "title", "content", "received_date", "channel", "city", "district"):
            assert isinstance(c[key], str) and c[key]
        assert 10 <= len(c["title"]) <= 30, c["title"]
        assert 60 <= len(c["content"]) <= 600, c["content"]
        assert "{" not in c["content"] + c["title"] and "G|" not in c["content"]
        assert c["channel"] in {"来信", "来访", "网上", "热线"}
        assert c["city"] in CITY_NAMES
        assert (c["city"], c["district"]) in PLACES
        assert CATEGORY_DEPARTMENT[c["category"]] == c["department"]
        assert c["status"] in STATUSES
        assert isinstance(c["litigation"], bool)
        assert isinstance(c["participants"], int)
        assert c["participants"] == 1 or 5 <= c["participants"] <= 300
        received = dt.date.fromisoformat(c["received_date"])
        assert dt.date(2024, 12, 1) <= received <= dt.date(2026, 11, 20)
        if c["status"] in ("resolved", "closed"):
            assert isinstance(c["resolution_note"], str) and c["resolution_note"]
            assert dt.date.fromisoformat(c["resolved_date"]) > received
        else:
            assert c["resolution_note"] is None and c["resolved_date"] is None


def test_categories_cities_and_status_by_age(cases: list[dict[str, Any]]) -> None:
    categories = Counter(c["category"] for c in cases)
    assert len(ISSUE_TYPES) >= 24 and len(categories) == len(ISSUE_TYPES)
    cities_by_cat: dict[str, set[str]] = defaultdict(set)
    for c in cases:
        cities_by_cat[c["category"]].add(c["city"])
    assert all(len(v) >= 5 for v in cities_by_cat.values()), cities_by_cat
    assert len({c["city"] for c in cases}) == 21
    top = [city for city, _ in Counter(c["city"] for c in cases).most_common(4)]
    assert set(top) == {"广州市", "深圳市", "东莞市", "佛山市"}
    old = Counter(c["status"] for c in cases if c["received_date"] < "2025-12-01")
    recent = Counter(c["status"] for c in cases if c["received_date"] >= "2026-11-01")
    assert (old["resolved"] + old["closed"]) / sum(old.values()) > 0.6
    assert (recent["pending"] + recent["in_progress"]) / sum(recent.values()) > 0.6


def test_truth_rows_align_with_cases(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for case, truth in records:
        assert tuple(truth) == TRUTH_KEYS
        assert truth["external_no"] == case["external_no"]
        assert truth["issue_type"] == case["category"]
        assert truth["litigation"] == case["litigation"]
        assert truth["group_petition"] == (case["participants"] > 1)
        assert truth["topic"].split(":")[0]


def test_repeats_point_to_earlier_cases_of_the_same_petitioner(
    records: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    index = {c["external_no"]: i for i, (c, _) in enumerate(records)}
    reworded = exact = 0
    for i, (case, truth) in enumerate(records):
        if truth["repeat_of"] is None:
            assert not truth["exact_resubmission"]
            continue
        j = index[truth["repeat_of"]]
        orig, orig_truth = records[j]
        assert j < i
        for key in ("petitioner_id", "petitioner_name", "petitioner_phone", "category", "city", "district"):
            assert case[key] == orig[key], key
        assert truth["topic"] == orig_truth["topic"]
        gap = (dt.date.fromisoformat(case["received_date"]) - dt.date.fromisoformat(orig["received_date"])).days
        if truth["exact_resubmission"]:
            exact += 1
            assert case["content"] == orig["content"] and 1 <= gap <= 120
        else:
            reworded += 1
            assert case["content"] != orig["content"] and 10 <= gap <= 200
    assert 0.05 < reworded / N < 0.11
    assert 0.004 < exact / N < 0.02


def test_group_and_litigation_shares(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    groups = [c for c, t in records if t["group_petition"]]
    assert 0.03 < len(groups) / N < 0.08
    assert any("联名" in c["content"] or "集体" in c["content"] for c in groups)
    for c, _ in records:
        if c["category"] in LITIGATION_CATEGORIES:
            assert c["litigation"]
    legal = {"不服法院判决", "法院执行难", "公安不予立案"}
    assert legal == LITIGATION_CATEGORIES
    other = [c for c, _ in records if c["category"] not in LITIGATION_CATEGORIES]
    share = sum(c["litigation"] for c in other) / len(other)
    assert 0.015 < share < 0.05
    # Non-litigation texts mention legal words loosely, so keyword detection is not trivial.
    loose = [c for c in other if not c["litigation"] and re.search("依法|律师|诉讼|法律", c["content"])]
    assert len(loose) > 50


def test_contents_are_varied(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    originals = [c["content"] for c, t in records if not t["exact_resubmission"]]
    duplicates = len(originals) - len(set(originals))
    assert duplicates / len(originals) < 0.02
    by_topic: dict[str, list[str]] = defaultdict(list)
    for c, t in records:
        if t["repeat_of"] is None:
            by_topic[t["topic"]].append(c["content"])
    biggest = max(by_topic.values(), key=len)
    assert len(biggest) > 20 and len(set(biggest)) == len(biggest)
    openings = Counter(c["content"][:12] for c, _ in records)
    assert openings.most_common(1)[0][1] < 0.15 * N
    masked = sum(bool(PII.search(c["content"])) for c, _ in records)
    assert 0.06 < masked / N < 0.15


def test_topics_recur_and_one_offs_are_unique(records: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for it in ISSUE_TYPES:
        assert 3 <= len(it.topics) <= 8, it.name
    topics = Counter(t["topic"] for _, t in records if t["repeat_of"] is None)
    one_offs = [k for k in topics if ":单发:" in k]
    assert all(topics[k] == 1 for k in one_offs)
    assert 0.1 < len(one_offs) / sum(topics.values()) < 0.2
    assert sum(1 for k, v in topics.items() if v >= 10) >= 60


@pytest.mark.parametrize("it", ISSUE_TYPES, ids=lambda it: it.name)
def test_every_template_formats_for_every_topic(it: Any) -> None:
    rng = random.Random(0)
    day = dt.date(2026, 3, 15)
    city = "东莞市" if it.name != "征地补偿" else "清远市"
    place = PLACES[(city, DISTRICTS[city][0][0])]
    for group in (False, True):
        for tp in it.topics:
            person = random_person(rng, place.region, day, *it.ages)
            s = base_slots(rng, it, place, person, day, group=group, participants=30 if group else 1)
            apply_topic(rng, tp, s)
            if tp.clonable:
                apply_oneoff(rng, it, s)
            s = repeat_slots(s, day - dt.timedelta(days=40), "网上", day)
            s["rdate"] = "4月2日"
            pools = (
                it.titles, it.backgrounds, it.details, it.demands, it.resolutions, it.lit_extras,
                tp.titles, tp.backgrounds, tp.details, tp.demands,
                P.OPENINGS, P.INTROS, P.GROUP_VISIT, P.GROUP_LETTER, P.GROUP_SIGN, P.TRIED, P.LOOSE_LEGAL,
                P.IMPACTS, P.LIT_GENERIC, P.REPEATS, P.REPEAT_UPDATES, P.CLOSINGS, P.CONTACTS, P.GROUP_TITLES,
                P.RESOLVED_GENERIC, P.CLOSED_NOTES, P.DEMAND_LEADS,
            )  # fmt: skip
            for pool in pools:
                for template in pool:
                    text = template.removeprefix("G|").format_map(s)
                    assert "{" not in text and "}" not in text, template


def test_group_petitions_have_group_safe_templates() -> None:
    from samplegen.compose import group_safe

    for it in ISSUE_TYPES:
        if it.group_rate == 0:
            continue
        for tp in it.topics:
            assert group_safe(tp.backgrounds or it.backgrounds), (it.name, tp.key)
            assert group_safe(tp.demands or it.demands), (it.name, tp.key)
            assert group_safe(tp.details + it.details), (it.name, tp.key)


def test_jieba_resources() -> None:
    lines = (RESOURCES / "userdict.txt").read_text(encoding="utf-8").splitlines()
    entries = [ln.split(" ") for ln in lines]
    assert all(len(e) == 3 and e[1].isdigit() and e[0] for e in entries)
    assert [(w, int(f), p) for w, f, p in entries] == userdict_entries(), "regenerate: python -m samplegen.lexicon"
    vocab = {e[0] for e in entries}
    for city in CITY_NAMES:
        assert city in vocab and city.removesuffix("市") in vocab
        assert all(d in vocab for d, _ in DISTRICTS[city])
    for term in words(
        "拖欠工资 农民工工资 养老保险 涉法涉诉 集体访 包工头 网贷平台 烂尾楼 积分入学 人社厅 住建厅 快运通"
    ):
        assert term in vocab, term
    assert set(CATEGORY_DEPARTMENT.values()) <= vocab
    assert sum(len(words(t)) for t, _ in PETITION_TERMS) >= 150
    stops = (RESOURCES / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    assert len(stops) >= 400 and len(set(stops)) == len(stops)
    assert set(words("的 了 反映 请求 希望 领导 有关部门 尊敬 您好 问题 情况 相关 恳请 谢谢 本人 我们")) <= set(stops)
    assert not set(stops) & {"拖欠", "工资", "欠薪", "物业费", "征地", "拆迁", "运费", "执行"}


def test_documented_command_regenerates_the_bundle_byte_for_byte(tmp_path: Path) -> None:
    """The one command in data/samples/README.md reproduces the committed files exactly."""
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^python -m samplegen (.+)$", readme, re.MULTILINE)
    assert match, "data/samples/README.md documents `python -m samplegen ...`"
    argv = match.group(1).split()
    argv[argv.index("--out") + 1] = str(tmp_path)
    assert cli_main([*argv, "--quiet"]) == 0
    for name in ("cases.jsonl", "truth.jsonl"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_the_runtime_wheel_leaves_the_generator_out() -> None:
    """The wheel's package list, computed from pyproject's find config, has no samplegen, bench or tests."""
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(str(REPO), include=find["include"], exclude=find.get("exclude", ()))
    assert {"kb", "indexing", "api", "api.cli"} <= set(packages)
    assert not [p for p in packages if p.split(".")[0] in {"samplegen", "bench", "tests"}]
    assert (REPO / "samplegen" / "__main__.py").exists()


def test_runtime_code_never_imports_the_generator() -> None:
    """kb/, indexing/ and api/ run without samplegen; any data they need is a committed file."""
    import ast

    for package in ("kb", "indexing", "api"):
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                assert not [n for n in names if n.split(".")[0] == "samplegen"], path
