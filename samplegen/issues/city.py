"""Issue types: property management and city-management enforcement."""

from __future__ import annotations

from ..model import issue, topic
from ..vocab import BIG_CITY_BIAS

PROPERTY_MGMT = issue(
    name="物业管理纠纷",
    department="省住房城乡建设厅",
    weight=6,
    prefix="物业纠纷",
    gnoun="业主",
    gunit="户",
    group_rate=0.12,
    ages=(28, 72),
    city_bias=BIG_CITY_BIAS,
    numbers={"amount": (20000, 900000, "price"), "spaces": (200, 900, "int")},
    choices={"feeold": "1.8 2.0 2.2 2.5", "feenew": "3.2 3.5 3.8 4.5", "building": "3 5 7 9 12"},
    locals_="{gov}住建局 街道办 社区居委会 {gov}住建局物业科",
    oneoff={
        "estate": "{estcore}花园 {estcore}华庭 {estcore}名苑 {estcore}雅居 {estcore}新村",
        "pm": "{core}物业 {core}物业服务有限公司",
    },
    oneoff_label="{estate}",
    titles="""
        {estate}业主反映物业管理问题
        关于{pm}违规收费的投诉
        {estate}物业纠纷请求协调处理
        投诉{estate}物业服务不到位
    """,
    backgrounds="""
        {we}是{city}{district}{estate}的业主，小区由{pm}提供物业服务
        {we}住在{estate}已经好几年了，最近小区物业管理问题越来越突出
        G|{estate}是好几年前交付的小区，{we}都是这里的业主
        我是{estate}{building}栋的业主，想反映一下小区物业的问题
    """,
    details="""
        {pm}的服务质量很差，垃圾经常堆在楼道，绿化也没人管，业主意见很大
        业主多次向社区和住建部门反映，物业都置之不理
    """,
    demands="""
        请求住建部门督促{pm}依法公开物业费和公共收益收支情况
        要求{pm}停止违规行为，恢复正常的物业服务
        希望主管部门指导{we}成立业主委员会，依法选聘物业
        请求查处{pm}违规动用维修基金的问题
    """,
    resolutions="""
        经{local}协调，{pm}已公示近两年公共收益收支明细
        已责令{pm}限期整改服务问题，并指导小区筹备成立业主委员会
        经调查，物业费调整程序不合规，已责令{pm}恢复原收费标准
    """,
    lit_extras="""
        {pm}把不交物业费的业主告上法院，{court}判决业主败诉，{we}认为判决没有考虑物业服务不到位的事实
    """,
    topics=(
        topic(
            "物业纠纷:鑫源小区物业费上涨",
            "广州市/番禺区",
            1.4,
            estate="鑫源小区",
            pm="鑫源物业服务有限公司",
            details="""
                {pm}在没有召开业主大会的情况下，把物业费从每平方米{feeold}元涨到{feenew}元
                业主不同意涨价，物业就停了部分电梯和门禁卡，逼业主交钱
              """,
        ),
        topic(
            "物业纠纷:锦绣华庭维修基金",
            "深圳市/宝安区",
            1.2,
            estate="锦绣华庭",
            pm="嘉佑物业",
            details="""
                {pm}动用维修基金{amount}更换外墙瓷砖，业主表决结果从来没有公示过
                {we}怀疑表决票签名有造假，要求查看表决票原件，物业一直不给
              """,
        ),
        topic(
            "物业纠纷:翠湖名苑电梯故障",
            "佛山市/顺德区",
            estate="翠湖名苑",
            pm="安居乐物业",
            details="""
                小区{building}栋电梯从{since2}起反复故障，有老人被困在里面一个多小时
                物业说维修要动用维修基金，申请流程走了几个月还没批下来
              """,
        ),
        topic(
            "物业纠纷:金湾花园停车费",
            "东莞市/南城街道",
            estate="金湾花园",
            pm="宏基物业",
            details="""
                小区地下车库有{spaces}个车位，开发商只租不售，{pm}把月租从三百多涨到六百多
                业主认为车位产权不清，物业无权单方面涨价
              """,
        ),
        topic(
            "物业纠纷:碧水湾公共收益",
            "中山市/石岐街道",
            0.8,
            estate="碧水湾花园",
            pm="恒安物业",
            details="小区电梯广告、场地出租等公共收益每年估计有几十万，{pm}从来没有向业主公开过账目",
        ),
        topic(
            "物业纠纷:逸景新村物业拒不撤场",
            "惠州市/惠城区",
            0.8,
            estate="逸景新村",
            pm="佳美物业",
            details="{pm}合同到期后拒绝撤场，也不移交资料和设备房钥匙，业委会选聘的新物业进不来",
        ),
    ),
)


