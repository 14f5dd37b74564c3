"""Issue types: pension gaps after enterprise restructuring, insurance benefits."""

# ruff: noqa: E501

from __future__ import annotations

from ..model import issue, topic

PENSION = issue(
    name="企业改制养老保险断缴",
    department="省人力资源社会保障厅",
    weight=4,
    prefix="改制断缴",
    gnoun="老职工",
    group_rate=0.14,
    ages=(52, 76),
    city_bias={"韶关市": 2.2, "汕头市": 1.5, "江门市": 1.5, "湛江市": 1.5, "茂名市": 1.5, "梅州市": 1.6, "深圳市": 0.3},
    numbers={"years": (8, 28, "int"), "gap": (5, 19, "int"), "pension": (1500, 2600, "price")},
    locals_="{city}社保局 {gov}人社局 原主管局 {city}国资委",
    oneoff={
        "factory": "原{core}机械厂 原{core}纺织厂 原{core}水泥厂 原{core}食品厂 原{core}陶瓷厂 原{core}运输公司 原{gov}粮食加工厂",
        "reform": "1997 1998 1999 2000 2001 2002 2003 2004 2005",
    },
    oneoff_label="{factory}",
    titles="""
        {factory}改制职工养老保险断缴
        反映企业改制后养老保险断缴问题
        请求补缴改制期间养老保险
        {factory}老职工无法办理退休
        关于{factory}职工社保接续的诉求
    """,
    backgrounds="""
        {we}是{factory}的老职工，{reform}年企业改制时被买断工龄，养老保险从那以后就断缴了
        {we}在{factory}干了{years}年，{reform}年厂里改制，{we}被安排回家待岗，单位再没给{we}交过社保
        {reform}年{factory}转制给私人老板，当时承诺职工的社保由新公司继续缴纳
        G|{we}都是{factory}改制时分流的下岗职工，现在大多五六十岁了
        我今年{age}岁，在{factory}工作了{years}年，是厂里的老会计
    """,
    details="""
        当时说好改制后由新公司继续缴费，结果新公司没几年就倒闭了，{we}的养老保险断了{gap}年
        现在到了退休年龄去社保局一查，实际缴费年限不满15年，办不了退休手续
        社保部门说原单位已经注销，欠缴的部分没有责任主体，没办法补缴
        按当年的改制方案，职工安置费里包含了社保费用，可这笔钱去了哪里，{we}到现在也不知道
        {we}自己想补缴，社保部门说断缴时间太长，要交一大笔滞纳金，{we}实在拿不出来
        身边同样情况的老同事，有的已经领上了每月{pension}左右的养老金，{we}却还在到处跑
    """,
    demands="""
        请求落实改制企业职工养老保险接续政策，让{we}能正常办理退休
        要求原主管部门承担补缴责任，把断缴的{gap}年补上
        希望允许{we}按当年缴费基数补缴，并免收滞纳金
        恳请省里督促地方核查{factory}改制时职工安置费用的去向
    """,
    resolutions="""
        经{local}核实，已按政策为信访人办理改制期间养老保险补缴手续，养老金按月发放
        已协调原主管部门出具工作经历证明，信访人补缴后于{rdate}办理了退休手续
        经复核，信访人断缴期间符合视同缴费条件，已重新核定缴费年限
    """,
    lit_extras="""
        {we}起诉过原单位的承继公司，{court}以不属于法院受案范围为由裁定驳回，{we}申请再审也被驳回了
    """,
    topics=(
        topic("改制断缴:原红星机械厂", "韶关市/浈江区", 1.4, factory="原红星机械厂", reform="2003"),
        topic("改制断缴:原东方纺织厂", "汕头市/潮阳区", 1.2, factory="原东方纺织厂", reform="1999"),
        topic("改制断缴:原五金交电公司", "江门市/蓬江区", factory="原五金交电公司", reform="2001"),
        topic("改制断缴:原南华糖厂", "湛江市/遂溪县", factory="原南华糖厂", reform="2002"),
        topic("改制断缴:原农机修造厂", "茂名市/化州市", 0.8, factory="原农机修造厂", reform="2000"),
        topic("改制断缴:原城郊供销社", "梅州市/五华县", 0.8, factory="原城郊供销社", reform="1998"),
    ),
)


