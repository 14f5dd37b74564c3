"""Geography and generic name parts for the synthetic petition generator.

All company, estate, platform and project names produced from these parts are
synthetic.  Cities and districts are the real administrative divisions of
Guangdong province (Dongguan and Zhongshan have no districts, so towns and
subdistricts are used instead).
"""

from __future__ import annotations

from dataclasses import dataclass

# (city, ID-number region code, population in 10k, 2020 census, rounded)
CITIES: tuple[tuple[str, str, int], ...] = (
    ("广州市", "4401", 1868),
    ("深圳市", "4403", 1756),
    ("东莞市", "4419", 1047),
    ("佛山市", "4406", 950),
    ("湛江市", "4408", 698),
    ("茂名市", "4409", 617),
    ("惠州市", "4413", 604),
    ("揭阳市", "4452", 558),
    ("汕头市", "4405", 550),
    ("江门市", "4407", 480),
    ("中山市", "4420", 442),
    ("肇庆市", "4412", 411),
    ("清远市", "4418", 397),
    ("梅州市", "4414", 387),
    ("韶关市", "4402", 286),
    ("河源市", "4416", 284),
    ("汕尾市", "4415", 267),
    ("阳江市", "4417", 260),
    ("潮州市", "4451", 257),
    ("珠海市", "4404", 244),
    ("云浮市", "4453", 238),
)

CITY_NAMES: tuple[str, ...] = tuple(c[0] for c in CITIES)
CITY_CODES: dict[str, str] = {c[0]: c[1] for c in CITIES}
CITY_POP: dict[str, int] = {c[0]: c[2] for c in CITIES}

