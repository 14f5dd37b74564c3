"""Synthetic petitioner identities: names, ID numbers and mobile numbers.

ID numbers follow the GB 11643 layout (6-digit region, 8-digit birth date,
3-digit sequence whose last digit encodes gender, ISO 7064 MOD 11-2 check
character) but are random and do not identify anybody.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TypeVar

from .vocab import words

# Surname weights roughly following the Guangdong surname distribution.
_SURNAMES = (
    "陈:10 李:7 黄:7 张:5 梁:4 林:4.5 刘:4 吴:3.5 罗:2.5 杨:2.5 何:2 郑:2.5 王:2.5 "
    "周:1.8 钟:2 谢:1.8 邓:1.6 冯:1.4 曾:1.6 许:1.2 蔡:1.4 赖:1 朱:1.2 叶:1.3 郭:1 "
    "苏:1 卢:1 潘:0.9 彭:0.9 余:0.8 江:0.6 莫:0.7 温:0.6 庄:0.5 方:0.5 邱:0.6 胡:0.8 "
    "徐:0.8 孙:0.5 马:0.5 唐:0.6 袁:0.5 韦:0.3 麦:0.4 关:0.4 冼:0.2 古:0.2 骆:0.2 "
    "严:0.3 欧:0.3 龙:0.3 姚:0.4 廖:0.9 詹:0.3 丘:0.2 翁:0.3 欧阳:0.15 司徒:0.08"
)
SURNAMES: tuple[str, ...] = tuple(s.split(":")[0] for s in words(_SURNAMES))
_SURNAME_CUM: list[float] = list(accumulate(float(s.split(":")[1]) for s in words(_SURNAMES)))

MALE_CHARS = tuple(
    "伟强俊杰文华明建志国振海锦荣辉峰浩健彬斌坚家宏永德耀汉东立晓达庆锋军勇超鹏"
    "智嘉冠炳福财添培洪瑞雄标成林新平安生广金祥森波涛宇轩子"
)
FEMALE_CHARS = tuple("丽娟敏燕芳玲婷霞静秀慧红萍金凤颖嘉欣雪琳洁美月梅翠桂娥英珍丹莉瑶佩碧妹小玉兰华珊倩晓彩雯诗娜艳琴")

T = TypeVar("T")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

_MOBILE_PREFIXES = words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "180 181 182 183 184 185 186 187 188 189 191 198 199"
)


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    """Uniform choice; faster than ``Random.choice`` and just as deterministic."""
    return seq[int(rng.random() * len(seq))]


def randint(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]."""
    return lo + int(rng.random() * (hi - lo + 1))


def id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 ID digits."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_id(number: str) -> bool:
    """True when *number* is 18 chars long with a correct check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return id_check_char(number[:17]) == number[17].upper()


@dataclass(frozen=True)
class Person:
    name: str
    male: bool
    birth: dt.date
    id_number: str
    phone: str


def random_surname(rng: random.Random) -> str:
    return SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def random_name(rng: random.Random, male: bool) -> str:
    chars = MALE_CHARS if male else FEMALE_CHARS
    surname = random_surname(rng)
    first = pick(rng, chars)
    if rng.random() < 0.14:
        return surname + first
    second = pick(rng, chars)
    while second == first and rng.random() < 0.9:
        second = pick(rng, chars)
    return surname + first + second


def random_phone(rng: random.Random) -> str:
    return pick(rng, _MOBILE_PREFIXES) + f"{int(rng.random() * 100_000_000):08d}"


def random_person(rng: random.Random, region: str, on: dt.date, age_lo: int, age_hi: int) -> Person:
    """Draw a synthetic person aged *age_lo*..*age_hi* on date *on*."""
    male = rng.random() < 0.58
    age_days = randint(rng, age_lo * 365 + 1, age_hi * 365 + 300)
    birth = on - dt.timedelta(days=age_days)
    seq = int(rng.random() * 100) * 10 + int(rng.random() * 5) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return Person(
        name=random_name(rng, male),
        male=male,
        birth=birth,
        id_number=first17 + id_check_char(first17),
        phone=random_phone(rng),
    )


def age_on(person: Person, on: dt.date) -> int:
    b = person.birth
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))
