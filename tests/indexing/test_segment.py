"""Normalisation and segmentation: the same tokens at index and query time."""

from __future__ import annotations

from pathlib import Path

from indexing.segment import Segmenter
from indexing.text import normalize


def test_normalize_fullwidth_traditional_and_control() -> None:
    assert normalize("ＡＢＣ１２３，　拖欠") == "ABC123, 拖欠"
    assert normalize("廣州市勞動監察") == "广州市劳动监察"
    assert normalize("a\x00b\x1f  c\n\nd") == "ab c d"


def test_user_dictionary_keeps_domain_terms_whole(segmenter: Segmenter) -> None:
    tokens = segmenter.tokens("包工头拖欠农民工工资，我们去广州市天河区人社局反映养老保险断缴")
    for term in ("拖欠", "天河区", "养老保险"):
        assert any(term in t for t in tokens), (term, tokens)
    assert "农民工工资" in tokens or "拖欠农民工工资" in tokens or "农民工" in tokens


def test_stopwords_and_punctuation_are_dropped(segmenter: Segmenter) -> None:
    tokens = segmenter.tokens("尊敬的领导您好！我们希望有关部门尽快解决，谢谢。123")
    assert not {"的", "！", "，", "。", "123", "您好", "谢谢"} & set(tokens)


def test_traditional_and_fullwidth_queries_match_simplified_index(segmenter: Segmenter) -> None:
    assert segmenter.tokens("拖欠工資３個月") == segmenter.tokens("拖欠工资3个月")


def test_deployment_can_extend_dictionary_and_stopwords(tmp_path: Path) -> None:
    userdict = tmp_path / "extra.txt"
    userdict.write_text("鑫达物流园 10 n\n", encoding="utf-8")
    stops = tmp_path / "stop.txt"
    stops.write_text("物流\n", encoding="utf-8")
    seg = Segmenter([userdict], [stops])
    tokens = seg.tokens("鑫达物流园拖欠运费，物流公司不管")
    assert "鑫达物流园" in tokens
    assert "物流" not in tokens


def test_missing_user_dictionary_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    try:
        Segmenter([missing])
    except FileNotFoundError as exc:
        assert str(missing) in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected FileNotFoundError")


def test_remembered_tokens_are_copies_and_forgotten_when_words_are_added(tmp_path: Path) -> None:
    seg = Segmenter(backend="jieba")
    text = "快运通平台拖欠运费"
    first = seg.tokens(text)
    assert "快运通平台" not in first
    first.append("被调用方改动")
    assert seg.tokens(text) == first[:-1]  # the remembered list is not the caller's
    seg.add_words(["快运通平台"])
    assert "快运通平台" in seg.tokens(text)
