"""Issue types: demolition compensation and delayed delivery of new homes."""

from __future__ import annotations

from ..model import issue, topic

DEMOLITION = issue(
    name="房屋拆迁补偿",
    department="省住房城乡建设厅",
    weight=4,
    prefix="拆迁补偿",
    gnoun="被拆迁户",
    gunit="户",
    group_rate=0.12,
    ages=(35, 80),
    numbers={
        "sqm": (60, 420, "int"),
        "price": (4000, 28000, "price"),
        "rent": (800, 3500, "price"),
        "months": (6, 48, "int"),
    },
    locals_="{gov}住建局 {gov}城市更新局 街道办 {gov}房屋征收办公室",
    oneoff={
        "village": "{village}",
        "project": "{village}旧村改造 {road}片区改造 {estcore}棚户区改造",
        "developer": "{core}城市更新有限公司 {core}实业有限公司",
    },
    oneoff_label="{project}",
    titles="""
        {project}拆迁补偿不合理
        反映{project}过渡安置费停发
        关于房屋拆迁补偿的问题
        {village}拆迁户反映回迁房逾期
        请求公开{project}补偿方案
    """,
    backgrounds="""
        {we}家的房子位于{district}{village}，在{project}的拆迁范围内
        {since}，{developer}开始在{we}这一片搞{project}，{we}家是被拆迁户
        {we}家是{project}涉及的拆迁户，房屋面积{sqm}平方米，有合法产权证
        我家三代人都住在{village}的老房子里，{project}要拆，补偿谈不拢
    """,
    details="""
        评估公司给出的补偿价每平方米只有{price}，附近二手房都卖到两三倍了
        签协议时承诺{months}个月内回迁，现在早就超期，回迁房还没动工
        过渡安置费从{since2}开始就停发了，{we}每月要自己掏{rent}租房
        拆迁方没有出具评估报告，也不让{we}自己找评估机构，只说“签了就有奖励，不签就没有”
        有一天夜里{we}家的房子被强行拆了一半，屋里的东西都没来得及搬
    """,
    demands="""
        请求重新评估房屋价值，按市场价给予补偿
        要求{developer}按协议按时交付回迁房，补发过渡安置费
        希望制止违法强拆行为，追究相关人员责任
        请求公开{project}的补偿安置方案和审批文件
    """,
    resolutions="""
        经{local}协调，{developer}已补发拖欠的过渡安置费
        已责令实施单位公开补偿安置方案，并组织重新评估
        经核查，补偿标准符合规定，已向信访人做好政策解释
    """,
    lit_extras="""
        {we}向{court}起诉要求确认强拆违法，法院判决确认违法，但赔偿至今没有落实
        {we}与{developer}的安置补偿协议纠纷已经{court}判决，对方拒不履行，执行了一年多还没结果
    """,
    topics=(
        topic(
            "拆迁补偿:鹤岗村旧村改造",
            "广州市/白云区",
            1.5,
            village="鹤岗村",
            project="鹤岗村旧村改造",
            developer="宏图城市更新有限公司",
        ),
        topic(
            "拆迁补偿:纺织厂宿舍三旧改造",
            "佛山市/禅城区",
            village="纺织新村",
            project="原纺织厂宿舍区三旧改造",
            developer="联盛城市更新有限公司",
        ),
        topic(
            "拆迁补偿:金平老城棚户区改造",
            "汕头市/金平区",
            village="老城片区",
            project="老城片区棚户区改造",
            developer="区土地储备中心",
        ),
        topic(
            "拆迁补偿:沿江大道扩建",
            "东莞市/虎门镇",
            0.8,
            village="沿江社区",
            project="沿江大道扩建工程",
            developer="镇城建办",
        ),
        topic(
            "拆迁补偿:坪地旧改回迁房逾期",
            "深圳市/龙岗区",
            1.2,
            village="田心村",
            project="田心旧改项目",
            developer="锦安实业有限公司",
        ),
    ),
)


