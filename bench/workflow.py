"""Workflow figures: routing (5-fold), repeat detection, litigation detection, report speed at 1M cases.

    python -m bench.workflow routing      # gov_messages_labeled + sample data, kNN / linear / combined
    python -m bench.workflow repeats      # sample-data repeats (P/R) + gov_messages_unlabeled group recall
    python -m bench.workflow litigation   # sample-data P/R + the hand-labelled real messages in docs/workflow.md
    python -m bench.workflow reports --n 1000000
Real data is read from ../shared/eval (measurement only); sample data from data/samples or a fresh
``python -m samplegen`` run into a temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "eval"
DOC = REPO / "docs" / "workflow.md"


def read_gz(name: str) -> list[dict[str, Any]]:
    with gzip.open(EVAL / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def samples() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    folder = REPO / "data" / "samples"
    if not (folder / "cases.jsonl").exists():
        folder = Path(tempfile.mkdtemp(prefix="leian-samples-"))
        subprocess.run([sys.executable, "-m", "samplegen", "--out", str(folder), "--quiet"], check=True)
    cases = [json.loads(x) for x in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    truth = [json.loads(x) for x in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return cases, {t["external_no"]: t for t in truth}


def encode(texts: list[str]) -> np.ndarray:
    """USE-m3 vectors, cached outside the repository by a hash of the texts."""
    import hashlib

    from indexing.encoders import create_encoder

    cache = Path(tempfile.gettempdir()) / "leian-bench-cache"
    cache.mkdir(exist_ok=True)
    path = cache / (hashlib.sha1("\x1e".join(texts).encode("utf-8")).hexdigest() + ".npy")
    if path.exists():
        return np.load(path)
    vectors = create_encoder("use-m3").encode(texts)
    np.save(path, vectors)
    return vectors


def macro_f1(true: list[str], pred: list[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(true, pred, average="macro"))


def cross_validate(
    texts: list[str],
    tokens: list[list[str]],
    dense: np.ndarray,
    labels: list[str],
    tokenize: Any,
    fields: list[str | None] | None = None,
    folds: int = 5,
) -> dict[str, Any]:
    """Stratified k-fold; every mode is scored on the same splits, as ``LiveRouter`` fits the product router.

    ``fields``: the finer field whose values become class terms (category per department, district
    per city), read from the training fold only. ``confident``: share of combined suggestions at or
    above the low-confidence threshold, and their accuracy.
    """
    from sklearn.model_selection import StratifiedKFold

    from kb.routing_features import terms_from_fields
    from kb.workflow.routing import MODES, Router, RouterConfig

    preds: dict[str, list[str]] = {m: [""] * len(labels) for m in MODES}
    confidence = np.zeros(len(labels))
    y = np.asarray(labels)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        fit_labels = y[train].tolist()
        terms = terms_from_fields([fields[i] for i in train], fit_labels) if fields else None
        router = Router(tokenize=tokenize).fit(
            [tokens[i] for i in train], dense[train], fit_labels, [texts[i] for i in train], terms
        )
        test_tokens, test_texts = [tokens[i] for i in test], [texts[i] for i in test]
        for mode in MODES:
            proba = router.predict_proba(test_tokens, dense[test], mode, test_texts)
            for i, row in zip(test, proba, strict=True):
                preds[mode][i] = router.classes_[int(row.argmax())]
                if mode == "combined":
                    confidence[i] = row.max()
    out: dict[str, Any] = {
        m: {"macro_f1": round(macro_f1(labels, p), 4), "accuracy": round(float(np.mean(np.asarray(p) == y)), 4)}
        for m, p in preds.items()
    }
    sure = confidence >= RouterConfig().low_confidence
    right = np.asarray(preds["combined"]) == y
    out["confident"] = {"share": round(float(sure.mean()), 4), "accuracy": round(float(right[sure].mean()), 4)}
    return out


def bench_routing() -> dict[str, Any]:
    from indexing.segment import Segmenter

    try:
        seg = Segmenter()
    except FileNotFoundError:  # bundled dictionaries missing in a partial checkout
        seg = Segmenter(include_defaults=False)
    out: dict[str, Any] = {}
    if EVAL.exists():
        rows = read_gz("gov_messages_labeled.jsonl.gz")
        texts = [r["text"] for r in rows]  # title, newline, body: the title is the first line
        out["gov_messages_labeled (456, 7 domains)"] = cross_validate(
            texts, seg.tokens_many(texts), encode(texts), [r["label"] for r in rows], seg.tokens
        )
    cases, _ = samples()
    texts = [f"{c['title']}。{c['content']}" if c.get("title") else c["content"] for c in cases]
    tokens, dense = seg.tokens_many(texts), encode(texts)
    for target, field in (("department", "category"), ("city", "district")):
        keep = [i for i, c in enumerate(cases) if c.get(target)]
        out[f"samples {target} ({len(keep)})"] = cross_validate(
            [texts[i] for i in keep],
            [tokens[i] for i in keep],
            dense[keep],
            [cases[i][target] for i in keep],
            seg.tokens,
            [cases[i].get(field) for i in keep],
        )
    return out


def open_service(folder: Path, encoder: str = "use-m3") -> Any:
    from kb.service import LeianService
    from kb.settings import load_settings

    return LeianService(load_settings(data_dir=folder, encoder=encoder, petitioner_key="bench-key"))


def bench_repeats() -> dict[str, Any]:
    out: dict[str, Any] = {}
    cases, truth = samples()
    with tempfile.TemporaryDirectory() as tmp:
        service = open_service(Path(tmp))
        service.ingest([(None, {k: v for k, v in c.items()}) for c in cases])
        ids = service.case_ids_by_external([c["external_no"] for c in cases])
        ext = {v: k for k, v in ids.items()}
        links = defaultdict(dict)
        for r in service.db.query("SELECT case_id, kind, other_id FROM case_links"):
            links[ext[r["case_id"]]][r["kind"]] = ext[r["other_id"]]
        root: dict[str, str] = {}
        for c in cases:  # chain roots, in date order
            parent = truth[c["external_no"]].get("repeat_of")
            root[c["external_no"]] = root.get(parent, parent) if parent else c["external_no"]
        true_rep = {e for e, t in truth.items() if t.get("repeat_of")}
        pred_rep = {e for e, kinds in links.items() if "repeat" in kinds}
        right_pair = {e for e in pred_rep & true_rep if root[links[e]["repeat"]] == root[e]}
        out["samples repeat (same petitioner, same matter)"] = {
            "true": len(true_rep),
            "flagged": len(pred_rep),
            "precision": round(len(pred_rep & true_rep) / max(len(pred_rep), 1), 4),
            "recall": round(len(pred_rep & true_rep) / max(len(true_rep), 1), 4),
            "linked to the right matter": round(len(right_pair) / max(len(pred_rep & true_rep), 1), 4),
        }
        true_exact = {e for e, t in truth.items() if t.get("exact_resubmission")}
        pred_exact = {e for e, kinds in links.items() if "exact" in kinds}
        out["samples exact resubmission"] = {
            "true": len(true_exact),
            "flagged": len(pred_exact),
            "precision": round(len(pred_exact & true_exact) / max(len(pred_exact), 1), 4),
            "recall": round(len(pred_exact & true_exact) / max(len(true_exact), 1), 4),
        }
        service.close()
    if EVAL.exists():
        out["gov_messages_unlabeled group pairs"] = group_recall()
    return out


def group_recall() -> dict[str, Any]:
    rows = read_gz("gov_messages_unlabeled.jsonl.gz")
    with tempfile.TemporaryDirectory() as tmp:
        service = open_service(Path(tmp))
        service.ingest(
            [
                (
                    None,
                    {
                        "external_no": r["id"],
                        "title": (r.get("title") or "")[:200],
                        "content": r.get("body") or r["text"],
                        "received_date": (r.get("date") or "2019-01-01")[:10],
                        "petitioner_id": r.get("user"),
                    },
                )
                for r in rows
            ]
        )
        ids = service.case_ids_by_external([r["id"] for r in rows])
        ext = {v: k for k, v in ids.items()}
        linked = defaultdict(set)
        kinds: dict[str, int] = defaultdict(int)
        for r in service.db.query("SELECT case_id, kind, other_id FROM case_links"):
            linked[ext[r["case_id"]]].add(ext[r["other_id"]])
        members = defaultdict(list)
        for r in rows:
            if r.get("group") is not None:
                members[r["group"]].append(((r.get("date") or "")[:10], ids[r["id"]], r["id"]))
        found = total = 0
        for group in members.values():
            group.sort()
            names = {m[2] for m in group}
            for _, _, name in group[1:]:
                total += 1
                if linked[name] & names:
                    found += 1
        for r in service.db.query("SELECT kind, COUNT(*) AS n FROM case_links GROUP BY kind"):
            kinds[r["kind"]] = r["n"]
        service.close()
    return {
        "later members": total,
        "linked to an earlier member": found,
        "recall": round(found / total, 4),
        "links": dict(kinds),
    }


HAND_LABELS = re.compile(r"^\| (tipdm-\d+) \| ([01]) \|", re.M)


def bench_litigation() -> dict[str, Any]:
    from kb.workflow.litigation import detect

    out: dict[str, Any] = {}
    cases, truth = samples()

    def pr(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
        tp = sum(t and p for t, p in pairs)
        fp = sum(p and not t for t, p in pairs)
        fn = sum(t and not p for t, p in pairs)
        return {
            "n": len(pairs),
            "positives": tp + fn,
            "precision": round(tp / max(tp + fp, 1), 4),
            "recall": round(tp / max(tp + fn, 1), 4),
        }

    out["samples"] = pr(
        [(bool(truth[c["external_no"]]["litigation"]), detect(f"{c['title']}。{c['content']}").flagged) for c in cases]
    )
    if EVAL.exists() and DOC.exists():
        labels = {m.group(1): m.group(2) == "1" for m in HAND_LABELS.finditer(DOC.read_text(encoding="utf-8"))}
        texts = {
            r["id"]: r["text"]
            for name in ("gov_messages_with_replies.jsonl.gz", "gov_messages_unlabeled.jsonl.gz")
            for r in read_gz(name)
            if r["id"] in labels
        }
        out["real messages, hand-labelled"] = pr([(labels[i], detect(texts[i]).flagged) for i in labels if i in texts])
    return out


def bench_reports(n: int) -> dict[str, Any]:
    import datetime as dt

    from kb.schema import ALL_MIGRATIONS
    from kb.storage.db import Database
    from kb.storage.migrations import STATUS_LOG_V14
    from kb.workflow import reports

    start = dt.date(2024, 1, 1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "r.db", migrations=ALL_MIGRATIONS)
        t0 = time.perf_counter()
        # Generated inside SQLite (a recursive CTE), so building a million rows takes seconds.
        with db.transaction() as conn:
            conn.execute(
                f"""
                WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {int(n)}),
                rows AS (SELECT i, abs(random()) % 730 AS d, abs(random()) % 100 AS s FROM seq)
                INSERT INTO cases(external_no, content, received_date, city, department, status, resolved_date,
                                  content_hash, created_at, updated_at)
                SELECT 'B' || i, 'x', date('{start}', '+' || d || ' days'),
                       printf('城市%02d', i % 21), printf('部门%02d', (i * 7) % 30),
                       CASE WHEN s < 10 THEN 'pending' WHEN s < 25 THEN 'in_progress' WHEN s < 80 THEN 'resolved'
                            WHEN s < 90 THEN 'unresolved' ELSE 'closed' END,
                       CASE WHEN s >= 25 AND s < 80 OR s >= 90 THEN date('{start}', '+' || (d + 20) || ' days') END,
                       'h', 't', 't'
                FROM rows"""
            )
            conn.execute(
                "INSERT INTO case_links(case_id, kind, other_id, similarity, repeat_count, created_at) "
                "SELECT id, 'repeat', id - 1, 0.9, 1, 't' FROM cases WHERE id % 12 = 0"
            )
            # The status log as a first import writes it (registry dates), read by kb/workflow/rates.py.
            conn.execute(STATUS_LOG_V14[STATUS_LOG_V14.index("INSERT INTO case_status_log") :])
        build = time.perf_counter() - t0

        def timed(fn: Any, repeat: int = 3) -> float:
            best = float("inf")
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - t)
            return best

        ref_count = timed(lambda: db.query("SELECT COUNT(*) FROM cases"))
        ref_scan = timed(lambda: db.query("SELECT department, COUNT(*) FROM cases GROUP BY department"))
        end = dt.date(2025, 12, 28)
        period = timed(lambda: reports.period_report(db, "department", dt.date(2025, 1, 1), end))
        weekly = timed(lambda: reports.weekly_report(db, "city", end, weeks=8), repeat=1)
        db.close()
    return {
        "cases": n,
        "build seconds (not a figure)": round(build, 1),
        "period report / SELECT COUNT(*)": round(period / ref_count, 1),
        "period report / GROUP BY department count (full scan)": round(period / ref_scan, 2),
        "weekly report with 8-week trend / GROUP BY count": round(weekly / ref_scan, 2),
        "reference GROUP BY / COUNT(*)": round(ref_scan / ref_count, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["routing", "repeats", "litigation", "reports", "all"])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases for the report benchmark")
    args = parser.parse_args()
    runs = {
        "routing": bench_routing,
        "repeats": bench_repeats,
        "litigation": bench_litigation,
        "reports": lambda: bench_reports(args.n),
    }
    chosen = list(runs) if args.what == "all" else [args.what]
    for name in chosen:
        print(json.dumps({name: runs[name]()}, ensure_ascii=False, indent=2), flush=True)


if __name__ == "__main__":
    main()