SOCIAL_INSURANCE = issue(
    name="社会保险待遇核定",
    department="省人力资源社会保障厅",
    weight=4,
    prefix="待遇核定",
    gnoun="参保人",
    group_rate=0.0,
    ages=(35, 75),
    numbers={
        "monthly": (150, 900, "price"),
        "pension": (1800, 4200, "price"),
        "years": (10, 35, "int"),
        "months": (2, 10, "int"),
        "amount": (8000, 60000, "price"),
    },
    choices={
        "startwork": "1978年 1980年 1982年 1985年 1988年 1990年",
        "injury": "左手被冲床压伤 从脚手架上摔下来腰椎骨折 右眼被铁屑划伤 右脚被叉车碾伤",
        "factory2": "钢铁厂 水泥厂 陶瓷厂 化工厂 玻璃厂",
    },
    locals_="{city}社会保险基金管理局 {gov}社保分局 {gov}人社局",
    oneoff={},
    titles="""
        对{item}核定结果有异议
        请求重新核定{item}
        反映社保部门{item}核定问题
        关于{item}核定的诉求
    """,
    backgrounds="""
        我是{city}{district}的参保人，对{item}的核定结果有异议，特向领导反映
        我对{local}作出的{item}核定决定不服，已经申请过复核，但结果没有改变
        我在{city}参加社会保险多年，最近在办理{item}时遇到了问题
    """,
    details="""
        我多次要求出具核定依据，工作人员只说是系统算的，解释不清楚
        按照我自己对照政策算的，核定结果明显偏低，相差不小
    """,
    demands="""
        请求上级社保部门重新核定我的{item}
        要求{local}书面说明核定依据和计算过程
        希望按政策认定我的合法权益，补发应得的待遇
    """,
    resolutions="""
        经{local}复核，已重新核定信访人{item}，并补发差额
        经核查，原核定结果符合政策规定，已向信访人详细解释计算依据
        已指导信访人补充相关证明材料，待遇已按规定核发
    """,
    lit_extras="""
        我对社保核定决定提起了行政诉讼，{court}判决驳回我的诉讼请求，我认为判决不公
    """,
    topics=(
        topic(
            "待遇核定:视同缴费年限未认定",
            None,
            1.5,
            ages=(55, 75),
            item="视同缴费年限",
            details="""
                我{startwork}参加工作，在国营单位干了{years}年，核定养老金时这一段视同缴费年限没有被认定
                {local}说我的原始档案里缺少招工表，所以不能认定，可档案是单位保管丢失的，不是我的责任
              """,
        ),
        topic(
            "待遇核定:工伤伤残等级偏低",
            None,
            1.0,
            ages=(25, 58),
            item="工伤待遇",
            details="""
                {since}我在厂里上班时{injury}，劳动能力鉴定只评了十级，我认为评得太低了
                申请再次鉴定后结果不变，一次性伤残补助金只有{amount}，连后续治疗费都不够
              """,
        ),
        topic(
            "待遇核定:失业保险金被停发",
            None,
            0.8,
            ages=(25, 55),
            item="失业保险金",
            details="""
                我{since}被公司辞退，申领失业保险金领了{months}个月就被停发了，理由是系统显示我有新的参保记录
                实际上是原公司错误地给我多交了一个月社保，我根本没有重新就业
              """,
        ),
        topic(
            "待遇核定:灵活就业人员养老金偏低",
            None,
            1.0,
            ages=(55, 75),
            item="养老金",
            details="""
                我以灵活就业人员身份缴费{years}年，退休后核定的养老金每月只有{pension}
                同样缴费年限的同事每月比我多{monthly}左右，社保部门给不出具体的计算明细
              """,
        ),
        topic(
            "待遇核定:特殊工种提前退休",
            None,
            0.8,
            ages=(45, 60),
            item="特殊工种提前退休",
            details="""
                我在{factory2}从事高温作业{years}年，按规定特殊工种可以提前退休，但因为原始档案缺失，{local}不予认定
                当年一起上班的工友都已经按特殊工种退休了，只有我的档案找不到
              """,
        ),
        topic(
            "待遇核定:遗属待遇未发放",
            None,
            0.6,
            ages=(35, 65),
            item="丧葬补助金和抚恤金",
            details="""
                我父亲{since}去世，他生前是退休职工，家里申请丧葬补助金和抚恤金，社保部门说材料不全，一直没有发放
                需要的材料我已经补交了三次，每次都说还缺别的
              """,
        ),
    ),
)


