"""The masking table: every format of ID, phone and card is masked; dates, amounts and codes are not.

Also the two masked outputs outside the API: access-log request paths (percent-decoded first) and
the audit log's record of failed logins typed as an ID number or a phone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import unquote

import pytest

from kb.audit import AuditFilter
from kb.logmask import PersonalDataFilter
from kb.privacy import mask_personal, mask_text, mask_url, public_terms
from kb.service import LeianService
from kb.sessions import MAX_FAILURES, LoginLockedError

# (label, text, what must disappear, what the masked text contains)
MASKED = [
    ("id18", "身份证440606195011137412。", "195011137412", "440606************"),
    ("id18 x", "身份证44060619501113741X", "19501113741X", "440606************"),
    ("id18 spaces", "号码 440606 19501113 7412 已核", "19501113 7412", "440606 ******** ****"),
    ("id18 dashes", "440606-19501113-7412", "19501113-7412", "440606-********-****"),
    ("id18 6-4-4-4", "440606 1950 1113 7412", "1950 1113 7412", "440606 **** **** ****"),
    ("id18 full-width", "４４０６０６１９５０１１１３７４１２", "１９５０１１１３７４１２", "４４０６０６"),
    ("id15", "老身份证440606501113741", "501113741", "440606*********"),
    ("id15 spaces", "440606 501113 741", "501113 741", "440606 ****** ***"),
    ("mobile", "电话13812345678", "13812345678", "138****5678"),
    ("mobile dashes", "138-1234-5678", "1234", "138-****-5678"),
    ("mobile spaces", "138 1234 5678", "1234", "138 **** 5678"),
    ("mobile +86", "+86 138 1234 5678", "1234", "+86 138 **** 5678"),
    ("mobile +86 joined", "+8613812345678", "13812345678", "+86138****5678"),
    ("mobile 0086", "008613812345678", "13812345678", "0086138****5678"),
    ("mobile full-width", "手机１３８１２３４５６７８", "１２３４", "１３８****５６７８"),
    ("mobile after letters", "Tel13812345678", "13812345678", "Tel138****5678"),
    ("landline", "座机020-83451234", "8345", "020-****1234"),
    ("landline brackets", "(020)83451234", "8345", "(020)****1234"),
    ("landline 4-digit area", "0755 2888 1234", "2888", "0755 **** 1234"),
    ("landline joined", "075528881234", "2888", "0755****1234"),
    ("card", "卡号6222021234567890123", "21234567890", "6222***********0123"),
    ("card spaces", "6222 0212 3456 7890", "0212 3456", "6222 **** **** 7890"),
    ("card dashes", "6222-0212-3456-7890", "0212-3456", "6222-****-****-7890"),
    ("two in a row", "13812345678 440606195011137412", "195011137412", "138****5678 440606************"),
]

NOT_MASKED = [
    ("date", "2026-11-26"),
    ("date slashes", "2026/11/26"),
    ("date chinese", "2024年12月1日"),
    ("amount wan", "拖欠工资8万元"),
    ("amount yuan", "补偿35000元"),
    ("amount decimals", "共计1234567.89元"),
    ("registry number", "GD2024-1201-000001"),
    ("registry number in text", "案件GD2025-0302-001234已受理"),
    ("case id", "案件 12345 号"),
    ("year range", "1978年参加工作，干了34年"),
    ("area", "529亩集体土地"),
    ("time", "10:30-11:45"),
]


@pytest.mark.parametrize(("label", "text", "secret", "shown"), MASKED, ids=[m[0] for m in MASKED])
def test_masked_formats(label: str, text: str, secret: str, shown: str) -> None:
    masked = mask_text(text)
    assert secret not in masked, (label, masked)
    assert shown in masked, (label, masked)
    assert len(masked) == len(text)  # the text around and between the digits is kept as typed


@pytest.mark.parametrize(("label", "text"), NOT_MASKED, ids=[m[0] for m in NOT_MASKED])
def test_not_masked(label: str, text: str) -> None:
    assert mask_text(text) == text, label


def test_sample_registry_numbers_dates_and_amounts_survive(sample_rows: list[tuple[int, dict]]) -> None:
    for _, row in sample_rows[:300]:
        for key in ("external_no", "received_date", "resolved_date", "title"):
            if row.get(key):
                assert mask_text(row[key]) == row[key], (key, row[key])
        if row.get("petitioner_id"):
            assert row["petitioner_id"][6:] not in mask_text(f"身份证{row['petitioner_id']}")
        if row.get("petitioner_phone"):
            assert row["petitioner_phone"] not in mask_text(f"电话 {row['petitioner_phone']}")


def test_mask_url_decodes_and_masks_names_and_control_characters() -> None:
    url = "/api/cases?q=%2B86%20138-1234-5678&petitioner_name=%E6%9D%8E%E5%BB%BA%E5%9B%BD&id=440606-19501113-7412"
    out = mask_url(url)
    assert "1234-5678" not in out and "138-****-5678" in out
    assert "李建国" not in out and "李**" in out
    assert "19501113" not in out
    assert "\n" not in mask_url("/x%0D%0Afake log line") and "\\x0a" in mask_url("/x%0Afake")


def _access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", path, "1.1", 200),
        None,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/search?q=440606-19501113-7412",
        "/api/search?q=138-1234-5678",
        "/api/search?q=%2B8613812345678",
        "/api/search?q=%34%34%30%36%30%36%31%39%35%30%31%31%31%33%37%34%31%32",
        "/api/cases?petitioner_name=%E6%9D%8E%E5%BB%BA%E5%9B%BD",
        "/api/search?q=%E6%9D%8E%E5%BB%BA%E5%9B%BD%20%E6%8B%96%E6%AC%A0",
    ],
)
def test_access_log_paths_are_decoded_and_masked(path: str) -> None:
    record = _access_record(path)
    PersonalDataFilter().filter(record)
    line = record.getMessage()
    for secret in ("19501113", "1234-5678", "13812345678", "李建国"):
        assert secret not in line, line
        assert secret not in unquote(line), line  # not left percent-encoded either


@pytest.mark.parametrize("typed", ["440606195011137412", "138-1234-5678", "+86 138 1234 5678"])
def test_failed_login_typed_as_id_or_phone_is_masked_in_the_audit_log(service: LeianService, typed: str) -> None:
    for _ in range(MAX_FAILURES):
        assert service.sessions.login(typed, "wrong-password") is None
    # The lock-out still counts the (masked) name.
    with pytest.raises(LoginLockedError):
        service.sessions.login(typed, "wrong-password")
    events = service.audit.query(AuditFilter(), limit=100)[0]
    assert events
    stored = json.dumps(events, ensure_ascii=False)
    assert typed not in stored
    for middle in ("19501113", "1234-5678", "1234 5678"):
        assert middle not in stored
    csv_text = "".join(service.audit.export_csv(AuditFilter()))
    assert typed not in csv_text


def test_tmp_path_is_not_masked(tmp_path: Path) -> None:
    # A log line quoting a data directory must stay readable.
    assert mask_text(str(tmp_path)) == str(tmp_path)


# (label, text, names that must disappear, what the masked text shows)
NAMES = [
    ("cue 本人", "本人李建国，男，现住广州市。", ["李建国"], "本人李**"),
    ("cue 包工头", "包工头王大锤拖欠我们工资", ["王大锤"], "包工头王**拖欠"),
    ("cue 我叫", "我叫曾峰健，在工地打工", ["曾峰健"], "我叫曾**"),
    ("cue 联系人", "联系人：张凤，电话13812345678", ["张凤", "13812345678"], "联系人：张*"),
    ("cue 老板 stops at a verb", "老板王五拖欠货款", ["王五"], "老板王*拖欠"),
    ("compound surname", "丈夫欧阳春花已去世", ["欧阳春花"], "丈夫欧***"),
    ("jieba nr", "当时黄生海和吴倩珍都在场", ["黄生海", "吴倩珍"], "黄**和吴**"),
    ("given name", "信访人赵铁柱反映", ["赵铁柱"], "赵**"),
]
NAMES_KEPT = [
    ("placeholder", "张某与李某签订合同"),
    ("place", "白云区石井镇沙栏村"),
    ("common words", "请求文明执法，公正处理，周转资金已付清"),
    ("cue before a verb", "主任解释了政策"),
]


@pytest.mark.parametrize(("label", "text", "secrets", "shown"), NAMES, ids=[n[0] for n in NAMES])
def test_person_names_are_masked(label: str, text: str, secrets: list[str], shown: str) -> None:
    masked = mask_personal(text, ["赵铁柱"])
    for secret in secrets:
        assert secret not in masked, (label, masked)
    assert shown in masked, (label, masked)


@pytest.mark.parametrize(("label", "text"), NAMES_KEPT, ids=[n[0] for n in NAMES_KEPT])
def test_words_that_are_not_names_are_kept(label: str, text: str) -> None:
    assert mask_personal(text) == text, label


def test_public_terms_drop_names_ids_and_phones() -> None:
    terms = ["拖欠", "工资", "赵铁柱", "铁柱", "李建国", "13812345678"]
    assert public_terms(terms, ["赵铁柱"], "本人李建国拖欠工资") == ["拖欠", "工资"]


def test_the_surname_shortcut_and_the_cached_tags_find_the_names_the_full_detectors_find() -> None:
    """``person_names`` skips a text without a surname and tags an out-of-dictionary word once
    (search latency, docs/benchmarks.md): on sample petitions, their openings and every one of
    their search terms (most hold no surname) it finds what both detectors, run in full with the
    tagger asked every time, find."""
    import jieba.posseg

    from bench.corpus import cases, segmenter
    from kb import person_names as pn

    def reference(text: str) -> list[str]:
        found = pn.cue_names(text)
        for word in jieba.cut(text):
            if not pn._plausible(word):
                continue
            tag = jieba.posseg.dt.word_tag_tab.get(word)
            if tag is None:
                first = next(iter(jieba.posseg.cut(word)), None)
                tag = first.flag if first is not None and first.word == word else None
            elif (jieba.posseg.dt.tokenizer.FREQ.get(word) or 0) > pn._COMMON_WORD_FREQ:
                continue
            if tag == "nr":
                found.append(word)
        return sorted(set(found), key=lambda n: (-len(n), n))

    seg = segmenter()
    texts = [t for c in cases(60, 31) for t in (c["content"], c["content"][:120])]
    texts += [t for _, t, *_ in NAMES] + [t for _, t in NAMES_KEPT]
    terms = sorted({term for t in texts for term in seg.tokens(t)})
    skipped = [t for t in terms if not pn._may_hold_name(t)]
    assert len(skipped) > len(terms) // 3  # the shortcut is taken (and checked) on many terms
    named = 0
    for text in [*texts, *terms]:
        got = sorted(pn.person_names(text), key=lambda n: (-len(n), n))
        assert got == reference(text), text
        named += bool(got)
    assert named >= len(NAMES)  # names were found, not only absences compared


def test_name_parameters_in_logged_urls_are_masked_even_when_no_rule_knows_the_name() -> None:
    """A transliterated name or a login name is no Chinese person name the text rules find: the
    parameter name alone says it is personal."""
    from kb.privacy import mask_url

    logged = mask_url("/api/cases?petitioner_name=%E5%8D%A1%E7%B1%B3%E6%8B%89&x=1")
    assert "卡米拉" not in logged and logged.endswith("&x=1")
    assert "zhangsan" not in mask_url("/api/users?username=zhangsan")
