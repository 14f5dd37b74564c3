"""Issue types: construction noise and industrial pollution."""

from __future__ import annotations

from ..model import issue, topic
from ..vocab import BIG_CITY_BIAS

NOISE = issue(
    name="建筑施工噪音扰民",
    department="省生态环境厅",
    weight=4,
    prefix="施工噪音",
    gnoun="居民",
    gunit="户",
    group_rate=0.07,
    ages=(25, 75),
    city_bias=BIG_CITY_BIAS,
    numbers={"nights": (5, 28, "int")},
    choices={"dist": "30 50 80 100 150"},
    locals_="{gov}生态环境分局 {gov}住建局 城管部门 12345热线",
    oneoff={
        "site": "{estcore}花园工地 {road}改造工地 {estcore}广场项目工地",
        "builder": "{core}建筑工程有限公司 {core}建设集团",
    },
    oneoff_label="{site}",
    titles="""
        {site}夜间施工噪音扰民
        反映{site}噪音问题
        投诉{district}夜间施工噪音
        关于{builder}夜间施工扰民的问题
    """,
    backgrounds="""
        {we}住在{district}{road}附近，家门口就是{site}
        {we}小区离{site}不到{dist}米，{since2}开工以来就没有睡过一个安稳觉
        {we}是{site}周边的居民，家里有老人和小孩
        我家就在{site}对面，卧室窗户正对着工地
    """,
    details="""
        工地每天晚上十点以后还在打桩、浇混凝土，噪音一直持续到凌晨两三点
        光这个月就有{nights}个晚上夜间施工，{we}打12345投诉，来人一看就走了，第二天照旧
        施工方说有夜间施工许可，但{we}查了公示，许可时间根本不包括凌晨
        泥头车半夜进出工地，喇叭声、刹车声不断，家里孩子马上要中考了，根本没法休息
        工地的围挡很矮，白天扬尘也很严重，窗户都不敢打开
    """,
    demands="""
        请求生态环境部门对{site}夜间施工进行执法检查
        要求{builder}严格遵守施工时间，夜间停止高噪声作业
        希望有关部门对违规夜间施工依法处罚，还居民一个安静的休息环境
    """,
    resolutions="""
        经{local}现场检查，已责令{builder}停止夜间高噪声作业并依法处罚
        已督促施工单位调整作业时间，并加装隔声屏障
        经核实，涉事工程属于连续浇筑作业，已办理夜间施工证明，已向信访人解释
    """,
    topics=(
        topic(
            "施工噪音:龙溪站地铁夜间施工", "广州市/海珠区", 1.3, site="地铁龙溪站工地", builder="粤城轨道工程有限公司"
        ),
        topic(
            "施工噪音:鹏城云峰项目夜间打桩",
            "深圳市/龙华区",
            1.2,
            site="鹏城云峰项目工地",
            builder="恒达建筑工程有限公司",
        ),
        topic("施工噪音:滨江路市政改造", "珠海市/香洲区", site="滨江路市政改造工地", builder="粤顺市政工程有限公司"),
        topic("施工噪音:悦澜湾楼盘工地", "佛山市/禅城区", site="悦澜湾楼盘工地", builder="华盛建工集团有限公司"),
        topic(
            "施工噪音:东城商业综合体工地", "东莞市/东城街道", site="东城商业综合体工地", builder="鑫源建设集团有限公司"
        ),
    ),
)


POLLUTION = issue(
    name="工业污染",
    department="省生态环境厅",
    weight=4,
    prefix="工业污染",
    gnoun="村民",
    group_rate=0.12,
    ages=(30, 78),
    choices={"dist": "100 200 300 500"},
    locals_="{gov}生态环境分局 镇政府 12369环保热线 {city}生态环境局",
    oneoff={
        "factory": "{core}五金厂 {core}塑料制品厂 {core}化工有限公司 {core}陶瓷厂 {core}印染厂",
        "village": "{village}",
    },
    oneoff_label="{factory}",
    titles="""
        {factory}违法排污
        反映{village}附近工厂污染问题
        关于{factory}排放{pollution}的问题
        投诉{factory}污染环境
    """,
    backgrounds="""
        {we}是{district}{village}的村民，村子旁边就是{factory}
        {factory}建在{we}村旁边，离居民区不到{dist}米
        {we}住在{village}，自从{factory}开工以后，村里的环境一天比一天差
        我家离{factory}只有一条马路，天天受污染困扰
    """,
    details="""
        每到晚上工厂就偷偷排放{pollution}，很多老人小孩咳嗽不止
        {we}投诉以后环保部门来检查，工厂提前收到风声停了工，人一走又照样生产
        村里的水井已经不敢用了，村民都要去镇上买桶装水
    """,
    demands="""
        请求生态环境部门对{factory}进行突击检查，查处违法排污行为
        要求{factory}停产整改，安装合格的治污设施
        希望对周边土壤和水源进行检测，公开检测结果
    """,
    resolutions="""
        经{local}现场检查，{factory}存在超标排放行为，已立案处罚并责令停产整改
        已对周边水体和土壤开展监测，监测结果已向村民公开
        经监测，企业排放数据达标，已督促企业加强管理减少异味
    """,
    lit_extras="""
        {we}起诉{factory}环境污染责任纠纷，{court}判决赔偿，但工厂老板至今没有支付，申请执行也没结果
    """,
    topics=(
        topic(
            "工业污染:鸿发五金电镀废水",
            "江门市/鹤山市",
            1.3,
            factory="鸿发五金电镀厂",
            village="南门村",
            pollution="电镀废水",
            details="{factory}的电镀废水直接排进村边的河涌，河水发黑发臭，鱼塘里的鱼一夜之间死了一大片",
        ),
        topic(
            "工业污染:利源陶瓷厂粉尘",
            "肇庆市/四会市",
            factory="利源陶瓷厂",
            village="大沙村",
            pollution="粉尘和废气",
            details="{factory}的窑炉烟囱整天冒黑烟，村里晾的衣服一收就是一层灰，菜叶上也全是粉尘",
        ),
        topic(
            "工业污染:永兴塑料厂废气异味",
            "揭阳市/普宁市",
            factory="永兴塑料厂",
            village="后溪村",
            pollution="刺鼻的废气",
            details="{factory}熔化废旧塑料，晚上气味特别刺鼻，门窗关紧了还能闻到，好几个孩子得了咽炎",
        ),
        topic(
            "工业污染:金达再生资源露天焚烧",
            "清远市/清城区",
            0.8,
            factory="金达再生资源回收站",
            village="东岸村",
            pollution="焚烧烟雾",
            details="{factory}经常半夜露天焚烧电线电缆，黑烟滚滚，空气里一股烧焦的味道",
        ),
        topic(
            "工业污染:宏利印染厂排污",
            "汕头市/潮南区",
            factory="宏利印染厂",
            village="仙门村",
            pollution="印染废水",
            details="{factory}的印染废水颜色一天一个样，排进河里整条河都变了色，下游的农田也受到影响",
        ),
    ),
)


ISSUES = (
    NOISE,
    POLLUTION,
)
