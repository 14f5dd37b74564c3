"""Issue types: wage arrears and freight-platform arrears."""

# ruff: noqa: E501

from __future__ import annotations

from ..model import issue, topic

WAGES = issue(
    name="拖欠农民工工资",
    department="省人力资源社会保障厅",
    weight=12,
    prefix="欠薪",
    gnoun="工友",
    group_rate=0.11,
    ages=(22, 62),
    season={12: 1.8, 1: 2.0, 2: 1.4, 6: 1.1},
    numbers={"amount": (6000, 85000, "money"), "months": (2, 14, "int")},
    choices={"trade": "钢筋工 木工 泥水工 水电工 架子工 油漆工 杂工 焊工 防水工"},
    locals_="{gov}人社局 {gov}劳动监察大队 {city}劳动保障监察支队 项目所在地住建部门 当地街道办",
    oneoff={
        "company": "{core}建筑工程有限公司 {core}装饰工程有限公司 {core}建设有限公司 {core}劳务分包有限公司",
        "project": "{estcore}花园{phase}期 {road}改造工程 {village}安置房项目 {estcore}商业广场 {estcore}工业园厂房",
        "boss": "包工头{surname}某 班组长{surname}某 分包老板{surname}某",
    },
    oneoff_label="{company}{project}",
    titles="""
        关于{company}拖欠农民工工资的问题
        {project}工地拖欠工资
        反映{project}拖欠农民工工资
        请求追讨{project}拖欠的工钱
        {company}欠薪{months}个月未发
        {trade}反映{project}欠薪
    """,
    backgrounds="""
        {we}从{since}开始在{company}承建的{project}做{trade}，一直干到{since2}
        {we}是跟着{boss}去{project}干活的，总包单位是{company}，{we}主要做{trade}
        {since}经老乡介绍，{we}到{city}{district}的{project}工地做{trade}，当时说好按月结算
        {we}在{project}干了{months}个月{trade}，总包是{company}，劳务这块由{boss}负责
        我今年{age}岁，老家在农村，{since}到{project}工地做{trade}，一家人就靠我这份工钱
    """,
    details="""
        工程早就完工验收了，{company}却一直以甲方没拨款为由拖着，{we}被拖欠工资{amount}
        {boss}说钱在总包那里，总包说已经把钱拨给了{boss}，两边互相推，{we}{months}个月的工资一分都没拿到
        当初说好年底一次结清，结果只发了几百块生活费，剩下的{amount}到现在都没给
        {we}手上有考勤记录和{boss}签字的欠条，白纸黑字写着欠款{amount}
        项目停工以后{boss}就联系不上了，{we}去工地找，门口保安连门都不让进
        {company}的项目经理每次都说下个月发，一拖再拖，前后已经拖了{months}个月
    """,
    demands="""
        请求责令{company}尽快支付拖欠的工资
        恳请劳动监察部门介入，督促总包单位先行垫付{we}的工钱
        希望政府帮{we}把血汗钱要回来，家里老人孩子都等着这笔钱过年
        要求查处恶意欠薪行为，把拖欠的{amount}发到{we}手上
        请领导督促{company}按实际工作量结清工资，不要再拖了
    """,
    resolutions="""
        经{local}调查核实，已督促{company}足额支付拖欠工资{amount}
        经协调，总包单位{company}已从农民工工资专用账户先行垫付，信访人已领到工资
        已对{company}下达劳动保障监察责令改正决定书，拖欠工资已于{rdate}发放到位
    """,
    lit_extras="""
        {we}已经到{court}起诉，判决{company}支付工资，判决生效半年多了对方还是不给，申请强制执行也没执行到钱
        劳动仲裁裁决支持了{we}的请求，法院也立案执行了，可执行法官说{company}名下没有可供执行的财产
    """,
    topics=(
        topic(
            "欠薪:恒达建筑汇景花园二期",
            "佛山市/南海区",
            1.5,
            company="恒达建筑工程有限公司",
            project="汇景花园二期",
            boss="包工头刘某|劳务班组长刘某",
        ),
        topic(
            "欠薪:鑫源建设临港物流园",
            "广州市/南沙区",
            1.2,
            company="鑫源建设集团有限公司",
            project="临港物流园仓库",
            boss="包工头张某",
        ),
        topic(
            "欠薪:宏泰装饰星河酒店装修",
            "深圳市/龙岗区",
            company="宏泰装饰工程有限公司",
            project="星河酒店装修工程",
            boss="包工头陈某|分包老板陈某",
        ),
        topic(
            "欠薪:金穗劳务科创产业园",
            "惠州市/惠阳区",
            company="金穗劳务服务有限公司",
            project="科创产业园厂房",
            boss="带班的黄某",
        ),
        topic(
            "欠薪:华盛建工湾区实验中学",
            "湛江市/麻章区",
            0.8,
            company="华盛建工集团有限公司",
            project="湾区实验中学新校区",
            boss="包工头吴某",
        ),
        topic(
            "欠薪:粤顺市政东环路改造",
            "东莞市/塘厦镇",
            company="粤顺市政工程有限公司",
            project="东环路改造工程",
            boss="分包老板何某",
        ),
        topic(
            "欠薪:联兴电子厂停工欠薪",
            "东莞市/长安镇",
            1.3,
            company="联兴电子有限公司",
            project="联兴电子厂",
            boss="老板林某",
            backgrounds="""
                {we}是{company}的员工，在厂里做普工和质检，有的已经干了好几年
                {we}在{company}上班，{since}以后厂里就开始拖欠工资
                我在{company}做了五年啤机操作工，是厂里的老员工
            """,
            details="""
                厂里从{since}开始说订单少，先停了加班费，后来干脆放假停工，工资一直拖着不发
                {boss}已经好几天没来厂里了，{we}担心他跑路，最近还有人在往外搬设备
                厂里欠{we}{months}个月工资，加上经济补偿一共{amount}左右
            """,
            demands="""
                请求督促{company}尽快发放拖欠的工资和经济补偿
                希望政府依法查封厂里的设备，防止老板转移资产，保障{we}的工资
                要求人社部门介入，按规定启动欠薪应急周转金
            """,
            titles="""
                {company}拖欠员工工资
                反映{company}停工欠薪
                {company}员工讨要工资
            """,
        ),
    ),
)


