"""The textbook BM25 reference and the product's BM25 agree on the same tokens; stopword lists."""

from __future__ import annotations

import pytest

from indexing.lexical import BM25Index
from indexing.segment import Segmenter
from kb.evaluation.textbook_bm25 import TextbookBM25, textbook_tokens
from kb.settings import load_settings

TEXTS = [
    "被告人张某于2019年3月12日在某超市盗窃人民币3000元，多次盗窃。",
    "被告人李某驾驶机动车造成一人死亡，负事故全部责任。",
    "原告诉称被告向其借款五万元，到期未还，请求判令被告还款。",
    "被告人王某多次盗窃电动车，价值人民币5000元。",
]


def test_textbook_tokens_drop_digits_and_punctuation_only() -> None:
    tokens = textbook_tokens("盗窃人民币3,000元。12.5% ABC")
    assert "盗窃" in tokens and "ABC" in tokens
    assert not any(t.strip("0123456789.,%。 ") == "" for t in tokens)


def test_product_bm25_scores_equal_the_textbook_on_the_same_tokens() -> None:
    docs = [textbook_tokens(t) for t in TEXTS]
    index, ref = BM25Index(k1=1.2, b=0.75), TextbookBM25(docs)
    index.add_many(enumerate(docs))
    for q in docs:
        ids, scores = index.scores(q)
        got = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        for row in range(len(docs)):
            assert got.get(row, 0.0) == pytest.approx(ref.score(q, row), rel=1e-5, abs=1e-6)
    assert [r for r, _ in ref.rank(docs[0], range(len(docs)))][:2] == [0, 3]


def test_bundled_stopword_lists() -> None:
    text = "尊敬的领导，被告人多次盗窃，造成损失三万元。"
    petition = Segmenter().tokens(text)
    function = Segmenter(bundled_stopwords="function").tokens(text)
    none = Segmenter(bundled_stopwords="none").tokens(text)
    assert "多次" not in petition and "造成" not in petition
    assert {"多次", "造成", "领导"} <= set(function) and "的" not in function
    assert "的" in none
    with pytest.raises(ValueError, match="unknown bundled stopword list"):
        Segmenter(bundled_stopwords="legal")
    assert load_settings(env={"LEIAN_BUNDLED_STOPWORDS": "function"}).bundled_stopwords == "function"
