"""Issue types: school places and medical disputes."""

from __future__ import annotations

from ..model import issue, topic

SCHOOL = issue(
    name="子女入学学位",
    department="省教育厅",
    weight=3,
    prefix="入学学位",
    gnoun="家长",
    group_rate=0.1,
    ages=(28, 48),
    season={5: 1.5, 6: 2.2, 7: 2.4, 8: 2.0, 9: 1.5},
    city_bias={"广州市": 1.3, "深圳市": 1.7, "东莞市": 1.5, "佛山市": 1.3, "中山市": 1.2},
    numbers={"score": (60, 160, "int"), "years": (2, 9, "int")},
    choices={"kid": "孩子 女儿 儿子", "grade": "小学一年级 初一"},
    locals_="{gov}教育局 学校招生办 街道办 {city}教育局",
    oneoff={"estate": "{estcore}花园 {estcore}小区", "school": "{estcore}小学 {estcore}实验学校"},
    oneoff_label="{estate}{school}",
    titles="""
        {kid}{grade}入学学位问题
        反映{district}公办学位不足
        请求解决随迁子女入学问题
        关于{district}学位分配的意见
    """,
    backgrounds="""
        {we}是在{city}{district}工作的外来务工人员，{kid}今年要读{grade}
        {we}家住{district}，{kid}今年{grade}入学，遇到了学位问题
        {we}是{district}的家长，为了{kid}上学的事已经跑了好几个月
        我在{city}打工{years}年，一直租房住，{kid}今年要上{grade}
    """,
    details="""
        {we}按要求提交了全部材料，系统里的审核状态一直没有变化
        {we}问过{local}，答复是今年学位紧张，只能服从统筹安排
    """,
    demands="""
        请求教育部门统筹解决{kid}的公办学位
        希望调整入学政策，照顾长期在{city}缴纳社保的家庭
        要求公开学位分配方案和依据
    """,
    resolutions="""
        经{local}统筹，已为信访人子女安排公办学位
        已向信访人解释积分入学政策，并协助申请民办学校学位补贴
        已督促配套学校加快建设，过渡期间安排就近入读
    """,
    topics=(
        topic(
            "入学学位:积分入学分数不够",
            None,
            1.6,
            estate="出租屋",
            school="公办学校",
            details="""
                {we}在{city}连续缴社保{years}年，{kid}积分{score}分，就差几分没有排上公办学位
                积分规则年年调整，今年突然提高了居住年限的分值，对{we}这种租房的外来务工人员很不公平
              """,
        ),
        topic(
            "入学学位:海悦花园学区划片调整",
            "广州市/黄埔区",
            1.0,
            estate="海悦花园",
            school="东湖实验小学",
            details="""
                {estate}交房时宣传的是对口{school}，结果今年划片调整，{kid}被分到了三公里外的学校
                调整方案没有提前征求居民意见，公示时间也只有短短几天
              """,
        ),
        topic(
            "入学学位:翠林雅苑配套学校未建成",
            "佛山市/南海区",
            0.9,
            estate="翠林雅苑",
            school="翠林小学",
            details="小区配套的{school}按规划去年就应该建成招生，现在还是一片空地，{kid}只能到很远的学校借读",
        ),
        topic(
            "入学学位:随迁子女初中学位",
            "东莞市/长安镇",
            1.1,
            estate="工业区宿舍",
            school="公办初中",
            details="""
                {kid}在{district}读完小学，今年升初中却没有公办学位，只能去民办学校，一年学费一万多
                学位补贴只有几千块，{we}家庭负担很重
              """,
        ),
        topic(
            "入学学位:民办学校学位补贴",
            "中山市/小榄镇",
            0.7,
            estate="出租屋",
            school="民办学校",
            details="按政策随迁子女就读民办学校可以申请学位补贴，{we}提交了申请，{local}说名额满了",
        ),
    ),
)


