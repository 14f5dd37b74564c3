"""Issue types: land acquisition, rural land contracts, property registration."""

from __future__ import annotations

from ..model import issue, topic
from ..vocab import RURAL_CITY_BIAS

LAND_ACQUISITION = issue(
    name="征地补偿",
    department="省自然资源厅",
    weight=4,
    prefix="征地补偿",
    gnoun="村民",
    group_rate=0.14,
    ages=(35, 76),
    city_bias=RURAL_CITY_BIAS,
    numbers={"area": (30, 900, "int"), "price": (18000, 65000, "price"), "share": (3000, 40000, "price")},
    locals_="{gov}自然资源局 镇政府 {gov}征地服务中心 村委会",
    oneoff={"village": "{village}", "project": "{estcore}产业园 {road}拓宽工程 {estcore}物流园 {estcore}新城片区开发"},
    oneoff_label="{village}{project}征地",
    titles="""
        {village}征地补偿标准过低
        反映{project}征地补偿问题
        关于{village}土地被征收的诉求
        {village}村民反映征地补偿款未到位
    """,
    backgrounds="""
        {we}是{district}{village}的村民，{since}镇政府征收{we}村土地用于{project}
        {village}共有{area}亩集体土地被征收建设{project}，涉及{we}在内的上百户村民
        {we}家的责任田和鱼塘在{since}被划入{project}征地范围
        我是{village}的村民，家里的几亩地被{project}征收了
    """,
    details="""
        补偿标准只有每亩{price}，远低于{city}公布的区片综合地价
        征地至今已经快两年，青苗和地上附着物补偿款还没有发到{we}手上
        按政策应当返还的留用地到现在都没有落实，村集体一直没有说法
        村里没有公开补偿款的收支和分配情况，每户只分到{share}，很多村民有意见
        征地时没有召开村民代表大会表决，也没有张贴征地公告，程序不合法
    """,
    demands="""
        请求核查{project}征地的审批手续和补偿标准
        要求按照区片综合地价足额补偿，并落实留用地
        希望上级部门督促公开征地补偿款的使用明细
        请求保障被征地农民的社会保障待遇，把{we}纳入养老保险
    """,
    resolutions="""
        经{local}核查，补偿标准符合规定，已责成镇政府公开补偿款分配明细
        已督促镇政府于{rdate}前发放青苗及地上附着物补偿款
        已将被征地农民纳入社会保障，并落实留用地指标
    """,
    lit_extras="""
        {we}对征地补偿决定提起行政诉讼，{court}判决驳回，{we}上诉后{mid_court}维持原判
    """,
    topics=(
        topic("征地补偿:沙岗村临空物流园", "清远市/清城区", 1.3, village="沙岗村", project="临空物流园"),
        topic("征地补偿:新围村高铁东站片区", "河源市/源城区", 1.2, village="新围村", project="高铁东站片区开发"),
        topic("征地补偿:大塘村湾畔工业园", "江门市/新会区", village="大塘村", project="湾畔工业园"),
        topic("征地补偿:南坑村临港产业园", "湛江市/麻章区", village="南坑村", project="临港产业园"),
        topic("征地补偿:石岗村高速互通立交", "肇庆市/高要区", 0.8, village="石岗村", project="高速公路互通立交"),
        topic("征地补偿:上围村电子信息产业园", "惠州市/博罗县", village="上围村", project="电子信息产业园"),
    ),
)


LAND_CONTRACT = issue(
    name="农村土地承包",
    department="省农业农村厅",
    weight=3,
    prefix="土地承包",
    gnoun="村民",
    group_rate=0.08,
    ages=(30, 80),
    city_bias=RURAL_CITY_BIAS,
    numbers={
        "area": (1, 12, "int"),
        "rent": (300, 1200, "price"),
        "amount": (3000, 60000, "price"),
        "years": (2, 8, "int"),
    },
    locals_="镇农业农村办 {gov}农业农村局 村委会 镇政府",
    oneoff={"village": "{village}", "company": "{core}农业发展有限公司 {core}种养专业合作社"},
    oneoff_label="{village}",
    titles="""
        {village}土地承包纠纷
        反映{village}侵害土地承包经营权
        关于{village}承包地问题的诉求
        请求维护{village}村民土地承包权益
    """,
    backgrounds="""
        {we}是{district}{village}的村民，家里世代以种地为生
        {we}家在{village}有{area}亩承包地，有土地承包经营权证
        我想反映{village}土地承包方面的问题，村里处理不公
    """,
    details="""
        村里的事都是几个村干部说了算，开村民大会也只是走过场
        {we}去镇里反映，镇里说是村民自治的事，让{we}回村里协商
    """,
    demands="""
        请求农业农村部门依法保护{we}的土地承包经营权
        要求村委会依法公开土地发包和流转的情况
        希望督促{village}纠正违规做法，恢复{we}的合法权益
    """,
    resolutions="""
        经{local}调查，已督促{village}村委会纠正，恢复信访人承包地
        已指导信访人向农村土地承包仲裁委员会申请仲裁
        已责成镇政府核查发包程序，并将结果向村民公示
    """,
    lit_extras="""
        {we}向法院起诉，{court}判决村委会恢复{we}的权益，但村里拒不执行，法院执行也没有效果
    """,
    topics=(
        topic(
            "土地承包:南岗村外嫁女权益",
            "佛山市/南海区",
            1.3,
            village="南岗村",
            company="南岗股份经济合作社",
            details="""
                我是{village}人，结婚后户口一直没有迁出，村里却以“外嫁女”为由取消了我的承包地和集体分红
                我的孩子户口也在村里，同样分不到一分钱，每年损失{amount}左右
              """,
        ),
        topic(
            "土地承包:东洋村流转租金拖欠",
            "湛江市/雷州市",
            1.2,
            village="东洋村",
            company="绿丰农业发展有限公司",
            details="""
                村里把{we}的承包地统一流转给{company}种菠萝，约定每亩每年租金{rent}，已经拖了{years}年没付
                {company}的老板说行情不好，让{we}再等等，可地已经被他占着种了好几年
              """,
        ),
        topic(
            "土地承包:沙栏村鱼塘违规发包",
            "中山市/三角镇",
            village="沙栏村",
            company="沙栏经济联合社",
            details="""
                村干部在没有经过村民代表大会表决的情况下，把村里一百多亩鱼塘低价发包给了亲戚，承包期长达三十年
                发包价每亩每年只有{rent}，比周边的市场价低了一半多
              """,
        ),
        topic(
            "土地承包:下坪村确权面积不符",
            "梅州市/兴宁市",
            0.8,
            village="下坪村",
            company="下坪村委会",
            details="""
                土地确权颁证时，{we}家的承包地登记面积比实际少了{area}亩，而且四至位置也画错了
                {we}申请更正，村里说要等全村统一处理，一等就是{years}年
              """,
        ),
        topic(
            "土地承包:岭脚村二轮延包调整",
            "茂名市/电白区",
            village="岭脚村",
            company="岭脚村委会",
            details="""
                二轮承包到期延包时，村里说要重新调整，把{we}家耕种了几十年的{area}亩地调给了别人
                按照国家政策，二轮延包应当保持承包关系稳定，村里这样做明显违反政策
              """,
        ),
    ),
)


