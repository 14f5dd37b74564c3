"""rjieba (jieba-rs) gives jieba's tokens with our user dictionaries and stopwords (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexing import segment_rust
from indexing.segment import Segmenter, default_userdict

pytestmark = pytest.mark.skipif(not segment_rust.available(), reason="rjieba is not installed")

REPO = Path(__file__).resolve().parents[2]


def _sample_texts() -> list[str]:
    rows = [json.loads(x) for x in (REPO / "data/samples/cases.jsonl").read_text(encoding="utf-8").splitlines()]
    return [f"{r['title']}。{r['content']}" if r.get("title") else r["content"] for r in rows]


@pytest.fixture(scope="module")
def pair() -> tuple[Segmenter, Segmenter]:
    return Segmenter(backend="jieba"), Segmenter(backend="rjieba")


def test_token_sequences_identical_on_the_sample_corpus(pair: tuple[Segmenter, Segmenter]) -> None:
    py, rs = pair
    assert (py.backend, rs.backend) == ("jieba", "rjieba")
    texts = _sample_texts()
    assert len(texts) >= 2000
    for text in texts:
        assert rs.tokens(text) == py.tokens(text), text[:60]


def test_raw_cuts_identical_including_numbers_and_punctuation(pair: tuple[Segmenter, Segmenter]) -> None:
    py, rs = pair
    # jieba-rs alone keeps 80-90, 4.2.3 and 2019.12.19 as one token each; jieba splits them.
    for text in ["补偿标准约80-90万元", "见第4.2.3条", "2019.12.19日反映", "电话0000-00000000", "现在有数万人"]:
        assert rs.cut(text) == py.cut(text)
    for text in _sample_texts()[:400]:
        assert rs.cut(text) == py.cut(text)


def test_user_dictionary_words_are_kept(pair: tuple[Segmenter, Segmenter]) -> None:
    py, rs = pair
    words = [line.split()[0] for line in default_userdict().read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(words) > 100
    for word in words:
        text = f"关于{word}的问题"
        assert rs.cut(text) == py.cut(text), word
    joined = "，".join(words)
    assert rs.cut(joined) == py.cut(joined)


def test_extra_user_dictionary_and_stopwords(tmp_path: Path) -> None:
    extra = tmp_path / "dict.txt"
    extra.write_text("龙湾拆迁办 5000 nt\n高压电缆 2000\n信访专员\n", encoding="utf-8")
    stops = tmp_path / "stops.txt"
    stops.write_text("补偿\n", encoding="utf-8")
    py = Segmenter([extra], [stops], backend="jieba")
    rs = Segmenter([extra], [stops], backend="rjieba")
    text = "龙湾拆迁办架设高压电缆，信访专员说补偿标准约80-90万元"
    assert rs.tokens(text) == py.tokens(text)
    assert {"龙湾拆迁办", "高压电缆", "信访专员"} <= set(rs.tokens(text))
    assert "补偿" not in rs.tokens(text)
    for text in _sample_texts()[:300]:
        assert rs.tokens(text) == py.tokens(text)


def test_added_words_match(pair: tuple[Segmenter, Segmenter]) -> None:
    py = Segmenter(backend="jieba")
    rs = Segmenter(backend="rjieba")
    py.add_words(["石头钱", "高压"])
    rs.add_words(["石头钱", "高压"])
    for text in ["拉石头的钱和石头钱", "高压电缆", *_sample_texts()[:200]]:
        assert rs.cut(text) == py.cut(text)


def test_force_split_entry_falls_back_to_jieba(tmp_path: Path) -> None:
    extra = tmp_path / "dict.txt"
    extra.write_text("高压电缆 0\n", encoding="utf-8")
    assert Segmenter([extra]).backend == "jieba"
    with pytest.raises(segment_rust.UnsupportedDictionary):
        Segmenter([extra], backend="rjieba")