MEDICAL_DISPUTE = issue(
    name="医疗纠纷",
    department="省卫生健康委员会",
    weight=3,
    prefix="医疗纠纷",
    gnoun="家属",
    group_rate=0.0,
    ages=(28, 75),
    numbers={"amount": (20000, 400000, "price")},
    choices={"relative": "我父亲 我母亲 我爱人 我孩子"},
    locals_="{gov}卫生健康局 医院医务科 医疗纠纷人民调解委员会",
    oneoff={"hospital": "{estcore}医院 {core}门诊部 {estcore}口腔门诊"},
    oneoff_label="{hospital}",
    titles="""
        投诉{hospital}医疗过错
        反映{hospital}医疗纠纷问题
        请求调查{hospital}诊疗问题
        关于{hospital}医疗事故的投诉
    """,
    backgrounds="""
        {relative}{since}在{hospital}就医，因为医院的诊疗问题造成了严重后果
        我是患者家属，{relative}在{hospital}治疗期间出了事，我们一直讨不到说法
        我想反映{hospital}的医疗问题，事情已经过去好几个月了
    """,
    details="""
        出事以后医院拒绝给我们复印完整的病历，护理记录还有涂改的痕迹
        医院只提出给几千块钱“人道主义补偿”，我们不能接受
        我们申请了医疗事故技术鉴定，鉴定结论认为不构成医疗事故，我们认为鉴定不公正
    """,
    demands="""
        请求卫生健康部门调查{hospital}的诊疗过程，追究相关医务人员责任
        要求医院公开完整病历，赔偿我们的损失
        希望通过医调委进行调解，不想再拖下去了
    """,
    resolutions="""
        经{local}调查，已督促{hospital}与患方通过医调委调解，双方达成赔偿协议
        已组织专家对诊疗过程进行评估，并告知信访人可依法申请医疗损害鉴定
        已责令{hospital}规范病历管理，对相关医务人员进行约谈
    """,
    lit_extras="""
        我们起诉了{hospital}，{court}一审判决医院承担30%的责任，我们认为比例太低，上诉又被驳回
    """,
    topics=(
        topic(
            "医疗纠纷:仁和医院术后感染",
            "东莞市/厚街镇",
            1.2,
            hospital="仁和医院",
            details="""
                {relative}因为胆结石到{hospital}做微创手术，术后出现严重感染，又转了两次院，前后花了{amount}
                医院一直说是病人体质问题，不肯承认手术有问题
              """,
        ),
        topic(
            "医疗纠纷:康宁妇产医院产后大出血",
            "广州市/白云区",
            1.0,
            ages=(25, 42),
            hospital="康宁妇产医院",
            relative="我爱人",
            details="{relative}在{hospital}顺产后大出血，医生处置不及时，抢救后切除了子宫",
        ),
        topic(
            "医疗纠纷:美华医疗美容失败",
            "广州市/越秀区",
            0.9,
            ages=(22, 55),
            hospital="美华医疗美容门诊部",
            amount="2.8万元|3.5万元|46800元|5.2万元",
            relative="我|我女儿",
            details="""
                {relative}在{hospital}做双眼皮和隆鼻，术后明显不对称，鼻子还出现了感染
                门诊部说可以免费修复，但要再等半年，我们不敢再在那里做了
              """,
        ),
        topic(
            "医疗纠纷:德康口腔种植牙脱落",
            "深圳市/宝安区",
            0.9,
            hospital="德康口腔门诊",
            amount="3.6万元|4.8万元|52000元|6.5万元",
            relative="我父亲|我母亲|我",
            details="{relative}在{hospital}种了四颗牙，花了{amount}，不到一年就松动脱落，门诊说是患者自己护理不当",
        ),
        topic(
            "医疗纠纷:基层医院误诊延误",
            None,
            1.0,
            hospital="镇卫生院|{gov}人民医院",
            details="{relative}胸口疼到{hospital}看病，医生只说是胃病开了点药，回家第二天就因为心梗送去抢救",
        ),
    ),
)


ISSUES = (
    SCHOOL,
    MEDICAL_DISPUTE,
)
