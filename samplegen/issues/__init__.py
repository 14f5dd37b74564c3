"""All issue-type definitions, grouped by domain (one small module each)."""

from __future__ import annotations

from ..model import IssueType
from . import city, consumer, environment, finance, housing, labor, land, legal, public, social, welfare

ISSUE_TYPES: tuple[IssueType, ...] = (
    *labor.ISSUES,
    *social.ISSUES,
    *welfare.ISSUES,
    *land.ISSUES,
    *housing.ISSUES,
    *city.ISSUES,
    *environment.ISSUES,
    *finance.ISSUES,
    *consumer.ISSUES,
    *public.ISSUES,
    *legal.ISSUES,
)