FREIGHT = issue(
    name="货运平台拖欠运费",
    department="省交通运输厅",
    weight=4,
    prefix="货运平台",
    gnoun="货车司机",
    group_rate=0.07,
    ages=(25, 58),
    city_bias={"广州市": 1.5, "深圳市": 1.3, "东莞市": 1.6, "佛山市": 1.4},
    numbers={
        "amount": (3000, 60000, "money"),
        "deposit": (2000, 10000, "price"),
        "orders": (12, 160, "int"),
        "fine": (200, 1500, "price"),
    },
    choices={
        "route": "广州到长沙 东莞到南宁 佛山到赣州 深圳到武汉 湛江到广州 惠州到厦门 中山到贵阳 江门到桂林 揭阳到上海 清远到深圳",
        "truck": "4米2厢式货车 6米8高栏车 9米6厢式货车 17米5半挂车",
    },
    locals_="{city}交通运输局 {gov}交通运输局 运管部门 {gov}市场监督管理局 12328交通运输服务监督热线",
    oneoff={
        "platform": "{platcore}运 {platcore}货运 {platcore}达 {platcore}通",
        "pcompany": "{platform}物流科技有限公司 {platform}供应链管理有限公司",
    },
    oneoff_label="{platform}",
    titles="""
        {platform}平台拖欠运费{amount}
        反映{platform}网络货运平台拖欠运费
        货车司机运费被{platform}拖欠
        请求督促{platform}结算运费
        关于{pcompany}拖欠运费的问题
    """,
    backgrounds="""
        {we}是跑长途的货车司机，开一台{truck}，{since}开始在{platform}上接单
        {we}主要通过{platform}接{route}的整车货源，平台运营方是{pcompany}
        {we}是个体货车司机，{since}起在{platform}上接单跑{route}，一个月大概跑{orders}单
        {we}在{platform}上注册成为承运司机已经两年多，平时跑{route}一线
        我是{city}本地的货车司机，一家人的生活全靠这台{truck}，车贷每月还要还好几千
    """,
    details="""
        {we}已经按要求把货送到，回单也上传了，平台却迟迟不结运费，累计欠{we}{amount}
        平台的客服电话根本打不通，在线客服只会回复“已记录，请耐心等待”
    """,
    demands="""
        请求交通运输部门约谈{platform}，督促平台尽快结清拖欠的运费
        要求平台退还保证金，取消不合理的扣款
        希望对网络货运平台加强监管，不能让货车司机辛辛苦苦白跑一趟
        恳请有关部门查一查{pcompany}的资金去向，保障司机的合法收入
    """,
    resolutions="""
        经{local}约谈{platform}运营方，平台已结清信访人运费{amount}
        已责令{pcompany}整改结算规则，退还信访人保证金
        已将{platform}平台经营问题通报市场监管部门，督促平台限期清偿司机运费
    """,
    lit_extras="""
        {we}起诉了{pcompany}，{court}判决平台支付运费，可平台公司账户早被冻结，执行一直不到位
    """,
    topics=(
        topic(
            "货运平台:快运通拖欠运费",
            None,
            1.8,
            platform="快运通",
            pcompany="快运通供应链管理有限公司",
            details="""
                {platform}从{since2}开始把运费结算周期从7天改成45天，后来干脆一直显示“结算中”，{we}累计{amount}提不出来
                平台客服说是货主还没回款，可{we}和平台签的是运输合同，货主付不付钱跟{we}没关系
              """,
        ),
        topic(
            "货运平台:货满舱提现冻结",
            None,
            1.2,
            platform="货满舱",
            pcompany="货满舱物流科技有限公司",
            details="""
                {since2}以后{platform}的提现功能一直冻结，说在“系统升级”，{we}钱包里的{amount}取不出来
                平台还在照常派单，就是不让提现，{we}怀疑平台资金出了问题
              """,
        ),
        topic(
            "货运平台:顺途达扣押保证金",
            None,
            1.0,
            platform="顺途达",
            pcompany="顺途达网络货运有限公司",
            details="""
                入驻{platform}时交了{deposit}保证金，说好退出时无条件退还，{we}申请退出快三个月了一直不退
                平台以“有未处理的货损”为由扣着保证金，可{we}根本没有收到过任何货损通知
              """,
        ),
        topic(
            "货运平台:云链速运违规罚款",
            None,
            0.8,
            platform="云链速运",
            pcompany="云链速运物流有限公司",
            details="""
                {platform}动不动就以“超时”“未按规定路线行驶”为由罚款，一单罚{fine}，{we}前后被扣了{amount}
                罚款规则是平台单方面改的，改之前没有任何通知，申诉也没人处理
              """,
        ),
        topic(
            "货运平台:路路鑫回单押款",
            None,
            0.7,
            platform="路路鑫",
            pcompany="路路鑫供应链有限公司",
            details="""
                {platform}要求司机把纸质回单寄回才结运费，回单寄过去后又说没收到，{amount}运费一直不结
                {we}跑{route}这条线，一趟下来油费、路费都是自己垫的，运费拿不到根本周转不过来
              """,
        ),
    ),
)


ISSUES = (
    WAGES,
    FREIGHT,
)
