"""Scripted mutation check of the scoping and masking checks: does the suite catch a missing check?

Each mutant below removes ONE check by a textual patch. The script copies the working tree to a
temporary folder, runs the named tests there unmutated (they must pass), then applies each mutant in
turn, runs its tests (``-x``: the first failure kills it) and restores the file. A mutant whose tests
still pass *survived*: the suite cannot tell that check is gone.

    python tests/security/mutants.py                 # every mutant
    python tests/security/mutants.py --only patch-move-out --only delete-read
    python tests/security/mutants.py --json var/mutants.json

Not collected by pytest (the file name has no ``test_`` prefix); run it from the repository root
with the project's interpreter. The mutants are one table, ``MUTANTS``; add a row for every new
authorization or masking check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KB_TESTS = "tests/kb/test_scope.py"
DOOR_TESTS = "tests/api/test_scope_doors.py"
SCOPE_TESTS = (KB_TESTS, DOOR_TESTS)
ASSIGN_TESTS = ("tests/kb/workflow/test_assignments_v2.py", "tests/api/test_assignment_flow.py")
MASK_TESTS = ("tests/kb/test_masking.py", "tests/api/test_masking_doors.py")
TABLE_TESTS = ("tests/kb/test_masking.py",)
DOOR_MASK_TESTS = ("tests/api/test_masking_doors.py",)
REVEAL_TESTS = ("tests/api/test_security.py",)
FAILURE_TESTS = ("tests/api/test_import_limits.py", "tests/api/test_storage_errors.py", "tests/kb/test_backup.py")


@dataclass(frozen=True)
class Mutant:
    name: str
    check: str  # what the removed check guards, in a few words
    path: str
    old: str  # must occur exactly once in ``path``
    new: str
    tests: tuple[str, ...] = SCOPE_TESTS


MUTANTS: tuple[Mutant, ...] = (
    # -- the rule itself (kb/scope.py, kb/kernel.py, kb/storage/cases.py) ---------------------------
    Mutant("scoped-noop", "filters carry the actor's scope", "kb/kernel.py",
           "return replace(filters, scope=actor.scope)", "return filters"),
    Mutant("filter-sql-scope", "filter SQL applies the scope", "kb/storage/cases.py",
           "    if filters.scope is not None:\n        clause, args", "    if False:\n        clause, args"),
    Mutant("get-case-scope", "one case read is scoped", "kb/kernel.py",
           "if case is None or not self.in_scope(actor, case):\n            raise NotFoundError(f\"案件",
           "if case is None:\n            raise NotFoundError(f\"案件"),
    Mutant("by-external-scope", "read by registry number is scoped", "kb/kernel.py",
           "if case is None or not self.in_scope(actor, case):\n            raise NotFoundError(f\"登记编号",
           "if case is None:\n            raise NotFoundError(f\"登记编号"),
    Mutant("visible-ids-scope", "id sets are scoped", "kb/kernel.py",
           "        return self.cases.ids_in_scope(actor.scope, list(ids))", "        return set(ids)"),
    Mutant("department-sees-assigned-only-lead", "department sees its assigned cases", "kb/scope.py",
           "return case.department == self.unit or self.unit in assigned_units", "return case.department == self.unit"),
    Mutant("department-sql-ignores-assignments", "department SQL reads active assignments", "kb/scope.py",
           "WHERE unit = ? AND active = 1))", "WHERE unit = ? AND 0))"),
    Mutant("zhengfa-sees-all", "政法 sees litigation cases only", "kb/scope.py",
           'return bool(getattr(case, "litigation", False))', "return True"),
    Mutant("zhengfa-sql-all", "政法 SQL selects litigation cases only", "kb/scope.py",
           'return f"{col}litigation = 1", []', 'return "1=1", []'),
    Mutant("cities-sees-any", "a division sees its cities only", "kb/scope.py",
           '        if self.kind in ("city", "cities"):\n            return case.city in self.cities',
           '        if self.kind in ("city", "cities"):\n            return True'),
    # -- writes (kb/cases/service.py) ----------------------------------------------------------------
    Mutant("create-outside-scope", "a new case is registered within the scope", "kb/cases/service.py",
           "            elif not scope.may_write(case.city, case.department):", "            elif False:"),
    Mutant("overwrite-other-unit", "a registry number of another unit's case is refused", "kb/cases/service.py",
           "            if current is not None and not scope.sees(current, units):", "            if False:"),
    Mutant("create-as-system", "POST /api/cases checks as the caller", "kb/cases/service.py",
           '        self._store([(None, case.model_dump(mode="json"))], actor=actor)',
           '        self._store([(None, case.model_dump(mode="json"))], actor=SYSTEM)'),
    Mutant("patch-move-out", "PATCH keeps the case within the scope", "kb/cases/service.py",
           "            if not scope.sees(candidate, units):", "            if False:"),
    Mutant("patch-read", "PATCH needs the case in scope", "kb/cases/service.py",
           '        actor.require("cases:write")\n        current = self.kernel.get_case(case_id, actor)',
           '        actor.require("cases:write")\n        current = self.kernel.get_case(case_id)'),
    Mutant("delete-read", "DELETE needs the case in scope", "kb/cases/service.py",
           '        actor.require("cases:write")\n        self.kernel.get_case(case_id, actor)',
           '        actor.require("cases:write")\n        self.kernel.get_case(case_id)'),
    # -- workflow (kb/workflow/) ----------------------------------------------------------------------
    Mutant("assign-read", "assignment needs the case in scope", "kb/workflow/assignment_service.py",
           "        case = self.kernel.get_case(case_id, actor)\n        wanted = plan(",
           "        case = self.kernel.get_case(case_id)\n        wanted = plan("),
    # -- dual assignment (kb/workflow/assignments.py, assignment_service.py, assignment_store.py) ----
    Mutant("reassign-anyone", "only the assigning level re-assigns", "kb/workflow/assignments.py",
           "    if may_reassign_anything(actor):\n        return\n", "    return\n", ASSIGN_TESTS),
    Mutant("assign-outside-area", "a unit assigns on its own only inside its area", "kb/workflow/assignments.py",
           '        if target.kind != "locality" or home is None or catalog.city_of(target.unit) != home:',
           "        if False:", ASSIGN_TESTS),
    Mutant("sign-any-unit", "only the assigned unit signs, returns, answers", "kb/workflow/assignments.py",
           "    if not acts_for(actor, assignment.unit, catalog):\n        raise", "    if False:\n        raise",
           ASSIGN_TESTS),
    Mutant("assignment-read", "a step needs the assignment's case in scope", "kb/workflow/assignment_service.py",
           "        if row is None or case is None or not self._still_visible(case.id, actor):",
           "        if row is None or case is None:", ASSIGN_TESTS),
    Mutant("handover-by-outsider", "only the unit's accounts hand over", "kb/workflow/assignment_service.py",
           "        if not acts_for(actor, name, catalog):\n", "        if False:\n", ASSIGN_TESTS),
    Mutant("handover-to-outsider", "the new handler belongs to the unit", "kb/workflow/assignment_service.py",
           "        if not acts_for(target, name, catalog):\n", "        if False:\n", ASSIGN_TESTS),
    Mutant("handover-unit-not-on-case", "the unit handles the case (assigned, not returned)",
           "kb/workflow/assignment_service.py", "        if not handles:\n", "        if False:\n", ASSIGN_TESTS),
    Mutant("returns-to-anyone", "a return goes to the assigning unit's inbox only", "kb/workflow/assignment_store.py",
           '        clauses.append("a.assigned_by_unit = ?")\n        params.append(assigning_unit)',
           '        clauses.append("1 = 1")', ASSIGN_TESTS),
    Mutant("pending-any-unit", "待签收 lists my unit's assignments only", "kb/workflow/assignment_store.py",
           "a.status = 'pending_sign' AND a.unit IN ({marks(len(units))}) AND {where} ",
           "a.status = 'pending_sign' AND (1 OR a.unit IN ({marks(len(units))})) AND {where} ", ASSIGN_TESTS),
    Mutant("litigation-step-read", "诉访分离 step needs the case in scope", "kb/workflow/service.py",
           '        self.kernel.get_case(case_id, actor)\n        with self.db.transaction() as conn:\n'
           "            litigation.advance(",
           '        self.kernel.get_case(case_id)\n        with self.db.transaction() as conn:\n'
           "            litigation.advance("),
    Mutant("litigation-list", "litigation list is scoped", "kb/workflow/service.py",
           "views.litigation_list(self.db, status, limit, actor.scope)",
           "views.litigation_list(self.db, status, limit)"),
    Mutant("repeat-list", "repeat list is scoped", "kb/workflow/service.py",
           "views.repeat_list(self.db, kind, limit, actor.scope, self._visible(actor))",
           "views.repeat_list(self.db, kind, limit, visible=self._visible(actor))"),
    Mutant("repeat-list-mask", "repeat list masks other units' cases", "kb/workflow/service.py",
           "views.repeat_list(self.db, kind, limit, actor.scope, self._visible(actor))",
           "views.repeat_list(self.db, kind, limit, actor.scope)"),
    Mutant("links-mask", "links mask other units' cases", "kb/workflow/views.py",
           '    if row["other_id"] in visible:', "    if True:"),
    Mutant("case-view-read", "the case workflow view needs the case in scope", "kb/workflow/service.py",
           '        actor.require("workflow:read")\n        self.kernel.get_case(case_id, actor)\n        try:',
           '        actor.require("workflow:read")\n        self.kernel.get_case(case_id)\n        try:'),
    Mutant("packages-progress", "a package lists only cases in scope", "kb/workflow/service.py",
           "        return packages.progress(self.db, package_id, actor.scope, self.kernel.clock.today())",
           "        return packages.progress(self.db, package_id, SYSTEM.scope, self.kernel.clock.today())"),
    Mutant("packages-list", "the package list is scoped", "kb/workflow/service.py",
           "packages.list_ids(self.db, actor.scope, leader, leader_id)",
           "packages.list_ids(self.db, SYSTEM.scope, leader, leader_id)"),
    Mutant("package-candidates", "package candidates are scoped", "kb/workflow/service.py",
           "            domains=domains,\n            scope=actor.scope,\n            limit=limit,",
           "            domains=domains,\n            limit=limit,"),
    Mutant("period-report", "reports count cases in scope", "kb/workflow/service.py",
           "            backlog_days,\n            scope=actor.scope,\n            rules=self.rate_rules,",
           "            backlog_days,\n            rules=self.rate_rules,"),
    # -- groups, model cases, facets ------------------------------------------------------------------
    Mutant("group-members", "group members are scoped", "kb/groups/service.py",
           "        visible = self.kernel.visible_ids(actor, ids)", "        visible = set(ids)"),
    Mutant("group-list", "group list counts cases in scope", "kb/groups/service.py",
           "self.repo.list_groups(actor.scope, include_retired)",
           "self.repo.list_groups(SYSTEM.scope, include_retired)"),
    Mutant("unassigned-pool", "the unassigned pool is scoped", "kb/groups/service.py",
           "self.repo.unassigned_page(actor.scope, limit, offset)",
           "self.repo.unassigned_page(SYSTEM.scope, limit, offset)"),
    Mutant("discover-provincial", "discovery is provincial only", "kb/groups/service.py",
           "        if not actor.scope.provincial:\n            raise PermissionDeniedError(\"类案发现",
           "        if False:\n            raise PermissionDeniedError(\"类案发现"),
    Mutant("modelcase-sources", "model-case sources must be in scope", "kb/modelcases/service.py",
           "visible = self.kernel.visible_ids(actor, data.source_case_ids)", "visible = set(data.source_case_ids)"),
    Mutant("facets", "facets count cases in scope", "api/routes/system.py",
           "service.cases.facet(f.column, user.scope)", "service.cases.facet(f.column)"),
    # -- accounts and the audit log -------------------------------------------------------------------
    Mutant("grant-within-scope", "a bound admin grants only within its scope", "kb/users.py",
           "        if not actor.scope.contains(granted):", "        if False:"),
    Mutant("audit-query", "audit reads are scoped", "kb/audit.py",
           "        where, params = filters.where(actor.scope)\n        total_row",
           "        where, params = filters.where()\n        total_row"),
    Mutant("audit-export", "the audit export is scoped", "kb/audit.py",
           "        where, params = filters.where(actor.scope)\n        last = 0",
           "        where, params = filters.where()\n        last = 0"),
    # -- masking (issue 16's surviving mutant) --------------------------------------------------------
    Mutant("resolution-note-mask", "resolution_note is masked", "kb/fields.py",
           'CaseField("resolution_note", str, "办理结果", max_length=MAX_CONTENT, mask="text")',
           'CaseField("resolution_note", str, "办理结果", max_length=MAX_CONTENT, mask="none")',
           (DOOR_TESTS,)),
    # -- masking over every output path (issue 16, second part) ----------------------------------------
    Mutant("litigation-title-mask", "诉访分离 list titles are masked", "kb/workflow/views.py",
           "[masked_title(dict(r)) | {", "[dict(r) | {", DOOR_MASK_TESTS),
    Mutant("candidate-title-mask", "package candidate titles are masked", "kb/workflow/packages.py",
           'mask_personal(r["title"], [r["petitioner_name"]]),', 'r["title"],', DOOR_MASK_TESTS),
    Mutant("package-cases-mask", "a package's case titles are masked", "kb/workflow/packages.py",
           "[masked_title(dict(r)) for r in rows],", "[dict(r) for r in rows],", DOOR_MASK_TESTS),
    Mutant("modelcase-export-mask", "model-case JSON/XLSX exports are masked", "kb/modelcases/io.py",
           "    mc = masked_model_case(mc)\n    return", "    return", DOOR_MASK_TESTS),
    Mutant("modelcase-md-mask", "model-case Markdown export is masked", "kb/modelcases/io.py",
           "    mc = masked_model_case(mc)\n    d = mc.data", "    d = mc.data", DOOR_MASK_TESTS),
    Mutant("guidance-terms", "guidance query_terms carry no name", "api/routes/modelcases.py",
           "query_terms=query.shown_terms,", "query_terms=query.tokens[:50],", DOOR_MASK_TESTS),
    Mutant("search-terms", "search query_terms carry no name or phone", "kb/service.py",
           "public_terms(self.segmenter.tokens(text), text=text)", "self.segmenter.tokens(text)", DOOR_MASK_TESTS),
    Mutant("district-mask", "an ID typed in district is masked", "kb/fields.py",
           'CaseField("district", str, "区县", max_length=32, mask="text")',
           'CaseField("district", str, "区县", max_length=32)', DOOR_MASK_TESTS),
    Mutant("other-names", "names other than the petitioner's are masked", "kb/privacy.py",
           "| set(person_names(masked))", "", MASK_TESTS),
    Mutant("cue-names", "names after a cue word (本人/包工头…) are found", "kb/person_names.py",
           "[*cue_names(text), *tagged_names(text)]", "[*tagged_names(text)]", TABLE_TESTS),
    Mutant("jieba-nr-names", "names jieba tags nr are found", "kb/person_names.py",
           "[*cue_names(text), *tagged_names(text)]", "[*cue_names(text)]", TABLE_TESTS),
    Mutant("name-false-positives", "place names and X某 are not taken for names", "kb/person_names.py",
           "        and word[-1] not in _NOT_NAME_END\n", "", TABLE_TESTS),
    Mutant("id-separators", "IDs, phones, cards typed with spaces/dashes", "kb/privacy.py",
           '_S = r"[ \\-]?"', '_S = r""', TABLE_TESTS),
    Mutant("mobile-plus86", "+86 / 0086 phones", "kb/privacy.py",
           r'r"(?:(?:\+|00)86[ \-]?|86[ \-]?|\(\+?86\)[ ]?)?"', 'r""', TABLE_TESTS),
    Mutant("full-width-digits", "full-width digits are folded before matching", "kb/privacy.py",
           "    folded = text.translate(_FOLD)\n", "    folded = text\n", TABLE_TESTS),
    Mutant("id15", "15-digit IDs", "kb/privacy.py",
           "        (_ID15, 0,", "        (_ID18, 0,", TABLE_TESTS),
    Mutant("landline", "landlines (020-83451234)", "kb/privacy.py",
           "        (_LANDLINE, 2,", "        (_ID18, 0,", TABLE_TESTS),
    Mutant("log-url-decode", "access-log paths are percent-decoded and masked", "kb/logmask.py",
           "mask = _mask_url if record.name in ACCESS_LOGGERS else _mask", "mask = _mask", TABLE_TESTS),
    Mutant("log-name-params", "name parameters in logged URLs are masked", "kb/privacy.py",
           '    decoded = _PERSONAL_PARAMS.sub(lambda m: m.group(1) + (mask_name(m.group(2)) or ""), decoded)\n',
           "", TABLE_TESTS),
    Mutant("audit-username-mask", "a failed login typed as an ID/phone is masked in the audit", "kb/audit.py",
           "            mask_text(username or who.username),", "            username or who.username,", TABLE_TESTS),
    Mutant("reveal-audit", "every spelling of reveal=true is audited", "api/security.py",
           "                if _BOOL.validate_python(value):", '                if value == "true":', REVEAL_TESTS),
    Mutant("reveal-audit-first", "a reveal or export is audited before it is sent, or withheld", "api/security.py",
           "                if not await self.audit_before_sending(scope, state, seen, send):",
           "                if False:", ("tests/api/test_storage_errors.py",)),
    # -- clean failures (issue 16, second part) -------------------------------------------------------
    Mutant("json-recursion", "a 100,000-deep JSON line is 422", "kb/readers.py",
           "    except RecursionError:", "    except ZeroDivisionError:", FAILURE_TESTS[:1]),
    Mutant("json-depth", "JSON deeper than 32 levels is 422", "kb/readers.py",
           "    if _depth_exceeds(value, limit):", "    if False:", FAILURE_TESTS[:1]),
    Mutant("modelcase-non-object", "a model-case record that is not an object is 422", "kb/modelcases/io.py",
           "        if not isinstance(row, dict):\n            message", "        if False:\n            message",
           FAILURE_TESTS[:1]),
    Mutant("xlsx-row-limit", "an import stops at LEIAN_MAX_IMPORT_ROWS", "kb/readers.py",
           "        _check_rows(line_no, max_rows)\n        if values is None", "        if values is None",
           FAILURE_TESTS[:1]),
    Mutant("parse-off-loop", "uploads are parsed off the event loop", "api/routes/cases.py",
           "    table = await run_in_threadpool(\n        lambda: read_table(",
           "    table = (lambda f: f())(\n        lambda: read_table(", FAILURE_TESTS[:1]),
    Mutant("storage-errors-map", "read-only 503 / full 507", "api/errors.py",
           "        mapped = storage_error(exc)\n", "        mapped = None\n", FAILURE_TESTS[1:2]),
    Mutant("rollback-after-full", "SQLITE_FULL is not hidden by a second ROLLBACK", "kb/storage/db.py",
           '                if self._conn.in_transaction:\n                    self._conn.execute("ROLLBACK")\n'
           "                raise\n            try:",
           '                self._conn.execute("ROLLBACK")\n                raise\n            try:',
           FAILURE_TESTS[1:2]),
    Mutant("ack-after-commit", "a committed write is acknowledged when the index cannot be saved",
           "kb/indexer.py", "                except OSError as exc:\n                    # After a commit",
           "                except ZeroDivisionError as exc:\n                    # After a commit",
           FAILURE_TESTS[1:2]),
    Mutant("restore-while-serving", "restore refuses a running service", "kb/backup.py",
           "    refuse_while_serving(settings)\n    manifest = verify(source)", "    manifest = verify(source)",
           FAILURE_TESTS[2:]),
    Mutant("serve-holds-lock", "leian serve holds the data directory's lock", "api/app.py",
           "            lock.acquire()\n", "", FAILURE_TESTS[2:]),
    Mutant("backup-not-sqlite", "a damaged backup database is refused by name", "kb/backup.py",
           "    except sqlite3.Error:\n        raise bad from None",
           "    except ZeroDivisionError:\n        raise bad from None", FAILURE_TESTS[2:]),
)  # fmt: skip


def copy_tree(dest: Path) -> None:
    """The working tree as it is (tracked and untracked, ignored files left out) into ``dest``."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True, capture_output=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = REPO / os.fsdecode(name)
        if src.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def run_tests(root: Path, tests: tuple[str, ...], timeout: int) -> tuple[bool, float]:
    """(passed, seconds) of ``pytest -x`` on ``tests`` inside ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=root,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - started
    return done.returncode == 0, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run only this mutant (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test run")
    args = parser.parse_args()
    unknown = set(args.only) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"unknown mutants: {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]

    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="leian-mutants-") as tmp:
        root = Path(tmp)
        copy_tree(root)
        baseline = sorted({t for m in chosen for t in m.tests})
        ok, seconds = run_tests(root, tuple(baseline), args.timeout)
        print(f"baseline {'passed' if ok else 'FAILED'} in {seconds:.0f}s: {' '.join(baseline)}", flush=True)
        if not ok:
            return 2
        for mutant in chosen:
            path = root / mutant.path
            original = path.read_text(encoding="utf-8")
            if original.count(mutant.old) != 1:
                print(f"{mutant.name:36} STALE (the patched text occurs {original.count(mutant.old)} times)")
                results.append({"name": mutant.name, "check": mutant.check, "result": "stale"})
                continue
            path.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
            try:
                passed, seconds = run_tests(root, mutant.tests, args.timeout)
            finally:
                path.write_text(original, encoding="utf-8")
            result = "SURVIVED" if passed else "killed"
            print(f"{mutant.name:36} {result:8} {seconds:5.0f}s  {mutant.check}", flush=True)
            results.append({"name": mutant.name, "check": mutant.check, "path": mutant.path, "result": result})

    killed = sum(r["result"] == "killed" for r in results)
    survived = [r["name"] for r in results if r["result"] == "SURVIVED"]
    stale = [r["name"] for r in results if r["result"] == "stale"]
    print(f"\n{len(results)} mutants: {killed} killed, {len(survived)} survived, {len(stale)} stale")
    for name in survived:
        print(f"  survived: {name}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        summary = {"mutants": len(results), "killed": killed, "survived": survived, "stale": stale}
        args.json.write_text(json.dumps({**summary, "results": results}, ensure_ascii=False, indent=2), "utf-8")
    return 1 if survived or stale else 0


if __name__ == "__main__":
    sys.exit(main())
