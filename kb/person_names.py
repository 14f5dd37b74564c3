"""Person names in free text that are not the petitioner's own (李建国, 包工头王大锤), for masking.

Two detectors, both kept conservative towards privacy (a shop name starting with a surname may be
masked; a person's name should not survive):

- **cues**: a word that introduces a person (我叫 / 本人 / 联系人 / 老板 / 包工头 / 丈夫 …) followed by
  a common surname and one or two given-name characters (stopping before a verb or particle);
- **jieba**: words jieba's part-of-speech tagger marks ``nr`` (person name), of two or three characters
  (four with a compound surname), starting with a common surname, not a ``X某`` placeholder and not
  a place, estate or firm name (区 / 镇 / 村 / 苑 …). Dictionary ``nr`` words that are common Chinese
  words (文明, 许可, 周转 — high dictionary frequency) are left alone.

Tagging uses ``jieba.cut`` (fast; run by rjieba when installed: the same words, ~20x faster again)
and asks ``jieba.posseg`` only about the words the segmenter found outside its dictionary (short,
cheap, and remembered per word), which is ~10× faster than ``posseg.cut`` over the whole text.
Results are cached per text (cases are read again and again); a text without a surname is not cut.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from indexing import segment_rust

# The ~120 most common single-character surnames (about 90 % of the population) and compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
    "武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉"
    "缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
)

# Words that introduce a person by name. Longer cues first (the regex alternation is ordered).
CUES = tuple(
    sorted(
        (
            "我叫", "名叫", "叫做", "本人", "联系人", "负责人", "法定代表人", "法人代表", "法人", "老板", "包工头",
            "工头", "信访人", "申请人", "被申请人", "代理人", "委托人", "当事人", "户主", "丈夫", "妻子", "爱人",
            "儿子", "女儿", "父亲", "母亲", "哥哥", "弟弟", "姐姐", "妹妹", "邻居", "工友", "同事", "村民", "村支书",
            "支书", "村长", "组长", "主任", "经理", "厂长", "股东", "姓名", "业主", "房东", "承包人", "债务人",
            "欠款人", "证人", "监护人", "同学", "朋友", "亲戚", "老乡",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
# Characters that end a name after a cue: verbs, particles and conjunctions a name does not hold.
_STOP = (
    "拖欠说讲称要找打不没在是的了和与及等因被把向对到去从给也都就还"
    "又已于为反映带让叫请再先一曾将会能告诉有无至今年月日来回"
    "未依案部门述法以应办理养"
)
_CUE = re.compile(
    rf"(?:{'|'.join(CUES)})(?:是|为|叫|：|:|\s)?((?:{'|'.join(COMPOUND_SURNAMES)})[^{_STOP}\W\d_A-Za-z]{{1,2}}"
    rf"|[{''.join(sorted(SURNAMES))}][^{_STOP}\W\d_A-Za-z]{{1,2}})"
)
# Last characters of places, estates and firms that jieba tags nr (白云区, 碧水湾, 金穗花园).
_NOT_NAME_END = set("区县市省镇乡村街路巷湾苑府阁园城庭居轩坊店行厂馆楼院所局处厅站场队组部委会司费款某")
# Dictionary nr words more frequent than this are ordinary words (文明 6584, 许可 623, 付清 60).
_COMMON_WORD_FREQ = 40

_LOCK = threading.Lock()
_READY = False
# jieba's cut of a text (default dictionary, HMM on): rjieba's when installed, the same words about
# 20x faster (indexing/segment_rust.py; this module never adds words to jieba's dictionary).
_CUT: Callable[[str], Iterable[str]] | None = None


def _jieba() -> tuple[Any, Any]:
    """jieba and its POS tagger, the dictionary loaded once per process."""
    global _READY
    import jieba
    import jieba.posseg

    with _LOCK:
        if not _READY:
            jieba.setLogLevel(logging.WARNING)
            jieba.posseg.dt.initialize()
            _READY = True
    return jieba, jieba.posseg


def _cut(text: str) -> Iterable[str]:
    global _CUT
    if _CUT is None:
        jieba, _ = _jieba()
        cut: Callable[[str], Iterable[str]] = jieba.cut
        if segment_rust.available():
            cut = segment_rust.RustJieba().cut
        _CUT = cut
    return _CUT(text)


def _surname_ok(word: str) -> bool:
    if word[:2] in COMPOUND_SURNAMES:
        return 3 <= len(word) <= 4
    return word[0] in SURNAMES and 2 <= len(word) <= 3


def _plausible(word: str) -> bool:
    """Surname first, Han characters only, no place ending, no verb or particle in the given name."""
    given = word[2:] if word[:2] in COMPOUND_SURNAMES else word[1:]
    return (
        _surname_ok(word)
        and word[-1] not in _NOT_NAME_END
        and all("\u4e00" <= c <= "\u9fff" for c in word)
        and not any(c in _STOP for c in given)
    )


def cue_names(text: str) -> list[str]:
    """Names introduced by a cue word (本人李建国, 包工头王大锤); not 张某 nor an ordinary word
    (主任解释 …: a frequent dictionary word that is not a name)."""
    _, posseg = _jieba()
    freq = posseg.dt.tokenizer.FREQ
    out = []
    for m in _CUE.finditer(text):
        name = m.group(1)
        if "某" in name or (name[0] in _STOP and name[:2] not in COMPOUND_SURNAMES):
            continue
        head = name[:2]
        if head in COMPOUND_SURNAMES:
            out.append(name)
            continue
        if (freq.get(head) or 0) > _COMMON_WORD_FREQ or (freq.get(name[1:]) or 0) > _COMMON_WORD_FREQ:
            continue
        out.append(name)
    return out


def tagged_names(text: str) -> list[str]:
    """Words jieba tags as person names (``nr``) that look like a surname and a given name."""
    _, posseg = _jieba()
    tags = posseg.dt.word_tag_tab
    freq = posseg.dt.tokenizer.FREQ
    found = []
    for word in _cut(text):
        if not _plausible(word):
            continue
        tag = tags.get(word)
        if tag is None:  # found by the HMM, outside the dictionary: ask the tagger about it alone
            tag = _tag_alone(word)
        elif (freq.get(word) or 0) > _COMMON_WORD_FREQ:
            continue
        if tag == "nr":
            found.append(word)
    return found


@lru_cache(maxsize=8192)
def _tag_alone(word: str) -> str | None:
    """jieba's POS tag of ``word`` cut on its own (its tagger's HMM took up to ~5 ms a query on
    its words; nothing changes jieba's global dictionary, so the answer per word is fixed)."""
    _, posseg = _jieba()
    tag = next(iter(posseg.cut(word)), None)
    return tag.flag if tag is not None and tag.word == word else None


# A CJK Unified Ideograph (U+4E00..U+9FFF): a text without one holds no name.
_CJK = re.compile("[\u4e00-\u9fff]")


def _may_hold_name(text: str) -> bool:
    """Whether ``text`` holds a surname at all: both detectors need one to start a name (a cue's
    name and a tagged word start with a compound surname or a ``SURNAMES`` character, and jieba's
    words are pieces of the text), so without one the answer is empty. Most query terms hold none."""
    return not SURNAMES.isdisjoint(text) or any(s in text for s in COMPOUND_SURNAMES)


@lru_cache(maxsize=8192)
def _names(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in [*cue_names(text), *tagged_names(text)]:
        seen.setdefault(name, None)
    # Longer names first, so 李建国 is masked before a shorter 李建 could be.
    return tuple(sorted(seen, key=len, reverse=True))


def person_names(text: str | None) -> tuple[str, ...]:
    """Person names found in ``text`` (cue words and jieba ``nr``), longest first."""
    if not text or not _CJK.search(text) or not _may_hold_name(text):
        return ()
    return _names(text)
