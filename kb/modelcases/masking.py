"""Masking of case text copied into model cases (they are shared province-wide)."""

from __future__ import annotations

from typing import Any

from kb.privacy import mask_personal


def mask_case_text(case: Any, text: str | None) -> str:
    """Model cases are shared province-wide: mask IDs, phones and the petitioner's name in case text."""
    return mask_personal(text or "", [case.petitioner_name])