MEDICAL_INSURANCE = issue(
    name="医保报销争议",
    department="省医疗保障局",
    weight=3,
    prefix="医保报销",
    gnoun="参保群众",
    group_rate=0.0,
    ages=(30, 80),
    numbers={"amount": (3000, 180000, "price"), "percent": (30, 55, "int")},
    choices={
        "relative": "我父亲 我母亲 我爱人 我",
        "illness": "肺癌 尿毒症 脑梗 白血病 冠心病 股骨头坏死 乳腺癌",
    },
    locals_="{city}医疗保障局 {gov}医保分局 定点医院医保办",
    oneoff={"hospital": "{estcore}医院 {core}医院 {estcore}康复医院"},
    oneoff_label="{hospital}{name}",
    titles="""
        关于医保报销的问题反映
        反映{relative}住院费用医保报销问题
        医保报销被拒请求复核
        请求解决医疗费用报销难问题
    """,
    backgrounds="""
        我是{city}{district}的城乡居民医保参保人，因为报销的事情想向领导反映
        {relative}参加了{city}职工医保，最近因病住院，报销时遇到了问题
        我家在{district}，{relative}因{illness}长期治疗，医疗费用负担很重
    """,
    details="""
        我去{local}咨询了三次，每次给的说法都不一样
        医保窗口让我回医院开证明，医院又让我去找医保，来回跑了不下十趟
    """,
    demands="""
        请求医保部门按政策给予报销
        要求{local}重新审核我的报销申请，给一个明确的书面答复
        希望简化报销手续，不要让病人家属来回奔波
        恳请领导关心重病家庭，把该报的费用报了
    """,
    resolutions="""
        经{local}复核，已按规定为信访人补报医疗费用
        已协调定点医院重新上传结算数据，信访人的报销款已于{rdate}到账
        经核查，相关费用不属于医保支付范围，已向信访人解释政策
    """,
    topics=(
        topic(
            "医保报销:异地就医无法直接结算",
            None,
            1.3,
            hospital="外地的大医院",
            details="""
                {relative}在{hospital}住院，出院前办了异地就医备案，结账时系统仍然显示不能直接结算，只能先全额自费{amount}
                回到参保地报销，又说备案时间在入院之后，只能按较低比例报销
              """,
        ),
        topic(
            "医保报销:门诊特定病种认定被驳回",
            None,
            1.0,
            hospital="市人民医院",
            details="""
                {relative}患{illness}需要长期门诊治疗，申请门诊特定病种被驳回，理由是检查报告不全
                每个月门诊费用两三千元都要自己掏，家里实在负担不起
              """,
        ),
        topic(
            "医保报销:康华医院住院费用被扣除",
            "茂名市/茂南区",
            1.0,
            hospital="康华医院",
            details="""
                {relative}在{hospital}住院花了{amount}，医保结算时有一大块被认定为“不合规费用”剔除，要自己承担
                医院说是医保局审核扣的，医保局说是医院违规收费，两边互相推
              """,
        ),
        topic(
            "医保报销:大病保险报销比例低",
            None,
            0.9,
            hospital="省城的肿瘤医院",
            details="""
                {relative}患{illness}，一年医疗费{amount}，大病保险报销后自付比例仍在{percent}%左右
                听说其他地市的报销比例比{city}高，同样是广东的参保人，待遇差别太大
              """,
        ),
        topic(
            "医保报销:新生儿参保超期不能报销",
            None,
            0.6,
            hospital="妇幼保健院",
            relative="我孩子",
            details="""
                孩子出生后在{hospital}新生儿科住了半个月，花了{amount}，办参保时超过了出生后三个月的期限，医保说不能追溯报销
                我们是按医院的指引去办的，错过期限不是我们的责任
              """,
        ),
    ),
)


ISSUES = (
    PENSION,
    SOCIAL_INSURANCE,
    MEDICAL_INSURANCE,
)
