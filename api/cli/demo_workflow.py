"""The demo's handling history: a fixed script of real steps, run once on a fresh demo data directory.

After `leian demo` imports the samples, the replay walks a few cases through the services the doors
use (lifecycle, dual assignment, 催办 / 督办单, evaluations, manual repeat links), each step as the demo
account that would take it, at the real clock: nothing is back-dated. The sample cases' received
dates lie in the past, so imported 待办 cases are already overdue for 受理 and imported 办理中 cases
past 60 days overdue for 办理; the replay adds the states the samples cannot carry (signed and
returned assignments, an extension, replies, a 不满意 evaluation and its 复查, a 终结, an open 督办单).

Cases are picked deterministically (by 登记编号 order), so every fresh demo shows the same states.
The replay records ``demo_replay`` in ``meta`` and never runs twice on one data directory.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.domain import Case
from kb.errors import LeianError
from kb.service import LeianService
from kb.storage.cases import read_meta, write_meta
from kb.users import Principal

META_KEY = "demo_replay"
LINK_NOTE = "同一信访人就同一事项再次反映（人工关联）"
ORDER_DAYS = 7
CAMPAIGN_NAME = "2026 年重复信访积案化解攻坚"  # the open 督办单 is due a week after the demo starts

# The accounts the script acts as (see DEMO_USERS in api/cli/cases.py).
PROVINCE, SUPERVISOR = "handler", "supervisor"
GZ, SZ, TRANSPORT = "gz_handler", "sz_handler", "jt_officer"
COURT = "gz_court"  # 广州市中级人民法院: receives the demo's 诉访分离 referrals


@dataclass
class ReplaySummary:
    """What the replay did, one Chinese line per kind of step (printed by `leian demo`)."""

    lines: list[str] = field(default_factory=list)

    def add(self, what: str, ids: Sequence[int]) -> None:
        if ids:
            self.lines.append(f"{what}：{'、'.join(f'#{i}' for i in ids)}")


def replayed(service: LeianService) -> bool:
    return read_meta(service.db, META_KEY) is not None


def replay(service: LeianService) -> ReplaySummary:
    """Run the script once; a data directory already replayed is left as it is (empty summary)."""
    summary = ReplaySummary()
    if replayed(service):
        return summary
    people = _accounts(service)
    cases = sorted(service.cases.get_many(service.cases.all_ids()).values(), key=lambda c: c.external_no)
    script = _Script(service, people, cases, summary)
    script.run()
    with service.db.transaction() as conn:
        write_meta(conn, META_KEY, service.clock.now().isoformat(timespec="seconds"))
    return summary


def _accounts(service: LeianService) -> dict[str, Principal]:
    people = {}
    for name in (PROVINCE, SUPERVISOR, GZ, SZ, TRANSPORT, COURT):
        principal = service.users.by_username(name)
        if principal is None:
            raise LeianError(f"演示账号 {name} 不存在，无法生成演示办理记录")
        people[name] = principal
    return people


class _Script:
    def __init__(
        self, service: LeianService, people: dict[str, Principal], cases: list[Case], summary: ReplaySummary
    ) -> None:
        self.s, self.p, self.summary = service, people, summary
        self.cases = cases
        self.registered = [c for c in cases if c.stage == "registered"]
        self.accepted = [c for c in cases if c.stage == "accepted"]
        self.replied = [c for c in cases if c.stage == "replied"]
        self.litigation_cases = [c for c in cases if c.litigation]
        self.used: set[int] = set()

    def run(self) -> None:
        self.accept()
        full, returned, waiting, supervised = self.assign()
        self.handle_fully(full)
        self.handle_returned(returned)
        self.supervise(waiting, supervised)
        self.conclude()
        self.link_repeat()
        self.campaign()
        self.packages()
        self.special_group()
        self.hand_over()

    # -- the steps -----------------------------------------------------------------------------
    def _do(
        self,
        case_id: int,
        action: str,
        *,
        reason: str | None = None,
        text: str | None = None,
        approver: str | None = None,
        days: int | None = None,
    ) -> None:
        """One lifecycle move by the provincial handler."""
        self.s.lifecycle.transition(
            case_id, action, actor=self.p[PROVINCE], reason=reason, text=text, approver=approver, days=days
        )

    def accept(self) -> None:
        """受理 two of the registered cases (the others stay 登记, most of them overdue for 受理)."""
        chosen = self.registered[:2]
        for case in chosen:
            self._do(case.id, "accept")
        self.accepted = chosen + self.accepted
        self.summary.add("受理", [c.id for c in chosen])

    def assign(self) -> tuple[int, int, int, int]:
        """双向交办 four cases in handling: two to 广州市 + 省交通运输厅, two to 深圳市 + 省交通运输厅."""
        picks = self.accepted[:4]
        if len(picks) < 4:
            raise LeianError("示例数据中办理中的案件不足 4 件，无法生成演示办理记录")
        full, returned, waiting, supervised = (c.id for c in picks)
        self.used |= {full, returned, waiting, supervised}
        for cid, city in ((full, "广州市"), (returned, "广州市"), (waiting, "深圳市"), (supervised, "深圳市")):
            self.s.assignments.assign(
                cid,
                locality=city,
                departments=["省交通运输厅"],
                note="请属地化解，省交通运输厅给予政策指导",
                actor=self.p[PROVINCE],
            )
        self.summary.add("双向交办", [full, returned, waiting, supervised])
        return full, returned, waiting, supervised

    def _assignment(self, case_id: int, unit: str) -> int:
        return next(a.id for a in self.s.assignments.history(case_id) if a.active and a.unit == unit)

    def handle_fully(self, cid: int) -> None:
        """签收 by both units, 延期 once, answers, 答复, 不满意, 复查申请, 复查意见, 回访."""
        a = self.s.assignments
        gz, jt = self._assignment(cid, "广州市"), self._assignment(cid, "省交通运输厅")
        a.sign(gz, actor=self.p[GZ])
        a.sign(jt, actor=self.p[TRANSPORT])
        self._do(cid, "extend", reason="需协调多个部门核实情况", approver="省信访局分管领导", days=30)
        a.answer(gz, "已约见信访人并组织协调，企业同意分期支付", resolved=True, actor=self.p[GZ])
        a.answer(jt, "依照有关规定，运费纠纷可先行调解，调解不成可依法申请仲裁", actor=self.p[TRANSPORT])
        self._do(cid, "reply", text="答复意见书：经属地核实，企业同意分期支付所欠款项，请信访人关注到账情况。")
        self.s.evaluations.evaluate(cid, "unsatisfied", "信访人认为分期期限过长", actor=self.p[PROVINCE])
        self._do(cid, "request_review", reason="信访人对答复不满意，申请复查")
        self._do(cid, "review_reply", text="复查意见书：经复查，原答复事实清楚，已督促企业缩短支付期限。")
        self.s.evaluations.follow_up(cid, "phone", "电话回访，信访人表示已收到第一期款项", actor=self.p[PROVINCE])
        self.summary.add("签收、延期、答复、不满意评价、复查已答复、回访", [cid])

    def handle_returned(self, cid: int) -> None:
        """广州市 signs; 省交通运输厅 returns its assignment with a reason."""
        a = self.s.assignments
        a.sign(self._assignment(cid, "广州市"), actor=self.p[GZ])
        a.return_assignment(
            self._assignment(cid, "省交通运输厅"),
            "该事项不属于交通运输部门职责，建议改交省人力资源社会保障厅",
            actor=self.p[TRANSPORT],
        )
        self.summary.add("退回交办", [cid])

    def supervise(self, waiting: int, supervised: int) -> None:
        """A 催办 to 深圳市 on the unsigned case; a 督办单 (open, due in a week) on the other."""
        self.s.supervision.remind(waiting, unit="深圳市", text="请尽快签收并办理", actor=self.p[SUPERVISOR])
        self.s.assignments.sign(self._assignment(supervised, "深圳市"), actor=self.p[SZ])
        deadline = self.s.clock.today() + dt.timedelta(days=ORDER_DAYS)
        self.s.supervision.issue_order(
            supervised,
            unit="深圳市",
            requirement="请于期限内报送化解进展和下一步措施",
            deadline=deadline,
            actor=self.p[SUPERVISOR],
        )
        self.summary.add("催办", [waiting])
        self.summary.add(f"督办单（{deadline.isoformat()} 前回复）", [supervised])

    def conclude(self) -> None:
        """终结 the first replied case whose 复查 window has passed."""
        for case in self.replied:
            try:
                self._do(case.id, "conclude")
            except LeianError:  # still within the window
                continue
            self.summary.add("终结", [case.id])
            self.used.add(case.id)
            return

    def campaign(self) -> None:
        """A running 积案化解攻坚 campaign: the 2026 Q3 cases and the 积案清单, letters with the six
        largest localities, the notices of the data's last two weeks (one rectification reply between
        them), a supervision visit and the open 督办单 linked."""
        c = self.s.campaigns
        cases = self.s.cases.get_many(self.s.cases.all_ids()).values()
        backlog = {int(r[0]) for r in self.s.db.query("SELECT id FROM cases WHERE backlog_list = 1")}
        listed = sorted(
            (x for x in cases if x.city and ("2026-07-01" <= str(x.received_date) <= "2026-09-30" or x.id in backlog)),
            key=lambda x: x.id,
        )
        if not listed:
            return
        last = dt.date.fromisoformat(str(max(str(x.received_date) for x in cases)))
        me = self.p[SUPERVISOR]
        camp = c.create(
            CAMPAIGN_NAME,
            (self.s.clock.today() + dt.timedelta(days=120)).isoformat(),
            description="对省里交办的重复信访和信访积案逐案明确属地、责任部门和牵头单位，限期化解。",
            starts_on=(last - dt.timedelta(days=30)).isoformat(),
            resolution_line=0.5,
            repeat_line=0.1,
            actor=me,
        )
        c.add_cases(camp.id, [x.id for x in listed], actor=me)
        counts: dict[str, int] = {}
        for x in listed:
            counts[x.city or ""] = counts.get(x.city or "", 0) + 1
        today = self.s.clock.today().isoformat()
        for unit in sorted(counts, key=lambda u: (-counts[u], u))[:6]:
            c.sign_letter(camp.id, unit, resolution_target=0.9, repeat_target=0.05, deadline=camp.deadline,
                          signed_on=today, signatory=f"{unit}信访工作联席会议召集人", actor=me)  # fmt: skip
        first = c.notice(camp.id, last - dt.timedelta(days=7), issue=True, actor=me)
        if first["rows"]:
            unit = first["rows"][0]["unit"]
            c.reply(camp.id, last - dt.timedelta(days=7), unit,
                    "已召开专题会议逐案研判，明确包案领导和化解时限，下周起每周报送进展。", actor=me)  # fmt: skip
        second = c.notice(camp.id, last, issue=True, actor=me)
        visited = [r["unit"] for r in second["rows"][:2]] or sorted(counts)[:1]
        c.add_visit(camp.id, team="省信访联席办第一督查组", units=visited,
                    findings="部分积案未落实包案领导，化解方案不具体；要求一周内报送整改清单。",
                    starts_on=today, ends_on=today, actor=me)  # fmt: skip
        for order in self.s.supervision.orders(actor=me):
            c.link_order(camp.id, order.id, actor=me)
        self.summary.add(f"攻坚活动“{CAMPAIGN_NAME}”（责任状 {min(6, len(counts))} 份、通报 2 期）", [camp.id])

    def link_repeat(self) -> None:
        """Link by hand two cases of one petitioner (the later as a repeat of the earlier)."""
        by_key: dict[str, list[Case]] = {}
        for case in self.replied:
            if case.petitioner_key:
                by_key.setdefault(case.petitioner_key, []).append(case)
        for group in by_key.values():
            for first, second in itertools.pairwise(group):
                try:
                    self.s.petitioners.link(first.id, second.id, LINK_NOTE, actor=self.p[PROVINCE])
                except LeianError:  # already linked by hand
                    continue
                self.summary.add("人工关联重复信访", [first.id, second.id])
                return

    def packages(self) -> None:
        """A leader register (one leader per most frequent open-case category) and a package per
        leader: the two hardest open cases of the domain, a plan, a deadline and two milestones."""
        wf, today = self.s.workflow, self.s.clock.today()
        open_cases = [c for c in self.cases if c.status in ("pending", "in_progress", "unresolved") and c.category]
        counts: dict[str, int] = {}
        for c in open_cases:
            counts[str(c.category)] = counts.get(str(c.category), 0) + 1
        top = sorted(counts, key=lambda k: (-counts[k], k))[: len(LEADERS)]
        made = []
        for (name, post), category in zip(LEADERS, top, strict=False):
            departments = [c.department for c in open_cases if c.category == category and c.department]
            unit = max(set(departments), key=lambda d: (departments.count(d), d)) if departments else "省信访局"
            if self.s.kernel.units.get(unit) is None:
                unit = "省信访局"
            leader = wf.register_leader(name=name, post=post, unit=unit, domains=[category], actor=self.p[SUPERVISOR])
            package = wf.create_package(
                leader_id=leader.id,
                limit=2,
                plan=f"{name}牵头约见信访人，会同属地和责任部门逐案制定化解方案，每两周听取一次进展汇报。",
                deadline=today + dt.timedelta(days=90),
                actor=self.p[SUPERVISOR],
            )
            wf.add_milestone(package.id, "首次接访", today + dt.timedelta(days=7), actor=self.p[SUPERVISOR])
            wf.add_milestone(package.id, "形成化解方案", today + dt.timedelta(days=30), actor=self.p[SUPERVISOR])
            made.append(package.id)
            # Later steps leave packaged cases to their leader.
            self.used.update(int(str(c["id"])) for c in package.cases)
        self.summary.add("领导包案（包案编号）", made)

    def special_group(self) -> None:
        """A 专项小组 over the largest active case group (when discovery has run), with a policy document."""
        groups = [g for g in self.s.groups.list_groups() if g.state == "active"]
        if not groups:
            return
        biggest = max(groups, key=lambda g: (g.size, -g.id))
        cases = self.s.groups.members(biggest.id, limit=100_000)[0]
        departments = [c.department for c in cases if c.department and self.s.kernel.units.get(c.department)]
        lead = max(set(departments), key=lambda d: (departments.count(d), d)) if departments else "省信访局"
        cities = sorted({c.city for c in cases if c.city and self.s.kernel.units.get(c.city)})[:4]
        made = self.s.special_groups.create(
            name=f"{biggest.name}专项小组",
            lead_unit=lead,
            member_units=cities,
            policy={
                "title": "关于同类信访事项统一处理意见的通知",
                "number": "粤信专〔2026〕1号",
                "date": self.s.clock.today().isoformat(),
                "text": "同类事项按同一政策口径处理：符合条件的统一落实，不符合条件的统一解释答复。",
            },
            group_ids=[biggest.id],
        )
        self.s.special_groups.start_batch(made.id, biggest.id)
        self.summary.add(f"专项小组 #{made.id}（批量处理中的类案组）", [biggest.id])

    def hand_over(self) -> None:
        """诉访分离: 广州市 refers two litigation-related cases to 广州市中级人民法院; the court checks the
        first, records the 三到位一处理 checklist and a 司法救助 decision, resolves and concludes it by law;
        the second stays checked, awaiting feedback. The province hands two more cases together (并案)
        to 省人民检察院."""
        h = self.s.handover
        open_cases = [c for c in self.litigation_cases if c.id not in self.used and c.stage != "concluded"]
        gz = [c.id for c in open_cases if c.city == "广州市"][:2]
        if len(gz) < 2:
            raise LeianError("示例数据中广州市的涉法涉诉案件不足 2 件，无法生成诉访分离演示记录")
        first, second = gz
        court = "广州市中级人民法院"
        for cid in (first, second):
            h.refer([cid], unit=court, note="涉法院执行事项，请依法核查并反馈", actor=self.p[GZ])
        ref = self._referral(first)
        h.step(ref, "check", "经核查，执行案件因被执行人暂无可供执行财产终结本次执行程序，程序合法", self.p[COURT])
        h.record_checklist(
            first,
            [
                {"item": "unreasonable", "applies": True, "done": True, "note": "已向申请人释法明理"},
                {"item": "hardship", "applies": True, "done": True, "note": "已协调司法救助"},
                {"item": "reasonable", "applies": False},
                {"item": "illegal", "applies": False},
            ],
            self.p[COURT],
        )
        h.request_aid(first, applicant="演示申请人", amount=20000, reason="因案致贫，生活困难", actor=self.p[COURT])
        aid = h.dossier(first, self.p[COURT])["judicial_aid"][0]["id"]
        h.decide_aid(aid, decision="partly", amount=12000, note="按司法救助标准核定", actor=self.p[COURT])
        h.step(ref, "resolve", "发放司法救助金，申请人表示理解并息诉", self.p[COURT])
        h.step(ref, "conclude", "诉求已依法处理到位，依法终结", self.p[COURT])
        h.step(self._referral(second), "check", "正在调阅执行卷宗核查", self.p[COURT])
        self.summary.add(f"诉访分离：移交{court}，核查、司法救助、化解、依法终结", [first])
        self.summary.add(f"诉访分离：移交{court}，核查中待反馈", [second])
        rest = [c.id for c in open_cases if c.id not in (first, second)][:2]
        if len(rest) == 2:
            h.refer(rest, unit="省人民检察院", note="同类涉检事项并案移交", actor=self.p[PROVINCE])
            self.summary.add("诉访分离：并案移交省人民检察院", rest)

    def _referral(self, case_id: int) -> int:
        current = self.s.handover.dossier(case_id)["current"]
        assert current is not None
        return int(current["id"])


# The demo's leader register (names are invented).
LEADERS = (("王建华", "副厅长"), ("陈立新", "副厅长"), ("林晓峰", "副局长"))