# Districts / counties / county-level cities.  An optional ":weight" suffix
# gives the relative population share inside the city (default 1).
_DISTRICTS: dict[str, str] = {
    "广州市": "越秀区:1.0 海珠区:1.8 荔湾区:1.1 天河区:2.2 白云区:3.7 黄埔区:1.2 "
    "番禺区:2.8 花都区:1.6 南沙区:0.9 从化区:0.7 增城区:1.5",
    "深圳市": "福田区:1.5 罗湖区:1.1 南山区:1.8 盐田区:0.3 宝安区:4.5 龙岗区:4.0 龙华区:2.5 坪山区:0.6 光明区:1.1",
    "珠海市": "香洲区:2.5 斗门区:1.0 金湾区:0.8",
    "汕头市": "金平区 龙湖区 濠江区:0.5 潮阳区:1.6 潮南区:1.4 澄海区 南澳县:0.1",
    "佛山市": "禅城区:1.3 南海区:3.7 顺德区:3.2 三水区:0.8 高明区:0.5",
    "韶关市": "武江区 浈江区 曲江区 乐昌市 南雄市 始兴县:0.6 仁化县:0.6 翁源县:0.8 新丰县:0.6 乳源瑶族自治县:0.5",
    "河源市": "源城区 东源县 和平县 龙川县:1.4 紫金县:1.3 连平县:0.8",
    "梅州市": "梅江区 梅县区 兴宁市:1.4 平远县:0.5 蕉岭县:0.5 大埔县:0.8 丰顺县:0.9 五华县:1.4",
    "惠州市": "惠城区:2.0 惠阳区:1.4 博罗县:1.3 惠东县:1.2 龙门县:0.5",
    "汕尾市": "城区 海丰县:1.3 陆丰市:2.0 陆河县:0.5",
    "东莞市": "莞城街道:0.5 南城街道 东城街道:1.3 万江街道:0.8 石碣镇:0.6 石龙镇:0.4 "
    "茶山镇:0.5 石排镇:0.5 企石镇:0.4 横沥镇:0.6 桥头镇:0.5 谢岗镇:0.3 东坑镇:0.4 "
    "常平镇:1.2 寮步镇:1.2 樟木头镇:0.4 大朗镇:1.1 黄江镇:0.7 清溪镇:0.9 塘厦镇:1.2 "
    "凤岗镇:1.0 大岭山镇:0.9 长安镇:2.0 虎门镇:2.0 厚街镇:1.4 沙田镇:0.5 道滘镇:0.4 "
    "洪梅镇:0.2 麻涌镇:0.4 望牛墩镇:0.3 中堂镇:0.5 高埗镇:0.5",
    "中山市": "石岐街道:1.2 东区街道:1.2 西区街道:0.8 南区街道:0.4 五桂山街道:0.3 "
    "小榄镇:1.6 古镇镇:0.8 横栏镇:0.6 东凤镇:0.7 南头镇:0.5 黄圃镇:0.6 三角镇:0.5 "
    "港口镇:0.5 沙溪镇:0.6 大涌镇:0.4 三乡镇:0.8 坦洲镇:0.8 板芙镇:0.3 东升镇:0.5 "
    "阜沙镇:0.3 神湾镇:0.2",
    "江门市": "蓬江区:1.4 江海区:0.6 新会区:1.3 台山市:1.2 开平市:1.0 鹤山市:0.7 恩平市:0.6",
    "阳江市": "江城区:1.4 阳东区 阳春市:1.3 阳西县:0.7",
    "湛江市": "赤坎区:0.7 霞山区:0.9 坡头区:0.6 麻章区:0.6 雷州市:1.9 廉江市:1.9 吴川市:1.2 遂溪县:1.1 徐闻县:0.9",
    "茂名市": "茂南区:1.2 电白区:2.0 高州市:2.0 化州市:1.8 信宜市:1.3",
    "肇庆市": "端州区:1.0 鼎湖区:0.4 高要区:1.1 四会市:0.8 广宁县:0.6 怀集县:1.1 封开县:0.5 德庆县:0.5",
    "清远市": "清城区:1.6 清新区:1.0 英德市:1.4 连州市:0.6 佛冈县:0.5 阳山县:0.6 "
    "连山壮族瑶族自治县:0.2 连南瑶族自治县:0.2",
    "潮州市": "湘桥区 潮安区:1.5 饶平县:1.2",
    "揭阳市": "榕城区:1.2 揭东区 普宁市:2.2 揭西县:0.9 惠来县:1.1",
    "云浮市": "云城区 云安区:0.6 罗定市:1.4 新兴县:0.9 郁南县:0.7",
}


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words of *text* as a tuple."""
    return tuple(text.split())


def _parse(spec: str) -> tuple[tuple[str, float], ...]:
    out: list[tuple[str, float]] = []
    for item in spec.split():
        name, _, w = item.partition(":")
        out.append((name, float(w) if w else 1.0))
    return tuple(out)


DISTRICTS: dict[str, tuple[tuple[str, float], ...]] = {city: _parse(spec) for city, spec in _DISTRICTS.items()}


@dataclass(frozen=True)
class Place:
    """Derived administrative names for one (city, district) pair."""

    city: str
    district: str
    gov: str  # local government level used in office names
    court: str  # basic-level people's court
    mid_court: str  # intermediate people's court
    police: str  # local public security bureau / branch
    region: str  # 6-digit region code used in ID numbers
    ccode: str  # 4-digit court code used in case numbers (粤0106...)


def _place(city: str, district: str, index: int) -> Place:
    code = CITY_CODES[city]
    town = district.endswith("镇") or district.endswith("街道")
    if town:
        short = district.removesuffix("街道").removesuffix("镇")
        ordinal = "一二三"[index % (3 if city == "东莞市" else 2)]
        court = f"{city}第{ordinal}人民法院"
        police = f"{city}公安局{short}分局"
        gov = city
        region = code + "00"
    elif district.endswith("区"):
        court = f"{city}{district}人民法院"
        police = f"{city}公安局{district}分局"
        gov = district
        region = code + f"{index + 2:02d}"
    else:  # county or county-level city
        court = f"{district}人民法院"
        police = f"{district}公安局"
        gov = district
        region = code + f"{index + 21:02d}"
    return Place(
        city=city,
        district=district,
        gov=gov,
        court=court,
        mid_court=f"{city}中级人民法院",
        police=police,
        region=region,
        ccode=region[2:],
    )


PLACES: dict[tuple[str, str], Place] = {
    (city, name): _place(city, name, i) for city, items in DISTRICTS.items() for i, (name, _) in enumerate(items)
}

ROADS: tuple[str, ...] = words(
    "建设路 人民路 东风路 工业大道 新华路 解放路 中山路 环城路 兴业路 创业路 滨江路 沿江路 "
    "府前路 花园路 育才路 和平路 朝阳路 金沙路 站前路 园林路 青年路 文明路 长江路 迎宾大道 "
    "南环路 北环路 西城路 东城大道 商业街 新村路"
)

VILLAGES: tuple[str, ...] = words(
    "沙岗村 新围村 大塘村 南坑村 石岗村 上围村 下坪村 东洋村 岭脚村 南岗村 沙栏村 仙门村 "
    "东岸村 大沙村 后溪村 南门村 鹤岗村 田心村 塘尾村 石龙头村 坑口村 水口村 高田村 黄竹村 "
    "新墟村 龙塘村 白石村 松柏村 林屋村 罗坑村"
)

# Two-character cores for synthetic company / platform names.
CORES: tuple[str, ...] = words(
    "鑫源 恒达 华盛 宏泰 金穗 粤顺 联兴 永泰 兴隆 广利 锦华 泰和 "
    "隆昌 达丰 昌盛 荣发 利源 富润 顺发 益民 佳德 安泰 康盛 信和 "
    "瑞祥 嘉润 裕丰 汇通 海峰 宏基 鼎盛 金凯 华展 合盛 宝利 骏达 "
    "德润 永昌 志成 鸿运 祥泰 亿鑫 友联 东升 丰泽 同创 中鼎 昊天 "
    "创景 晟达 鹏程 锦程 盛源 粤兴 和顺 俊达 富源 启明 诚信"
)

# Cores for estates, projects and schools.
PLACE_CORES: tuple[str, ...] = words(
    "翠湖 锦绣 碧水 金湾 逸景 悦澜 云山 御景 滨海 丽景 港湾 海悦 "
    "翠林 星河 汇景 龙湾 东湖 南湖 枫林 桂园 江畔 凤凰 紫荆 玉兰 "
    "棕榈 松涛 怡景 朗晴 蓝湾 君悦 翡翠 天悦 雅苑 名门 华府 金域 "
    "香榭 水岸 青山 榕园"
)

# Cores for online platform names (freight, lending, ride-hailing).
PLATFORM_CORES: tuple[str, ...] = words(
    "速运 畅途 捷运 驰达 云货 路通 货安 运宝 途鑫 快达 易行 安运 "
    "捷程 畅通 融信 聚财 汇金 盈泰 广财 粤融 鑫贷 金满 利通 宝盈"
)

CHANNELS: tuple[str, ...] = ("来信", "来访", "网上", "热线")

# Relative city multipliers for issue types concentrated in the big Pearl River
# Delta cities or in rural prefectures.
BIG_CITY_BIAS: dict[str, float] = {
    "广州市": 1.6,
    "深圳市": 1.6,
    "东莞市": 1.3,
    "佛山市": 1.4,
    "珠海市": 1.2,
    "中山市": 1.2,
}
RURAL_CITY_BIAS: dict[str, float] = {
    "湛江市": 1.8,
    "茂名市": 1.7,
    "梅州市": 1.5,
    "清远市": 1.4,
    "河源市": 1.4,
    "揭阳市": 1.3,
    "肇庆市": 1.4,
    "云浮市": 1.4,
    "阳江市": 1.3,
    "深圳市": 0.1,
    "广州市": 0.5,
    "东莞市": 0.5,
}
