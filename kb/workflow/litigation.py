"""诉访分离: detect litigation-related petitions with evidence, and track their legal-channel hand-over."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexing.text import normalize
from kb.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError
from kb.storage.cases import CaseRepository, now
from kb.workflow import store

# One clause: cue co-occurrence is only counted inside a sentence, so "法院" in one sentence and
# "执行" in another (e.g. "政策执行") do not combine.
_C = r"[^。！？!?；;\n]"
STRONG: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p))
    for name, p in (
        ("法院裁判", rf"(法院|法庭|法官){_C}{{0,24}}(判决|裁定|调解书|执行|立案|审理|开庭|驳回|判了|判令)"),
        (
            "裁判文书",
            r"(判决书|裁定书|民事调解书|生效判决|判决生效|终审判决|一审判决|二审判决|刑事判决|民事判决|行政判决)",
        ),
        ("审级程序", r"(一审|二审|终审|再审|抗诉|发回重审|申请再审|审判监督)"),
        (
            "强制执行",
            r"(强制执行|申请执行|被执行人|执行法官|执行局|执行款|执行案件|执行标的|终结执行|终结本次执行|失信被执行|执行不力|执行难)",
        ),
        ("检察机关", r"(检察院|检察机关|检察官|人民检察|检察监督)"),
        ("公安立案", rf"(公安|派出所|刑警|经侦|警方){_C}{{0,24}}(立案|不予立案|不立案|撤案|侦查|刑事案件|受案回执)"),
        (
            "刑事程序",
            r"(立案侦查|刑事立案|不予立案|取保候审|刑事拘留|批准逮捕|起诉书|公诉|涉嫌犯罪|诈骗罪|非法吸收公众存款)",
        ),
    )
)
MEDIUM: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p))
    for name, p in (
        ("诉讼", r"(起诉|上诉|诉讼|打官司|原告|被告|律师函|法院)"),
        ("申诉", rf"(法院|检察|判决|裁定|案件){_C}{{0,20}}申诉|申诉{_C}{{0,20}}(法院|检察|判决|裁定)"),
        ("报案", rf"(报案|报警){_C}{{0,16}}(未|没有|不|拒绝){_C}{{0,6}}(立案|受理|处理)"),
    )
)
# Weak cues are evidence only; they never flag a case on their own ("依法" is everywhere).
WEAK: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(p)) for name, p in (("法律用语", r"(依法|法律|违法|律师|仲裁|维权|合法权益)"),)
)
# Legal boilerplate that names courts or enforcement without any case existing: cited titles
# (《最高人民法院关于…》), what the law allows ("依法申请人民法院强制执行", "可依法提起诉讼").
BOILERPLATE = re.compile(
    r"《[^》]{0,80}》|依法(申请(人民)?法院)?强制执行|可(以)?(依法)?(向人民法院)?(提起|申请)?(诉讼|起诉)"
)
# Negative cues: the petitioner says there is no lawsuit, or only suggests one.
NEGATIVE = re.compile(rf"(不想|不愿|无力|无钱|没钱|无法|没有|未曾|尚未|建议){_C}{{0,4}}(起诉|打官司|诉讼|上诉)")
STRONG_W, MEDIUM_W, WEAK_W, WEAK_CAP = 1.0, 0.5, 0.1, 0.3
THRESHOLD = 1.0

STATUSES = ("flagged", "handed_over", "feedback", "concluded", "dismissed")
STATUS_LABELS = {
    "flagged": "已识别",
    "handed_over": "已移交",
    "feedback": "已反馈",
    "concluded": "已办结",
    "dismissed": "已排除",
}
NEXT = {"flagged": {"handed_over", "dismissed"}, "handed_over": {"feedback"}, "feedback": {"concluded"}}


@dataclass
class Detection:
    flagged: bool
    score: float
    evidence: list[dict[str, str]] = field(default_factory=list)

    @property
    def phrases(self) -> list[str]:
        return [e["phrase"] for e in self.evidence if e["strength"] != "weak"]


def detect(text: str) -> Detection:
    """Score a petition for litigation relevance; evidence names the rule and the matched phrase."""
    text = BOILERPLATE.sub("", normalize(text))
    evidence: list[dict[str, str]] = []
    score, weak = 0.0, 0.0
    for strength, rules, weight in (("strong", STRONG, STRONG_W), ("medium", MEDIUM, MEDIUM_W)):
        for name, pattern in rules:
            match = pattern.search(text)
            if match:
                evidence.append({"rule": name, "phrase": match.group(0), "strength": strength})
                score += weight
    for name, pattern in WEAK:
        for match in pattern.finditer(text):
            evidence.append({"rule": name, "phrase": match.group(0), "strength": "weak"})
            weak += WEAK_W
    negative = NEGATIVE.search(text)
    if negative:
        evidence.append({"rule": "否定/建议", "phrase": negative.group(0), "strength": "negative"})
        score -= MEDIUM_W
    score += min(weak, WEAK_CAP)
    return Detection(score >= THRESHOLD, round(score, 3), evidence)


def record_detections(conn: sqlite3.Connection, cases: CaseRepository, found: Sequence[tuple[int, Detection]]) -> None:
    """Store the detections of an ingest batch (inside its transaction): a tracked case gets the new
    evidence and keeps its status; a flagged untracked one gets a track, its 已识别 event and the
    case's litigation flag. A few statements for the batch: the tracks read in one, the writes each
    as one ``executemany``."""
    tracked = store.track_statuses(conn, [case_id for case_id, _ in found])
    stamp = now(cases.clock)
    updates: list[tuple[float, str, int]] = []
    tracks: list[tuple[int, float, str, str, str]] = []
    events: list[tuple[int, str, str, str, str]] = []
    for case_id, detection in found:
        evidence = json.dumps(detection.evidence, ensure_ascii=False)
        if case_id in tracked:
            updates.append((detection.score, evidence, case_id))
        elif detection.flagged:
            tracks.append((case_id, detection.score, evidence, "system", stamp))
            events.append((case_id, "flagged", "自动识别：" + "、".join(detection.phrases[:5]), "system", stamp))
    store.update_tracks_evidence(conn, updates)
    store.insert_tracks(conn, tracks)
    store.add_litigation_events(conn, events)
    cases.set_litigation_many(conn, [row[0] for row in tracks], True)


# Set by the hand-over (kb/zhengfa): a referral, the receiving unit's feedback, 依法终结, a 退回.
HANDOVER_STATUSES = frozenset({"handed_over", "feedback", "concluded"})


def follow_handover(
    conn: sqlite3.Connection, cases: CaseRepository, case_id: int, status: str, actor: str, note: str | None, at: str
) -> None:
    """The track follows its hand-over (kb/zhengfa): 已移交 on referral, 已反馈 on feedback, 已办结 on
    依法终结, back to 已识别 on 退回 (``status`` one of STATUSES). A case tracked by no rule is tracked now."""
    if store.track_status(conn, case_id) is None:
        store.insert_track(conn, case_id, 0.0, "[]", actor, at)
        cases.set_litigation(conn, case_id, True)
    store.set_track_status(conn, case_id, status, actor, at)
    store.add_litigation_event(conn, case_id, status, note, actor, at)


def advance(
    conn: sqlite3.Connection, cases: CaseRepository, case_id: int, status: str, actor: str, note: str | None
) -> None:
    """Flag a case by hand, or dismiss a flagged one (flagged → dismissed). 移交, 反馈 and 办结 are the
    hand-over's (kb/zhengfa: a referral to a named 政法 unit, whose account records the feedback)."""
    if status not in STATUSES:
        raise InvalidInputError([FieldProblem("status", f"状态应为 {'/'.join(STATUSES)} 之一")])
    if status in HANDOVER_STATUSES:
        message = "移交、反馈和办结请通过诉访分离移交办理（/api/litigation/{id}/referrals，leian litigation refer）"
        raise InvalidInputError([FieldProblem("status", message.replace("{id}", str(case_id)))])
    current = store.track_status(conn, case_id)
    stamp = now(cases.clock)
    if current is None:
        # A handler may flag a case the rules missed.
        if status != "flagged":
            raise NotFoundError(f"案件 {case_id} 未列入诉访分离跟踪，请先标记")
        store.insert_track(conn, case_id, 0.0, "[]", actor, stamp)
        cases.set_litigation(conn, case_id, True)
    else:
        if status not in NEXT.get(current, set()):
            raise ConflictError(f"诉访分离状态不能从“{STATUS_LABELS[current]}”变为“{STATUS_LABELS[status]}”")
        store.set_track_status(conn, case_id, status, actor, stamp)
        if status == "dismissed":
            cases.set_litigation(conn, case_id, False)
    store.add_litigation_event(conn, case_id, status, note, actor, stamp)
