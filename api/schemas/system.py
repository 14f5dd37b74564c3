"""Service health and the filter facets."""

from __future__ import annotations

from pydantic import BaseModel, RootModel


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


class Facets(RootModel[dict[str, list[FacetCount]]]):
    """Values present per faceted field of the case-field table (``kb/fields.py``), most frequent first;
    city-bound users see their city only."""
