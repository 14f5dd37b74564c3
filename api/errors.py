"""One table from domain errors to HTTP status codes, and the single JSON error shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import NotAuthenticatedError
from kb.errors import (
    ConflictError,
    EncodingError,
    IndexStateError,
    InvalidInputError,
    LeianError,
    NotFoundError,
    PermissionDeniedError,
    StorageFullError,
    StorageReadOnlyError,
    storage_error,
)
from kb.messages import describe_error

log = logging.getLogger(__name__)

STATUS_FOR: dict[type[LeianError], int] = {
    NotAuthenticatedError: 401,
    InvalidInputError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    PermissionDeniedError: 403,
    IndexStateError: 503,
    EncodingError: 500,
    StorageReadOnlyError: 503,
    StorageFullError: 507,
}


def error_json(status: int, code: str, message: str, details: list[dict] | None = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message, "details": details or []}},
    )


def _status(exc: LeianError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]
    return 400


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeianError)
    async def _domain(request: Request, exc: LeianError) -> JSONResponse:
        details = []
        if isinstance(exc, InvalidInputError):
            details = [{"field": p.field, "row": p.row, "message": p.message} for p in exc.problems]
        return error_json(_status(exc), exc.code, exc.message, details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            details.append({"field": ".".join(loc) or None, "row": None, "message": describe_error(err)})
        return error_json(422, "invalid_input", "请求参数有误", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {
            400: "请求内容无法解析（请使用 UTF-8 编码的 JSON）",
            404: "资源不存在",
            405: "不支持的请求方法",
            413: "请求内容过大",
            401: "未登录",
            403: "无权限",
        }
        return error_json(exc.status_code, f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail)))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # Numbers or dates beyond what SQLite / datetime hold come only from input.
        return error_json(422, "invalid_input", "数值或日期超出允许范围")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Storage errors (also from middleware, e.g. the audit write): 503 read-only, 507 full.
        mapped = storage_error(exc)
        if mapped is not None:
            log.error("storage error on %s %s: %s", request.method, request.url.path, mapped.code)
            return error_json(_status(mapped), mapped.code, mapped.message)
        # Never echo the exception: it may contain petition text.
        log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_json(500, "internal", "服务器内部错误，请联系管理员")
