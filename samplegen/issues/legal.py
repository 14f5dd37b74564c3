"""Litigation-related issue types (涉法涉诉): judgments, enforcement, police."""

from __future__ import annotations

from ..model import issue, topic

JUDGMENT = issue(
    name="不服法院判决",
    department="省高级人民法院",
    weight=4,
    prefix="不服判决",
    gnoun="当事人",
    litigation=True,
    group_rate=0.0,
    ages=(28, 78),
    numbers={"amount": (20000, 2000000, "price"), "cno": (100, 9999, "int")},
    locals_="{mid_court} {court} {gov}人民检察院",
    oneoff={"opponent": "{core}实业有限公司 {core}贸易有限公司 {core}物流有限公司 借款人{surname}某"},
    oneoff_label="{opponent}{dispute}",
    titles="""
        不服{mid_court}终审判决
        反映{dispute}纠纷案判决不公
        申请再审{dispute}纠纷一案
        关于（{sinceyear}）粤{ccode}民初{cno}号案的申诉
    """,
    backgrounds="""
        我与{opponent}{dispute}纠纷一案，经{court}一审、{mid_court}二审，判决结果严重不公
        我是{dispute}纠纷一案的当事人，对{mid_court}作出的终审判决不服
        关于我与{opponent}之间的{dispute}纠纷，我认为法院的判决认定事实错误
    """,
    details="""
        一审案号是（{sinceyear}）粤{ccode}民初{cno}号，判决驳回了我的大部分诉讼请求
        对方提交的关键证据是伪造的，我申请笔迹鉴定，法院不予准许
        二审法院没有开庭审理，只是书面审查就维持了原判
        我向省高院申请再审，被裁定驳回，我认为法院适用法律错误
        判决认定的金额与实际相差{amount}，法官对我提交的银行流水根本不采信
    """,
    demands="""
        请求省高院依法提审此案，纠正错误判决
        要求对办案法官是否存在违法审判行为进行调查
        希望检察机关依法提出抗诉，还我一个公道
    """,
    resolutions="""
        经审查，原判认定事实清楚、适用法律正确，已依法驳回再审申请并向信访人释法说理
        已告知信访人可向检察机关申请法律监督
        经复查，原审存在程序瑕疵，已依法裁定再审
    """,
    topics=(
        topic(
            "不服判决:恒达建筑工程款纠纷",
            None,
            1.0,
            opponent="恒达建筑工程有限公司",
            dispute="建设工程施工合同",
            details="我承包了{opponent}的部分劳务工程，工程款一直没结清，起诉后法院只支持了一小部分",
        ),
        topic(
            "不服判决:鑫源置业商品房买卖合同",
            "惠州市/惠阳区",
            1.0,
            opponent="鑫源置业有限公司",
            dispute="商品房买卖合同",
            details="{opponent}交房时面积缩水，还擅自变更了规划，法院却认定开发商不构成违约",
        ),
        topic(
            "不服判决:交通事故赔偿",
            None,
            1.2,
            opponent="对方车主及其投保的保险公司",
            dispute="机动车交通事故责任",
            details="我在交通事故中受伤致残，法院对误工费和护理费的计算标准明显偏低",
        ),
        topic(
            "不服判决:民间借贷纠纷",
            None,
            1.2,
            opponent="借款人{xsurname}某",
            dispute="民间借贷",
            details="我借给{opponent}的钱有转账记录，法院却以借贷合意证据不足为由驳回了部分请求",
        ),
        topic(
            "不服判决:联兴电子劳动争议",
            "东莞市/长安镇",
            0.8,
            opponent="联兴电子有限公司",
            dispute="劳动争议",
            details="我在{opponent}工作了六年，被违法解除劳动合同，法院却只判了很少的经济补偿",
        ),
        topic(
            "不服判决:离婚后财产分割",
            None,
            0.8,
            opponent="前夫|前妻",
            dispute="离婚后财产",
            details="离婚时{opponent}隐瞒了名下的房产和存款，法院却不予重新分割",
        ),
    ),
)


