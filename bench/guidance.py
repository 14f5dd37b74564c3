"""Guidance look-up quality and latency (docs/knowledge-base.md reports the figures).

1. Real data (../shared/eval/gov_messages_with_replies.jsonl.gz): every message with its official
   reply becomes a resolved case and a published model case. For each message whose duplicate
   `group` has another member, recall@3 = the look-up (excluding the message's own model case)
   returns another member's model case in its top 3. Hybrid beside BM25-only and dense-only.
2. Sample data (data/samples/cases.jsonl + truth.jsonl + model_cases.json): even rows are stored as
   history, odd rows are new petitions. For each petition whose issue type has a model case, is a
   model case of that type in the top 3? By title only (a handler's short description), by the full
   letter (both for new petitions), and by case id (stored petitions, with their metadata).
3. Latency through the HTTP API on the sample service: guidance vs plain case search, same
   queries, same run, reported as a ratio.

    /tmp/venv/bin/python bench/guidance.py            # all three, USE-m3 encoder
    /tmp/venv/bin/python bench/guidance.py --only samples --encoder hashing
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kb.modelcases import library  # noqa: E402
from kb.modelcases.guidance import look_up  # noqa: E402
from kb.service import LeianService  # noqa: E402
from kb.settings import load_settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval" / "gov_messages_with_replies.jsonl.gz"
SAMPLES = REPO / "data" / "samples"
MODES = ("hybrid", "lexical", "dense")


def open_service(tmp: Path, encoder: str) -> LeianService:
    return LeianService(load_settings(data_dir=tmp, encoder=encoder, petitioner_key="bench-key"))


def gov(encoder: str, limit: int | None) -> dict[str, Any]:
    with gzip.open(EVAL, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh][:limit]
    with tempfile.TemporaryDirectory() as tmp:
        svc = open_service(Path(tmp), encoder)
        cases = []
        for r in rows:
            day = (r.get("date") or "2019-01-01")[:10]
            reply_day = max((r.get("reply_date") or day)[:10], day)
            cases.append(
                {
                    "external_no": r["id"],
                    "title": (r.get("title") or "")[:200],
                    "content": (r.get("body") or r["text"])[:20000] or r["text"],
                    "received_date": day,
                    "status": "resolved",
                    "resolution_note": (r.get("reply") or "")[:20000] or None,
                    "resolved_date": reply_day,
                }
            )
        t0 = time.perf_counter()
        svc.ingest(list(enumerate(cases, start=1)))
        ids = svc.case_ids_by_external([c["external_no"] for c in cases])
        mc_rows = [
            (
                i,
                {
                    "code": f"GOV-{c['external_no']}",
                    "title": c["title"] or c["content"][:40],
                    "summary": c["content"],
                    "category": "政务留言",
                    "approach": c["resolution_note"] or "（无答复）",
                    "steps": [c["resolution_note"] or "（无答复）"],
                    "source_case_ids": [ids[c["external_no"]]],
                },
            )
            for i, c in enumerate(cases, start=1)
        ]
        library.import_rows(svc.modelcases, mc_rows, publish=True)
        build_s = time.perf_counter() - t0
        mc_of = {r["id"]: svc.modelcases.resolve(f"GOV-{r['id']}") for r in rows}
        groups: dict[str, list[str]] = {}
        for r in rows:
            if r.get("group") not in (None, "None"):
                groups.setdefault(str(r["group"]), []).append(r["id"])
        queries = [(r, groups[str(r["group"])]) for r in rows if len(groups.get(str(r.get("group")), [])) > 1]
        out: dict[str, Any] = {"messages": len(rows), "queries": len(queries), "build_seconds": round(build_s, 1)}
        for how in ("text", "case"):
            for mode in MODES:
                found = 0
                for r, members in queries:
                    others = {mc_of[m] for m in members if m != r["id"]}
                    kwargs: dict[str, Any] = {"text": r["text"]} if how == "text" else {"case_id": ids[r["id"]]}
                    _, hits = look_up(svc.modelcases, k=3, mode=mode, exclude={mc_of[r["id"]]}, **kwargs)
                    found += any(h.model_case.id in others for h in hits)
                out[f"recall@3 {how} {mode}"] = round(found / max(1, len(queries)), 4)
        svc.close()
    return out


def load_samples_split(limit: int | None) -> tuple[list[dict], list[dict], dict[str, str]]:
    """Even rows are the stored history; odd rows are new petitions that are not stored."""
    cases = [json.loads(x) for x in (SAMPLES / "cases.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    truth = {}
    for x in (SAMPLES / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if x.strip():
            t = json.loads(x)
            truth[t["external_no"]] = t["issue_type"]
    cases = cases[:limit]
    return cases[0::2], cases[1::2], truth


def top3(svc: LeianService, probes: list[tuple[dict[str, Any], str]], mode: str) -> float:
    found = 0
    for kwargs, issue in probes:
        _, hits = look_up(svc.modelcases, k=3, mode=mode, **kwargs)
        found += any(h.model_case.data.category == issue for h in hits)
    return round(found / max(1, len(probes)), 4)


def samples(encoder: str, limit: int | None, n_latency: int) -> dict[str, Any]:
    stored, new, truth = load_samples_split(limit)
    with tempfile.TemporaryDirectory() as tmp:
        svc = open_service(Path(tmp), encoder)
        svc.ingest(list(enumerate(stored, start=1)))
        library.load_samples(svc.modelcases)
        covered = {m.data.category for m in svc.modelcases.page(limit=10_000)[0]}
        ids = svc.case_ids_by_external([c["external_no"] for c in stored])
        fresh = [c for c in new if truth[c["external_no"]] in covered]
        known = [c for c in stored if truth[c["external_no"]] in covered]
        probes = {
            "title (short description, new petition)": [({"text": c["title"]}, truth[c["external_no"]]) for c in fresh],
            "full letter (new petition)": [
                ({"text": f"{c['title']}。{c['content']}"}, truth[c["external_no"]]) for c in fresh
            ],
            "case id (registered petition, its metadata)": [
                ({"case_id": ids[c["external_no"]]}, truth[c["external_no"]]) for c in known
            ],
        }
        out: dict[str, Any] = {"stored_petitions": len(stored), "new_petitions_probed": len(fresh)}
        for name, items in probes.items():
            out[name] = {mode: top3(svc, items, mode) for mode in MODES}
        out["api_latency"] = latency(svc, [f"{c['title']}。{c['content']}" for c in fresh[:n_latency]])
        svc.close()
    return out


def latency(svc: LeianService, texts: list[str]) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    _, token = svc.users.create("bench", "analyst", "password-123")
    timings: dict[str, list[float]] = {"search": [], "guidance": []}
    with TestClient(create_app(svc)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for text in texts[:5]:  # warm-up
            client.post("/api/search", json={"text": text, "k": 3})
            client.post("/api/modelcases/guidance", json={"text": text, "k": 3})
        for text in texts:
            for name, url in (("search", "/api/search"), ("guidance", "/api/modelcases/guidance")):
                t0 = time.perf_counter()
                assert client.post(url, json={"text": text, "k": 3}).status_code == 200
                timings[name].append(time.perf_counter() - t0)

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    s, g = timings["search"], timings["guidance"]
    return {
        "queries": len(texts),
        "p50 ratio guidance/search": round(pct(g, 0.5) / pct(s, 0.5), 2),
        "p99 ratio guidance/search": round(pct(g, 0.99) / pct(s, 0.99), 2),
        "mean ratio guidance/search": round(statistics.mean(g) / statistics.mean(s), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="use-m3")
    parser.add_argument("--only", choices=("gov", "samples"))
    parser.add_argument("--limit", type=int, help="use only the first N rows (smoke runs)")
    parser.add_argument("--latency-queries", type=int, default=200)
    args = parser.parse_args()
    report: dict[str, Any] = {"encoder": args.encoder}
    if args.only in (None, "gov") and EVAL.exists():
        report["gov_messages_with_replies"] = gov(args.encoder, args.limit)
    if args.only in (None, "samples") and (SAMPLES / "truth.jsonl").exists():
        report["samples"] = samples(args.encoder, args.limit, args.latency_queries)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