CHENGGUAN = issue(
    name="城管执法争议",
    department="省住房城乡建设厅",
    weight=3,
    prefix="城管执法",
    gnoun="商户",
    group_rate=0.04,
    ages=(25, 70),
    numbers={"amount": (500, 20000, "price")},
    locals_="{gov}城市管理和综合执法局 街道综合行政执法队 {gov}城管局",
    oneoff={},
    titles="""
        投诉{local}执法不规范
        对{gov}城管执法行为的投诉
        关于城管执法问题的反映
        反映城管执法程序不规范
    """,
    backgrounds="""
        我是在{district}谋生的小商贩，家里上有老下有小
        我想反映{local}在执法过程中存在的问题
        我是{city}{district}的居民，对城管部门的执法行为有意见
        {we}是{district}{road}一带的商户，对近期的城管执法有意见
    """,
    details="""
        执法人员没有出示执法证件，也没有告知{we}有陈述申辩的权利
        {we}理解城市要管理，但执法应该讲程序、讲道理
    """,
    demands="""
        请求调查{local}执法人员的违规行为
        要求撤销不合理的处罚决定，退还罚款和扣押物品
        希望城管执法能文明规范，给老百姓留条活路
    """,
    resolutions="""
        经{local}调查核实，已对相关执法人员批评教育，并返还暂扣物品
        已复核处罚决定，处罚程序合法，已向信访人解释说明
        已指导街道在{road}附近规划临时疏导点，允许摊贩定点经营
    """,
    lit_extras="""
        我对处罚决定不服提起了行政诉讼，{court}判决维持处罚决定，我认为判决不公
    """,
    topics=(
        topic(
            "城管执法:夜市摊贩执法方式",
            None,
            1.3,
            titles="反映城管执法方式粗暴\n投诉城管掀摊推搡摊贩",
            details="""
                {since2}晚上我在{road}摆摊卖小吃，几名执法队员过来直接掀了摊子，推搡中我摔倒受了伤
                执法队员没开任何单据，三轮车和炉具被拉走了
              """,
        ),
        topic(
            "城管执法:自建房加层被拆",
            None,
            1.0,
            details="""
                我家在{village}的自建房加了一层给老人住，{local}认定是违法建设，限期五天自行拆除
                同一排房子有好几家都加了层，只有我家被拆，执法明显不公平
              """,
        ),
        topic(
            "城管执法:店外经营罚款",
            None,
            1.0,
            titles="关于城管罚款决定的异议\n店外经营被罚款请求复核",
            details="""
                我在{district}{road}开了一家小餐馆，门口摆了两张桌子，就被罚了{amount}
                执法人员说是多次警告，但我从来没有收到过书面通知
              """,
        ),
        topic(
            "城管执法:暂扣物品不返还",
            None,
            0.8,
            titles="请求退还被暂扣物品\n城管暂扣三轮车货物受损",
            details="{since2}我的电动三轮车和货物被{local}暂扣，说交了罚款就退，我交了罚款去取车，货已经坏了，车上的电瓶也没了",
        ),
    ),
)


ISSUES = (
    PROPERTY_MGMT,
    CHENGGUAN,
)
