"""Service health and the filter facets."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str
    encoder: str
    dim: int
    index_backend: str
    fusion: str
    cases: int
    indexed_vectors: int
    indexed_lexical: int


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Values present per filterable column, most frequent first (city-bound users: their city only)."""

    city: list[FacetCount]
    department: list[FacetCount]
    category: list[FacetCount]
    status: list[FacetCount]
    channel: list[FacetCount]
