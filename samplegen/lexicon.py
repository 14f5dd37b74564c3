"""Build the jieba user dictionary shipped in ``indexing/resources/userdict.txt``.

Regenerate with ``python -m samplegen.lexicon indexing/resources/userdict.txt``.
The dictionary holds Guangdong place names, provincial departments, petition
vocabulary and the synthetic entity names used by the sample generator.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .topics import CATEGORY_DEPARTMENT, entity_names
from .vocab import CITY_NAMES, CORES, DISTRICTS, PLATFORM_CORES, ROADS, VILLAGES, words

# Common short names of the departments (full names come from the issue table).
DEPARTMENT_SHORT = words(
    "人社厅 人社局 人社部门 人力资源社会保障局 人力资源和社会保障局 交通运输厅 交通运输局 交通厅 "
    "医保局 医疗保障局 自然资源厅 自然资源局 住建厅 住建局 住房城乡建设厅 住房和城乡建设局 "
    "生态环境厅 生态环境局 生态环境分局 环保局 地方金融管理局 金融管理局 金融工作局 金融局 "
    "公安厅 公安局 公安分局 派出所 教育厅 教育局 卫健委 卫生健康委员会 卫生健康局 卫健局 "
    "退役军人事务厅 退役军人事务局 退役军人厅 农业农村厅 农业农村局 城管局 城市管理和综合执法局 "
    "综合执法局 高级人民法院 省高院 高院 中级人民法院 中院 人民法院 人民检察院 检察院 "
    "市场监督管理局 市场监管局 民政厅 民政局 信访局 国资委 不动产登记中心 社保局 社保分局 "
    "劳动监察大队 劳动保障监察支队 医保分局 处非办 街道办 居委会 村委会"
)

# Short names of the synthetic companies and the name parts of synthetic projects
# and sites.  Full legal names ("...有限公司") are left to jieba to split so that
# a query for the short name matches them.
EXTRA_NAMES = words(
    "恒达建筑 鑫源建设 宏泰装饰 金穗劳务 华盛建工 粤顺市政 联兴电子 快运通 货满舱 顺途达 云链速运 路路鑫 "
    "融易宝 金满仓 汇鑫贷 聚财宝 康寿养老 金元宝 聚源茶业 鼎盛股权 藏珍阁 鑫源置业 锦城地产 宏景置业 海悦地产 "
    "德润置业 云山地产 丽景地产 港湾置业 华富实业 宏图城市更新 联盛城市更新 锦安实业 绿丰农业 盛通商贸 "
    "嘉利贸易 速达出行 优易行 畅行约车 畅行汽车租赁 快点出行 美颜坊 力健健身 启航教育 洁丽洗衣 鑫源物业 "
    "嘉佑物业 安居乐物业 宏基物业 恒安物业 佳美物业 粤城轨道 汇景花园 临港物流园 星河酒店 科创产业园 "
    "湾区实验中学 东环路 龙溪站 鹏城云峰 悦澜湾 临空物流园 湾畔工业园 临港产业园 东城商业综合体 田心旧改"
)

# Petition vocabulary: (words, part of speech).
PETITION_TERMS: tuple[tuple[str, str], ...] = (
    (
        "信访事项 信访人 信访件 信访部门 网上信访 集体访 联名信 重复信访 越级上访 上访 信访复查 "
        "信访复核 处理意见书 答复意见 办结 息访 涉法涉诉 初信初访 来信来访 12345热线 12328 12315 12369",
        "n",
    ),
    (
        "拖欠工资 农民工工资 农民工 欠薪 讨薪 恶意欠薪 包工头 班组长 劳务分包 劳务派遣 总包单位 "
        "分包单位 工资专用账户 欠薪应急周转金 劳动监察 劳动保障监察 劳动仲裁 仲裁裁决 经济补偿 加班费 "
        "考勤记录 欠条 工伤认定 工伤鉴定 劳动能力鉴定 伤残等级 伤残补助金 停工停产",
        "n",
    ),
    (
        "养老保险 社会保险 社保 断缴 补缴 滞纳金 缴费年限 视同缴费年限 视同缴费 买断工龄 企业改制 "
        "下岗职工 特殊工种 提前退休 养老金 退休待遇 失业保险金 失业保险 丧葬补助金 抚恤金 灵活就业 "
        "待遇核定 职工医保 城乡居民医保 医保报销 异地就医 异地就医备案 直接结算 门诊特定病种 大病保险 "
        "医保目录 定点医院 不合规费用",
        "n",
    ),
    (
        "征地拆迁 征地补偿 土地征收 区片综合地价 青苗补偿 地上附着物 留用地 被征地农民 拆迁补偿 "
        "房屋征收 强拆 违法强拆 旧村改造 三旧改造 城市更新 棚户区改造 回迁房 过渡安置费 安置房 "
        "评估报告 拆迁户",
        "n",
    ),
    (
        "物业费 物业公司 物业服务 维修基金 专项维修资金 业主委员会 业委会 业主大会 公共收益 停车费 "
        "电梯故障 烂尾楼 延期交付 逾期交房 保交楼 预售资金 预售资金监管 房贷 违约金 不动产登记 "
        "不动产权证 房产证 办证难 土地出让金 首次登记 分户办证 规划验收 统建楼 小产权房",
        "n",
    ),
    (
        "噪音扰民 夜间施工 夜间施工许可 打桩 泥头车 扬尘 工业污染 偷排 超标排放 电镀废水 印染废水 "
        "废气 异味 粉尘 露天焚烧 河涌 黑臭水体 环评",
        "n",
    ),
    (
        "网贷平台 爆雷 出借人 兑付 停止兑付 良性退出 清退 银行存管 风险备付金 非法集资 "
        "非法吸收公众存款 集资诈骗 返息 高息 理财产品 私募基金 预付卡 充值卡 会员卡 商家跑路 "
        "卷款跑路 闭店 退费 预付式消费",
        "n",
    ),
    (
        "网约车 网约车平台 网约车司机 抽成 封号 以租代购 网络货运平台 货运平台 运费 拖欠运费 保证金 回单 货车司机",
        "n",
    ),
    ("学位 公办学位 积分入学 随迁子女 学区划片 民办学校 学位补贴 入学积分", "n"),
    ("医疗纠纷 医疗事故 医疗事故鉴定 医疗损害鉴定 医调委 病历 误诊 术后感染 医疗美容 种植牙", "n"),
    ("退役军人 退役士兵 自主就业 一次性经济补助 参战人员 优待证 伤残等级评定 安置待遇 优抚对象", "n"),
    (
        "土地承包经营权 土地承包 承包地 外嫁女 集体分红 土地确权 确权颁证 二轮延包 土地流转 "
        "流转租金 村民代表大会 经济联合社 股份经济合作社",
        "n",
    ),
    ("城管执法 综合执法 城市管理 暴力执法 暂扣 违法建设 违建 占道经营 店外经营 行政处罚", "n"),
    ("户籍 落户 入户 户口迁移 人才引进 集体户口 身份证重号 政策外生育 社会抚养费", "n"),
    ("低保 最低生活保障 社会救助 临时救助 特困供养 特困人员 残疾人护理补贴 两项补贴 优亲厚友 入户核查", "n"),
    (
        "执行难 强制执行 终结本次执行程序 终本 被执行人 申请执行人 限制高消费 失信被执行人 拒不执行判决 "
        "判决书 生效判决 一审 二审 终审判决 再审 申请再审 抗诉 法律监督 立案监督 不予立案 报案 "
        "立案侦查 经侦 合同诈骗 电信诈骗 刷单 职务侵占 故意伤害 轻伤二级 治安案件 民间借贷 行政诉讼 "
        "行政复议",
        "n",
    ),
)


def userdict_entries() -> list[tuple[str, int, str]]:
    """(word, frequency, part of speech), de-duplicated, in a stable order."""
    out: dict[str, tuple[int, str]] = {}

    def add(word: str, freq: int, pos: str) -> None:
        if word and " " not in word and word not in out:
            out[word] = (freq, pos)

    for city in CITY_NAMES:
        add(city, 3000, "ns")
        add(city.removesuffix("市"), 3000, "ns")
    for items in DISTRICTS.values():
        for name, _ in items:
            add(name, 2000, "ns")
    for dept in CATEGORY_DEPARTMENT.values():
        add(dept, 2000, "nt")
        add(dept.removeprefix("省"), 2000, "nt")
    for short in DEPARTMENT_SHORT:
        add(short, 2000, "nt")
    for terms, pos in PETITION_TERMS:
        for term in words(terms):
            add(term, 1500, pos)
    for name in entity_names():
        if not name.endswith(("有限公司", "合作社", "合作公司")):
            add(name, 800, "nz")
    for name in EXTRA_NAMES:
        add(name, 800, "nz")
    for place in VILLAGES + ROADS:
        add(place, 500, "ns")
    for core in CORES + PLATFORM_CORES:
        add(core, 300, "nz")
    return [(w, f, p) for w, (f, p) in out.items()]


def write_userdict(path: Path) -> int:
    """Write the dictionary in jieba format (``word freq pos``); return the line count."""
    entries = userdict_entries()
    path.write_text("".join(f"{w} {f} {p}\n" for w, f, p in entries), encoding="utf-8")
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0] if args else "indexing/resources/userdict.txt")
    count = write_userdict(target)
    print(f"wrote {count} entries to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
