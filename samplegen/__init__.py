"""Seeded synthetic petition (信访) generator for demos, tests and benchmarks.

All generated data is synthetic: names, identity numbers, phone numbers,
companies, estates and platforms are invented.

>>> cases = generate_cases(10, seed=1)
>>> sorted(cases[0]) == sorted(CASE_KEYS)
True
"""

from .generate import (
    CASE_KEYS,
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_START,
    generate_cases,
    iter_cases,
    iter_records,
    write_samples,
)
from .people import id_check_char, is_valid_id
from .topics import CATEGORY_DEPARTMENT, ISSUE_TYPES, LITIGATION_CATEGORIES

__all__ = [
    "CASE_KEYS",
    "CATEGORY_DEPARTMENT",
    "DEFAULT_END",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "ISSUE_TYPES",
    "LITIGATION_CATEGORIES",
    "generate_cases",
    "id_check_char",
    "is_valid_id",
    "iter_cases",
    "iter_records",
    "write_samples",
]
