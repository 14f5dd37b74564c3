"""Masking of model cases: case text copied into them, and every export (they are shared province-wide)."""

from __future__ import annotations

import dataclasses
from typing import Any

from kb.modelcases.domain import ModelCase
from kb.privacy import mask_personal


def mask_case_text(case: Any, text: str | None) -> str:
    """Model cases are shared province-wide: mask IDs, phones, the petitioner's and other names in case text."""
    return mask_personal(text or "", [case.petitioner_name])


def masked_model_case(mc: ModelCase) -> ModelCase:
    """A copy of ``mc`` whose free text has identity numbers, phones, cards and person names masked
    (the JSON, XLSX and Markdown exports write only this)."""
    d = mc.data
    update = {
        "title": mask_personal(d.title),
        "summary": mask_personal(d.summary),
        "approach": mask_personal(d.approach),
        "outcome": mask_personal(d.outcome),
        "steps": [mask_personal(s) for s in d.steps],
        "cautions": [mask_personal(c) for c in d.cautions],
        "basis": [b.model_copy(update={"point": mask_personal(b.point)}) for b in d.basis],
    }
    return dataclasses.replace(mc, data=d.model_copy(update=update))