ENFORCEMENT = issue(
    name="法院执行难",
    department="省高级人民法院",
    weight=4,
    prefix="执行难",
    gnoun="申请执行人",
    litigation=True,
    group_rate=0.05,
    ages=(28, 75),
    numbers={"amount": (20000, 1500000, "money"), "cno": (100, 9999, "int")},
    locals_="{court} {mid_court} {court}执行局",
    oneoff={"opponent": "{core}实业有限公司 {core}贸易有限公司 {core}装饰工程有限公司 借款人{surname}某"},
    oneoff_label="{opponent}",
    titles="""
        申请督促执行{subject}
        反映{court}执行难
        关于（{sinceyear}）粤{ccode}执{cno}号案执行问题
        {opponent}拒不履行生效判决
    """,
    backgrounds="""
        {we}申请执行{opponent}支付{subject}一案，{court}已经立案执行，但一直没有执行到位
        {court}作出的（{sinceyear}）粤{ccode}民初{cno}号判决早已生效，被执行人{opponent}拒不履行
        {we}是申请执行人，被执行人{opponent}欠{we}{subject}{amount}，判决生效后对方一分未付
    """,
    details="""
        执行了一年多，法院以“被执行人暂无可供执行财产”为由终结本次执行程序
        {we}自己查到{opponent}名下有车有店面，也提供给了执行法官，可法院迟迟不采取措施
        执行法官电话经常打不通，去法院也见不到人，案件进展完全不透明
        法院已经执行到一部分款项，但执行款到账好几个月了还没发放给{we}
        被执行人一边说没钱，一边开豪车、出国旅游，明显是拒不执行判决
    """,
    demands="""
        请求上级法院督促{court}加大执行力度
        要求对{opponent}拒不执行判决的行为依法追究刑事责任
        希望法院尽快发放已执行到的款项
    """,
    resolutions="""
        经督办，{court}已恢复执行，并对被执行人采取限制高消费措施
        已执行到位款项{amount}并发放给信访人
        经审查，执行法院已穷尽财产调查措施，已向信访人释明终本程序
    """,
    topics=(
        topic("执行难:宏泰装饰工程款执行", "深圳市/龙岗区", 1.2, opponent="宏泰装饰工程有限公司", subject="工程款"),
        topic("执行难:交通肇事赔偿执行", None, 1.0, opponent="肇事司机{xsurname}某", subject="交通事故赔偿款"),
        topic("执行难:民间借贷终本执行", None, 1.4, opponent="借款人{xsurname}某", subject="借款本息"),
        topic(
            "执行难:联兴电子劳动报酬执行", "东莞市/长安镇", 1.0, opponent="联兴电子有限公司", subject="工资和经济补偿"
        ),
        topic("执行难:抚养费执行", None, 0.7, opponent="孩子的父亲", subject="抚养费"),
    ),
)


POLICE_CASE = issue(
    name="公安不予立案",
    department="省公安厅",
    weight=3,
    prefix="不予立案",
    gnoun="受害人",
    litigation=True,
    group_rate=0.06,
    ages=(25, 72),
    numbers={"amount": (5000, 800000, "money"), "small": (2000, 9000, "price")},
    locals_="{police} {gov}人民检察院 {city}公安局法制支队",
    oneoff={"opponent": "{core}商贸有限公司 {core}贸易有限公司"},
    oneoff_label="{opponent}{crime}",
    titles="""
        不服{police}不予立案决定
        反映{crime}案件报案不立案
        请求督促公安机关立案侦查
        关于{crime}案件不予立案的申诉
    """,
    backgrounds="""
        {we}于{since}向{police}报案，{police}作出了不予立案的决定
        {we}是一起{crime}案件的受害人，报案后公安机关一直不立案
        关于{we}报案的{crime}案件，{police}拖了几个月才答复，说不符合立案条件
    """,
    details="""
        {we}向{police}申请复议，复议结果还是维持不予立案
        {we}提供了转账记录和聊天截图，证据很清楚，不知道为什么不能立案
        {we}向检察院申请立案监督，到现在还没有结果
    """,
    demands="""
        请求上级公安机关督促{police}依法立案侦查
        要求撤销不予立案决定，追回{we}的损失
        希望检察机关依法进行立案监督
    """,
    resolutions="""
        经审查，已指令{police}依法立案侦查
        经复核，原不予立案决定符合法律规定，已向信访人说明理由
        已将案件线索移交经侦部门进一步核查
    """,
    topics=(
        topic(
            "不予立案:投资理财群诈骗",
            None,
            1.4,
            crime="诈骗",
            opponent="“牛股精英会”|“财富同行”|“价值投资交流群”",
            details="前段时间{we}被人拉进一个叫{opponent}的炒股群，在对方推荐的App上投了{amount}，后来无法提现",
        ),
        topic(
            "不予立案:盛通商贸合同诈骗",
            None,
            1.0,
            crime="合同诈骗",
            opponent="盛通商贸有限公司",
            details="""
                {opponent}以订货为名骗走{we}{amount}的货物，收货后人就消失了，公司地址也是假的
                派出所说这是经济纠纷，让{we}去法院起诉
              """,
        ),
        topic(
            "不予立案:故意伤害按治安处理",
            None,
            0.9,
            crime="故意伤害",
            opponent="邻居{xsurname}某",
            details="我被{opponent}持械打伤，伤情鉴定为轻伤二级，按规定应当立刑事案件，{police}却只按治安案件处理",
        ),
        topic(
            "不予立案:网络刷单诈骗",
            None,
            1.0,
            crime="网络诈骗",
            opponent="刷单客服",
            details="我在网上做刷单兼职被骗了{small}，报案后派出所只给了一张受案回执，说金额达不到立案标准",
        ),
        topic(
            "不予立案:嘉利贸易职务侵占",
            "佛山市/顺德区",
            0.7,
            crime="职务侵占",
            opponent="嘉利贸易有限公司原财务人员",
            details="{opponent}挪用公司资金{amount}，公司报案后公安认为证据不足，不予立案",
        ),
    ),
)


ISSUES = (
    JUDGMENT,
    ENFORCEMENT,
    POLICE_CASE,
)
