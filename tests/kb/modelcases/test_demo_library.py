"""Restarting the demo never overwrites what a reviewer edited in the bundled library (issue 15, item 7)."""

from __future__ import annotations

import json

from kb.modelcases import library
from kb.modelcases.domain import ModelCaseUpdate
from kb.service import LeianService


def test_reloading_the_bundled_library_keeps_a_reviewers_published_edit(service: LeianService) -> None:
    first = library.load_demo_library(service.modelcases)
    bundled = json.loads(library.SAMPLE_LIBRARY.read_text(encoding="utf-8"))["model_cases"]
    assert f"新增并发布 {len(bundled)} 件" in first
    code = bundled[0]["code"]
    service.modelcases.update(code, ModelCaseUpdate(title="审查员修订后的标题"))
    edited = service.modelcases.publish(code)
    assert edited.version == 2
    again = library.load_demo_library(service.modelcases)  # the next `./run demo`
    assert "新增并发布 0 件" in again and f"已有 {len(bundled)} 件保持不变" in again
    now = service.modelcases.get(code)
    assert (now.version, now.published_version, now.data.title) == (2, 2, "审查员修订后的标题")


def test_a_bundled_case_that_was_removed_is_loaded_again_only_if_missing(service: LeianService) -> None:
    library.load_samples(service.modelcases)
    bundled = json.loads(library.SAMPLE_LIBRARY.read_text(encoding="utf-8"))["model_cases"]
    code = bundled[-1]["code"]
    service.modelcases.retire(code)
    report = library.load_samples(service.modelcases)
    assert (report.created, report.unchanged, report.published) == (0, len(bundled), 0)
    assert service.modelcases.get(code).status == "retired"  # not re-published over the reviewer