DELAYED_DELIVERY = issue(
    name="商品房延期交付",
    department="省住房城乡建设厅",
    weight=5,
    prefix="延期交付",
    gnoun="业主",
    gunit="户",
    group_rate=0.15,
    ages=(26, 60),
    numbers={
        "months": (4, 30, "int"),
        "mortgage": (2500, 9000, "price"),
        "rent": (1500, 5000, "price"),
        "price": (600000, 2500000, "price"),
    },
    locals_="{gov}住建局 {city}住房和城乡建设局 保交楼工作专班 街道办",
    oneoff={
        "estate": "{estcore}花园 {estcore}华府 {estcore}天地 {estcore}公馆",
        "developer": "{core}置业有限公司 {core}房地产开发有限公司",
        "deliver": "2023年12月31日 2024年6月30日 2024年9月30日",
        "buy": "2021年 2022年 2023年",
    },
    oneoff_label="{estate}",
    titles="""
        {estate}逾期交房
        反映{estate}烂尾停工
        {developer}{estate}延期交付
        关于{estate}保交楼的诉求
        {estate}业主请求督促复工
    """,
    backgrounds="""
        {we}是{city}{district}{estate}的购房业主，开发商是{developer}
        {we}在{buy}购买了{developer}开发的{estate}商品房，总价{price}
        G|{we}都是{estate}的业主，大多是首套房刚需，倾尽全家积蓄付了首付
        我在{estate}买了一套两房，首付是父母帮忙凑的
    """,
    details="""
        合同约定{deliver}前交房，现在早已逾期，交房遥遥无期
        工地已经停工好几个月，塔吊都拆了，现场只剩下几个看门的
        开发商说资金链断裂，要等新的投资方进来才能复工
        {we}每月要还房贷{mortgage}，同时还要交房租{rent}，压力非常大
        听说预售资金监管账户里的钱早就被挪用了，监管银行和住建部门都没有尽到责任
    """,
    demands="""
        请求政府督促{developer}尽快复工，保交楼、保民生
        要求追查{estate}预售资金的使用情况
        希望协调银行在停工期间暂停{we}的房贷还款
        要求{developer}按合同支付逾期交房违约金
    """,
    resolutions="""
        经{local}协调，{estate}已复工，预计年底前完成交付
        已将{estate}纳入保交楼专项工作台账，督促开发商制定复工计划
        已协调监管银行核查预售资金使用情况，并于{rdate}向业主通报
    """,
    lit_extras="""
        {we}起诉了{developer}，{court}判决对方支付逾期交房违约金，但开发商账户被冻结，根本执行不了
    """,
    topics=(
        topic(
            "延期交付:鑫源翡翠湾",
            "惠州市/惠阳区",
            1.6,
            estate="翡翠湾",
            developer="鑫源置业有限公司",
            deliver="2023年12月31日",
            buy="2021年|2022年",
        ),
        topic(
            "延期交付:锦城时代花园",
            "江门市/新会区",
            1.0,
            estate="锦城时代花园",
            developer="锦城房地产开发有限公司",
            deliver="2024年6月30日",
            buy="2022年",
        ),
        topic(
            "延期交付:御景华府",
            "清远市/清城区",
            1.2,
            estate="御景华府",
            developer="宏景置业有限公司",
            deliver="2024年3月31日",
            buy="2021年|2022年",
        ),
        topic(
            "延期交付:滨海天悦",
            "湛江市/坡头区",
            0.8,
            estate="滨海天悦",
            developer="海悦房地产开发有限公司",
            deliver="2023年9月30日",
            buy="2021年",
        ),
        topic(
            "延期交付:悦府名门",
            "肇庆市/高要区",
            0.8,
            estate="悦府名门",
            developer="德润置业有限公司",
            deliver="2024年9月30日",
            buy="2022年|2023年",
        ),
        topic(
            "延期交付:云山雅苑",
            "佛山市/三水区",
            1.0,
            estate="云山雅苑",
            developer="云山房地产开发有限公司",
            deliver="2024年10月31日",
            buy="2022年",
        ),
    ),
)


ISSUES = (
    DEMOLITION,
    DELAYED_DELIVERY,
)
