"""Issue types: prepaid-card shops and ride-hailing platforms."""

from __future__ import annotations

from ..model import issue, topic
from ..vocab import BIG_CITY_BIAS

PREPAID = issue(
    name="预付卡商家跑路",
    department="省市场监督管理局",
    weight=3,
    prefix="预付卡",
    gnoun="会员",
    group_rate=0.12,
    ages=(20, 65),
    city_bias=BIG_CITY_BIAS,
    numbers={"amount": (1000, 30000, "money"), "lessons": (20, 120, "int")},
    locals_="{gov}市场监督管理局 12315热线 商场管理处 街道办",
    oneoff={"shop": "{estcore}美容院 {core}健身 {estcore}教育培训中心 {estcore}理发店", "card": "会员卡 充值卡 年卡"},
    oneoff_label="{shop}",
    titles="""
        {shop}预付卡商家跑路
        反映{shop}闭店无法退费
        关于{card}余额无法退还的投诉
        {shop}会员请求退还充值款
    """,
    backgrounds="""
        {we}是{shop}的会员，办了{card}，充值{amount}
        {since}在{shop}的推销下，{we}办理了{card}，当时说可以随时退
        {we}是{district}{shop}的消费者，预付卡里的钱还没用完商家就跑路了
        我在{shop}办卡才三个月，店就关门了
    """,
    details="""
        {we}找过商场管理处和{local}，都说联系不上老板，让{we}等
        听说老板还在别的地方换了个名字重新开店
        店员说老板欠了几个月房租，店里的东西都被房东扣下了
    """,
    demands="""
        请求市场监管部门查处{shop}卷款跑路行为，帮助{we}追回余额
        要求加强对预付式消费的监管，建立资金存管制度
        希望有关部门把{shop}负责人列入失信名单
    """,
    resolutions="""
        经{local}协调，{shop}经营者已同意分期退还会员余额
        已将{shop}涉嫌违法线索移送有关部门，并指导会员登记债权
        已约谈商场管理方，督促其配合做好会员退费工作
    """,
    lit_extras="""
        {we}起诉了{shop}的经营公司，{court}判决退款，可公司早就没有财产了，执行不了
    """,
    topics=(
        topic(
            "预付卡:美颜坊美容院跑路",
            "广州市/天河区",
            1.2,
            shop="美颜坊美容院",
            card="美容年卡",
            details="{shop}在{since2}突然关门，门口贴了一张“装修暂停营业”的通知，老板就联系不上了",
        ),
        topic(
            "预付卡:力健健身闭店",
            "深圳市/南山区;深圳市/福田区;广州市/天河区;东莞市/南城街道;佛山市/禅城区",
            1.2,
            shop="力健健身",
            card="健身年卡",
            details="{shop}闭店前一周还在搞充值送课活动，诱导会员续费，明显是有预谋的",
        ),
        topic(
            "预付卡:启航教育培训停课",
            "佛山市/顺德区",
            shop="启航教育培训中心",
            card="课时包",
            details="孩子的英语课还剩{lessons}节没上，{shop}突然停课，说是搬迁，后来整个机构都撤了",
        ),
        topic(
            "预付卡:洁丽洗衣连锁关门",
            "东莞市/南城街道;东莞市/东城街道;东莞市/常平镇;惠州市/惠城区",
            0.8,
            shop="洁丽洗衣",
            card="洗衣充值卡",
            details="{shop}在{city}开了好几家分店，突然全部关门，很多顾客送洗的衣服都拿不回来",
        ),
        topic(
            "预付卡:童趣婴儿游泳馆",
            "中山市/东区街道",
            0.7,
            shop="童趣婴儿游泳馆",
            card="游泳次卡",
            details="{shop}卖卡的时候说一年内有效，结果卡里还有二十多次，门店就人去楼空了",
        ),
    ),
)


RIDE_HAILING = issue(
    name="网约车平台纠纷",
    department="省交通运输厅",
    weight=3,
    prefix="网约车",
    gnoun="网约车司机",
    group_rate=0.06,
    ages=(24, 55),
    city_bias=BIG_CITY_BIAS,
    numbers={
        "rate": (22, 35, "int"),
        "deposit": (3000, 20000, "price"),
        "rentfee": (4000, 7500, "price"),
        "amount": (1000, 30000, "price"),
        "fine": (200, 800, "price"),
    },
    locals_="{city}交通运输局 {gov}交通运输局 平台客服 {gov}市场监督管理局",
    oneoff={"platform": "{platcore}出行 {platcore}约车", "lessor": "{core}汽车租赁有限公司"},
    oneoff_label="{platform}",
    titles="""
        {platform}平台抽成过高
        反映{platform}无故封号
        网约车司机投诉{platform}
        关于{platform}平台规则的投诉
    """,
    backgrounds="""
        我是在{city}跑网约车的司机，{since}开始在{platform}平台接单
        {we}是{platform}的注册司机，每天跑十几个小时养家糊口
        我在{platform}上跑车已经两年多，车辆和证件都是合规的
    """,
    details="""
        平台客服只会发模板回复，打电话永远在排队
        {we}跑一个月，扣掉油费、车租和平台抽成，到手的钱越来越少
    """,
    demands="""
        请求交通运输部门约谈{platform}，规范平台抽成和处罚规则
        要求平台解封账号，返还冻结的收入
        希望主管部门保障网约车司机的合法权益，建立公平的申诉机制
    """,
    resolutions="""
        经{local}约谈{platform}，平台已对信访人反映的问题进行复核并整改
        已督促平台公开计价和抽成规则，并退还信访人被扣款项
        经核查，平台处理依据充分，已向信访人做好解释
    """,
    lit_extras="""
        我起诉了{platform}的运营公司，{court}判决驳回我的诉讼请求，我认为法院没有查清事实
    """,
    topics=(
        topic(
            "网约车:速达出行高额抽成",
            None,
            1.3,
            platform="速达出行",
            lessor="速达汽车服务有限公司",
            details="""
                平台抽成比例高达{rate}%，而且抽成规则不透明，每单扣多少司机根本看不到
                乘客付了八十多块，到{we}手里只有五十多，差价去哪了平台从来不解释
              """,
        ),
        topic(
            "网约车:优易行无故封号",
            None,
            1.0,
            platform="优易行",
            lessor="优易行汽车租赁有限公司",
            details="""
                {since2}我的账号突然被永久封禁，理由是“乘客投诉安全问题”，申诉了三次都被驳回，连具体是哪一单都不告诉我
                账户里还有{amount}流水没提现，封号后也被冻结了
              """,
        ),
        topic(
            "网约车:畅行约车以租代购",
            None,
            1.0,
            platform="畅行约车",
            lessor="畅行汽车租赁有限公司",
            details="""
                当初{lessor}说交{deposit}首付、每月{rentfee}租金，两年后车归司机，结果合同里根本没写过户
                现在平台订单越来越少，交了租金就剩不下钱，想退车还要扣全部押金
              """,
        ),
        topic(
            "网约车:快点出行乘客投诉处罚",
            None,
            0.8,
            platform="快点出行",
            lessor="快点出行科技有限公司",
            details="乘客投诉我绕路，平台不听解释直接扣了我当周的奖励，还罚了{fine}",
        ),
    ),
)


ISSUES = (
    PREPAID,
    RIDE_HAILING,
)