PROPERTY_TITLE = issue(
    name="不动产登记办证难",
    department="省自然资源厅",
    weight=3,
    prefix="办证难",
    gnoun="业主",
    gunit="户",
    group_rate=0.14,
    ages=(28, 70),
    numbers={"years": (3, 15, "int")},
    choices={"households": "三百 五百 七百 一千"},
    locals_="{gov}不动产登记中心 {city}自然资源局 {gov}住建局",
    oneoff={
        "estate": "{estcore}花园 {estcore}华庭 {estcore}大厦 {estcore}苑",
        "developer": "{core}房地产开发有限公司 {core}置业有限公司",
    },
    oneoff_label="{estate}",
    titles="""
        {estate}业主办证难
        反映{estate}无法办理不动产权证
        请求解决{estate}房产证问题
        关于{developer}不配合办证的投诉
    """,
    backgrounds="""
        {we}是{city}{district}{estate}的业主，房子买了{years}年，至今没有拿到不动产权证
        {we}是{estate}的业主，购房已经{years}年，房款早已付清，证却一直办不下来
        关于{estate}业主办理不动产权证难的问题，{we}已经反映了很多次
        我在{estate}买房时开发商承诺两年内办证，现在孩子都上小学了还没拿到证
    """,
    details="""
        没有房产证，孩子上学、落户、办抵押贷款都受影响
        不动产登记中心说是开发商的问题，开发商说在办，每年都这么说
        {we}想把房子卖了换个大点的，没有证根本过不了户
    """,
    demands="""
        请求自然资源部门协调解决{estate}业主的办证问题
        要求督促{developer}履行义务，补缴欠费，配合业主办证
        希望按照“交房即办证”的政策，尽快解决历史遗留问题
    """,
    resolutions="""
        经{local}协调，{estate}已分批启动不动产首次登记，业主可申请转移登记
        已将{estate}纳入历史遗留问题处置台账，明确了办证时间表
        已督促{developer}补缴土地出让金，办证工作正在推进
    """,
    lit_extras="""
        {we}起诉{developer}要求协助办证并赔偿违约金，{court}判决支持，但开发商一直不履行
    """,
    topics=(
        topic(
            "办证难:丽景花园欠缴出让金",
            "东莞市/厚街镇",
            1.4,
            estate="丽景花园",
            developer="丽景房地产开发有限公司",
            details="开发商{developer}欠缴土地出让金，导致全小区{households}多户业主办不了不动产权证",
        ),
        topic(
            "办证难:港湾新城规划验收未过",
            "珠海市/金湾区",
            estate="港湾新城",
            developer="港湾置业有限公司",
            details="小区有两栋楼超规划面积建设，规划验收一直通不过，整个小区都无法办理分户产权证",
        ),
        topic(
            "办证难:福兴村统建楼",
            "深圳市/宝安区",
            0.8,
            estate="福兴村统建楼",
            developer="福兴股份合作公司",
            details="{we}买的是村里的统建楼，当时说过几年就能办证，现在又说属于历史遗留违法建筑，办不了",
        ),
        topic(
            "办证难:金穗安置小区分户办证",
            "广州市/增城区",
            estate="金穗安置小区",
            developer="区土地开发中心",
            details="{we}是征地拆迁安置户，安置房交付{years}年了，一直没有办理分户产权证",
        ),
        topic(
            "办证难:华富大厦抵押未解除",
            "汕头市/龙湖区",
            0.8,
            estate="华富大厦",
            developer="华富实业有限公司",
            details="开发商把整栋楼抵押给了银行，借款到期没还，银行不解押，{we}的房子办不了证也卖不了",
        ),
    ),
)


ISSUES = (
    LAND_ACQUISITION,
    LAND_CONTRACT,
    PROPERTY_TITLE,
)
