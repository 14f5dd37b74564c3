"""Issue types: online lending collapses and illegal fund-raising."""

from __future__ import annotations

from ..model import issue, topic
from ..vocab import BIG_CITY_BIAS

P2P = issue(
    name="网贷平台爆雷",
    department="省地方金融管理局",
    weight=3,
    prefix="网贷爆雷",
    gnoun="出借人",
    group_rate=0.1,
    ages=(25, 70),
    city_bias=BIG_CITY_BIAS,
    numbers={"amount": (20000, 600000, "money"), "rate": (8, 16, "int")},
    locals_="{city}地方金融管理局 {gov}金融工作局 街道办 {city}处非办",
    oneoff={
        "platform": "{platcore}宝 {core}贷 {platcore}金服",
        "pcompany": "{platform}网络科技有限公司 {platform}金融信息服务有限公司",
        "pcity": "广州 深圳 东莞 佛山 珠海",
    },
    oneoff_label="{platform}",
    titles="""
        {platform}平台逾期无法兑付
        反映{platform}网贷平台爆雷
        {platform}出借人请求追回本金
        关于{pcompany}停止兑付的问题
    """,
    backgrounds="""
        {we}是{platform}的出借人，{since}开始在平台上出借资金
        {we}通过朋友介绍在{platform}上投资，平台注册地在{pcity}，运营公司是{pcompany}
        G|{we}都是普通工薪家庭，把多年的积蓄放在{platform}上赚点利息
        我是一名退休教师，经亲戚推荐在{platform}上买了理财产品
    """,
    details="""
        平台宣传年化收益{rate}%，还说有银行存管和风险备付金，绝对安全
        {since2}平台突然停止兑付，{we}出借的本金{amount}至今无法取回
        平台后来出了一个“良性退出”方案，每月只兑付本金的0.5%，照这个速度要十几年才能回本
        平台实际控制人已经失联，办公室人去楼空
    """,
    demands="""
        请求金融监管部门督促{platform}尽快兑付出借人本金
        要求追查{pcompany}的资金去向，查封实际控制人的资产
        希望政府成立专班处置{platform}风险，定期向出借人通报进展
    """,
    resolutions="""
        经{local}核查，{platform}已纳入风险处置范围，已告知信访人关注清退进展
        已督促平台运营方公布清退方案，并开通出借人信息登记渠道
        已将{platform}相关线索移送有关部门依法处置，并向信访人做好解释
    """,
    lit_extras="""
        公安机关{since2}已对{pcompany}立案侦查，可两年多过去了，既没有通报进展，也没有追赃退赔
        {pcompany}的案子已经{court}判决，判决书写着责令退赔，但{we}到现在一分钱都没有收到
    """,
    topics=(
        topic("网贷爆雷:融易宝", None, 1.5, platform="融易宝", pcompany="广东融易宝金融信息服务有限公司", pcity="深圳"),
        topic("网贷爆雷:金满仓", None, 1.2, platform="金满仓", pcompany="金满仓网络科技有限公司", pcity="广州"),
        topic("网贷爆雷:汇鑫贷", None, 1.0, platform="汇鑫贷", pcompany="汇鑫互联网金融服务有限公司", pcity="东莞"),
        topic("网贷爆雷:聚财宝", None, 0.8, platform="聚财宝", pcompany="聚财宝投资管理有限公司", pcity="佛山"),
    ),
)


FUNDRAISING = issue(
    name="非法集资",
    department="省公安厅",
    weight=3,
    prefix="非法集资",
    gnoun="投资人",
    group_rate=0.12,
    ages=(48, 82),
    numbers={"amount": (20000, 500000, "money"), "rate": (2, 6, "int")},
    locals_="{gov}金融工作局 街道办 {gov}市场监督管理局 社区居委会",
    oneoff={
        "company": "{core}投资管理有限公司 {core}农业科技有限公司 {core}文化传播有限公司",
        "product": "养生基地会员 果园认养 艺术品份额 原始股",
    },
    oneoff_label="{company}",
    titles="""
        {company}涉嫌非法集资
        反映{product}投资骗局
        请求追回{company}集资款
        关于{company}非法吸收资金的问题
    """,
    backgrounds="""
        {since}，{company}的业务员上门宣传{product}，说投资稳赚不赔
        G|{we}大多是退休老人，经熟人介绍购买了{company}的{product}
        {company}在{district}{road}开了门店，经常组织老人听讲座、送米送油
        我母亲今年七十多岁，被{company}的业务员拉去听了几次课，就把养老钱投了进去
    """,
    details="""
        业务员说投{amount}每月返息{rate}%，前几个月确实按时返，后来就越来越慢
        {since2}开始利息停发，{company}门店关门，负责人电话也打不通了
        合同是跟{company}签的，收款的却是个人账户，{we}当时没有多想
        {we}一共投入{amount}，很多是老人的养老钱和看病钱
    """,
    demands="""
        请求有关部门尽快查处{company}，追回{we}的血汗钱
        要求冻结{company}及负责人的资产，防止转移
        希望加强对类似“{product}”宣传活动的监管，不要让更多老人上当
    """,
    resolutions="""
        已将线索移送{police}依法处理，并告知信访人配合做好资金登记
        经{local}核查，已会同市场监管部门对涉事门店进行查处
        已将{company}涉嫌非法集资问题纳入处非工作台账，督促属地依法处置
    """,
    lit_extras="""
        这件事{police}已经立案，可是一年多了没有任何进展，{we}去问办案民警，总说还在侦查
        {company}负责人已被{court}以非法吸收公众存款罪判刑，判决要求退赔，但{we}一直没有拿到退赔款
    """,
    topics=(
        topic(
            "非法集资:康寿养老床位预订",
            "广州市/白云区;佛山市/南海区;江门市/蓬江区;肇庆市/端州区",
            1.3,
            company="康寿养老服务有限公司",
            product="养老床位预订",
        ),
        topic("非法集资:金元宝合作社荔枝入股", "茂名市/高州市", company="金元宝种养专业合作社", product="荔枝种植入股"),
        topic(
            "非法集资:聚源茶叶仓储投资",
            "揭阳市/榕城区;潮州市/湘桥区;汕头市/龙湖区",
            company="聚源茶业投资有限公司",
            product="茶叶仓储投资",
        ),
        topic(
            "非法集资:鼎盛私募股权份额",
            "深圳市/福田区;广州市/天河区;珠海市/香洲区",
            1.1,
            company="鼎盛股权投资基金管理有限公司",
            product="私募股权份额",
        ),
        topic(
            "非法集资:藏珍阁收藏品回购", "中山市/东区街道", 0.8, company="藏珍阁文化传播有限公司", product="收藏品回购"
        ),
    ),
)


ISSUES = (
    P2P,
    FUNDRAISING,
)
