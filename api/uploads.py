"""Reading an uploaded file at most ``limit`` bytes long (every import door uses this)."""

from __future__ import annotations

from fastapi import UploadFile

from kb.errors import FieldProblem, InvalidInputError
from kb.settings import describe_bytes


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes; a 422 naming the field ``file`` when it exceeds ``limit`` (read no further)."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError([FieldProblem("file", f"文件超过 {describe_bytes(limit)} 上限")])
    return data
