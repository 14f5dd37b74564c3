"""Handler wording (issue 19): the synonym lexicon, weighted expansion in BM25, short queries."""

from __future__ import annotations

import json
from pathlib import Path

from indexing.encoders.hashing import HashingEncoder
from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from indexing.synonyms import Lexicon
from kb.search import SYNONYM_WEIGHT
from kb.service import LeianService
from tests.conftest import SAMPLES, make_settings

TRUTH = SAMPLES.parent / "truth.jsonl"
REVIEW = ("采石场老板拖欠我的石料运输费8万元，拖了两年不给", "石场老板欠我拉石头的钱三万多")


def test_bundled_lexicon_links_handler_words() -> None:
    lex = Lexicon()
    assert {"运费", "拉货的钱"} <= lex.related("运输费")
    assert "开发商" in lex.related("房企")
    assert {"工资", "薪水", "血汗钱"} <= lex.related("工钱")
    assert "被执行人" in lex.related("老赖")
    assert "承包人" in lex.related("包工头")


def test_phrase_split_by_jieba_is_found_in_the_text(segmenter: Segmenter) -> None:
    text = REVIEW[1]
    tokens = segmenter.tokens(text)
    assert "拉石头的钱" not in tokens  # the lexicon never changes segmentation
    extra = segmenter.expansion(text, tokens, SYNONYM_WEIGHT)
    assert extra["运费"] == 1.0  # stands in for the split phrase
    other = "运输费一直没结"
    assert segmenter.expansion(other, segmenter.tokens(other), SYNONYM_WEIGHT)["运费"] == SYNONYM_WEIGHT
    assert not set(extra) & set(tokens)


def test_lexicon_words_match_a_scan_of_every_word(segmenter: Segmenter, sample_rows: list[tuple[int, dict]]) -> None:
    """``Lexicon.in_text`` (a fixed word set and phrase list) finds what asking every lexicon word
    about the tokens and the text did, on the sample petitions and their 120-character openings."""
    from indexing.text import normalize

    words = segmenter.lexicon.words()
    found = 0
    for text in [*REVIEW, *(r["content"] for _, r in sample_rows[:300]), *(r["content"][:120] for _, r in sample_rows)]:
        tokens = segmenter.tokens(text)
        flat = normalize(text).lower()
        want = (set(tokens) & words) | {w for w in words if len(w) > 1 and w in flat}
        assert segmenter.lexicon_words(text, tokens) == want
        found += bool(want)
    assert found > 100  # the comparison saw lexicon words, not only empty answers


def test_deployment_lexicon_extends_the_bundled_one(tmp_path: Path) -> None:
    extra = tmp_path / "local.txt"
    extra.write_text("# 本地说法\n出租屋 租住房 城中村房\n", encoding="utf-8")
    seg = Segmenter(synonyms=[extra])
    assert "租住房" in seg.lexicon.related("出租屋")
    assert "运费" in seg.lexicon.related("运输费")  # bundled groups kept
    settings = make_settings(tmp_path, synonyms=(extra,))
    svc = LeianService(settings, encoder=HashingEncoder())
    try:
        assert "租住房" in svc.segmenter.lexicon.related("出租屋")
    finally:
        svc.close()


def test_expanded_terms_score_below_the_original() -> None:
    bm25 = BM25Index()
    bm25.add_many([(1, ["运费", "平台"]), (2, ["运输费", "平台"]), (3, ["工资", "老板"])])
    ids, scores = bm25.top_k(["运输费"], 3, extra={"运费": SYNONYM_WEIGHT})
    got = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    assert set(got) == {1, 2}
    assert got[2] > got[1] > 0  # the literal word outranks its synonym
    only, _ = bm25.top_k(["运输费"], 3)
    assert only.tolist() == [2]


def test_review_examples_return_freight_cases(tmp_path: Path, segmenter: Segmenter) -> None:
    truth = [json.loads(line) for line in TRUTH.open(encoding="utf-8")]
    rows = [json.loads(line) for line in SAMPLES.open(encoding="utf-8")]
    keep = [
        (i, r)
        for i, (r, t) in enumerate(zip(rows, truth, strict=True), start=1)
        if t["issue_type"] in ("货运平台拖欠运费", "拖欠农民工工资")
    ][:300]
    svc = LeianService(make_settings(tmp_path), encoder=HashingEncoder(), segmenter=segmenter)
    try:
        svc.ingest(keep)
        # The lexical side is what the lexicon changes (the fake encoder's vectors know no wording;
        # hybrid with USE-m3 on the whole demo corpus is bench/wording.py's figure).
        for text in REVIEW:
            hits = svc.search(text=text, k=5, mode="lexical")
            freight = [h for h in hits if h.case.category == "货运平台拖欠运费"]
            assert len(freight) >= 4, (text, [h.case.category for h in hits])
    finally:
        svc.close()
