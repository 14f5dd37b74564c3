"""The one JSON error shape every endpoint answers with (see api/errors.py for the status table)."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    field: str | None = None
    row: int | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def file_responses(*media_types: str, description: str = "文件下载") -> dict[int | str, dict[str, object]]:
    """OpenAPI ``responses`` for an endpoint answering with a file rather than JSON."""
    content = {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types}
    return {200: {"description": description, "content": content}}
