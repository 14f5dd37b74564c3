"""HTTP-level protections: request-size limit, audit of writes/reveals/exports, log masking, key warning.

``install_security(app)`` is called once by ``create_app``. Both middlewares are plain ASGI so
they see every route, the ones other features add included.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb import audit
from kb.errors import READ_ONLY_MESSAGE, StorageFullError, StorageReadOnlyError, storage_error
from kb.logmask import install_log_masking
from kb.settings import Settings, describe_bytes
from kb.users import Principal

log = logging.getLogger(__name__)
WRITE_METHODS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
_ID = re.compile(r"^\d+$")


_BOOL: TypeAdapter[bool] = TypeAdapter(bool)


def asks_reveal(query_string: bytes) -> bool:
    """Whether any ``reveal`` value in the query reads as true the way FastAPI reads a ``bool``
    parameter (``y``, ``t``, ``on``, any case, percent-encoded): the audit must see every reveal the
    route serves, and over-auditing a repeated parameter is the safe side."""
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key == "reveal":
            try:
                if _BOOL.validate_python(value):
                    return True
            except ValidationError:
                continue
    return False


def route_permission(route: Any) -> str | None:
    """The permission a route declares through ``Depends(require(...))`` (None: no permission)."""
    dependant = getattr(route, "dependant", None)
    stack = list(dependant.dependencies) if dependant else []
    while stack:
        dep = stack.pop()
        perm = getattr(dep.call, "permission", None)
        if perm:
            return str(perm)
        stack.extend(dep.dependencies)
    return None


def is_read_permission(permission: str | None) -> bool:
    return permission is not None and (permission == "search" or permission.endswith(":read"))


def _target(path: str) -> tuple[str, str | None, str]:
    """/api/groups/3/decide -> ("groups", "3", "decide")."""
    parts = [p for p in path.split("/") if p][1:] if path.startswith("/api/") else [p for p in path.split("/") if p]
    record_type = parts[0] if parts else "root"
    ids = [p for p in parts[1:] if _ID.match(p)]
    last = parts[-1] if len(parts) > 1 and not _ID.match(parts[-1]) else ""
    return record_type, (ids[0] if ids else None), last


class BodyLimitMiddleware:
    """Reject request bodies larger than ``settings.max_body_bytes`` with 413 in the standard shape."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app, self.fastapi_app = app, fastapi_app

    def limit(self) -> int:
        service = getattr(self.fastapi_app.state, "service", None)
        # Before startup there is no service yet: the settings' default applies.
        return int(getattr(getattr(service, "settings", None), "max_body_bytes", Settings.max_body_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._on_started(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._reject(send, limit, 413 if length.isdigit() else 400)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                # FastAPI re-raises HTTPException from body parsing; the app's handler shapes it.
                raise HTTPException(413)
            return message

        await self.app(scope, counted, send)

    def _on_started(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                warn_without_key(self.fastapi_app)
            await send(message)

        return wrapped

    @staticmethod
    async def _reject(send: Send, limit: int, status: int) -> None:
        message = f"请求内容过大（上限 {describe_bytes(limit)}）" if status == 413 else "Content-Length 无效"
        body = json.dumps(
            {"error": {"code": f"http_{status}", "message": message, "details": []}}, ensure_ascii=False
        ).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class AuditMiddleware:
    """Records writes, personal-data reveals, exports and denials a feature did not record itself."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app, self.fastapi_app = app, fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = audit.begin_request()
        scope.setdefault("state", {})
        seen: dict[str, Any] = {"status": 500, "headers": {}, "refused": False}

        async def watch(message: Message) -> None:
            if seen["refused"]:
                return  # the response was replaced: the data it carried is never sent
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                seen["headers"] = {k.lower(): v for k, v in message.get("headers", [])}
                if not await self.audit_before_sending(scope, state, seen, send):
                    seen["refused"] = True
                    return
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            principal = state.get("actor") or scope["state"].get("principal")
            if isinstance(principal, Principal) and not state["recorded"]:
                event = self.event(scope, principal, seen["status"], seen["headers"])
                if event is not None:
                    self.write(principal, *event)

    async def audit_before_sending(self, scope: Scope, state: dict, seen: dict[str, Any], send: Send) -> bool:
        """A reveal or an export is audited before its first byte leaves: when the event cannot be
        written (a read-only or full data directory), the personal data is not served either and the
        client gets the storage error instead. Other events are written after the response."""
        principal = state.get("actor") or scope["state"].get("principal")
        if not isinstance(principal, Principal) or state["recorded"]:
            return True
        event = self.event(scope, principal, seen["status"], seen["headers"])
        if event is None or not event[0].endswith((".reveal", ".export")):
            return True
        try:
            self.write(principal, *event, strict=True)
        except Exception as exc:
            refusal = storage_error(exc) or StorageReadOnlyError(READ_ONLY_MESSAGE)
            status = 507 if isinstance(refusal, StorageFullError) else 503
            log.error("audit write failed for %s: %s; response withheld", event[0], type(exc).__name__)
            body = json.dumps(
                {"error": {"code": refusal.code, "message": refusal.message, "details": []}}, ensure_ascii=False
            ).encode("utf-8")
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return False
        state["recorded"] = True
        return True

    def event(
        self, scope: Scope, principal: Principal, status: int, headers: dict[bytes, bytes]
    ) -> tuple[str, str, str | None, dict[str, Any]] | None:
        method, path = scope["method"], scope["path"]
        record_type, record_id, last = _target(path)
        detail: dict[str, Any] = {"method": method, "path": path, "status": status}
        permission = route_permission(scope.get("route"))
        if status == 403:
            return f"{record_type}.denied", record_type, record_id, detail
        if status >= 400:
            return None
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        attachment = b"attachment" in headers.get(b"content-disposition", b"")
        if attachment or "csv" in ctype or "spreadsheet" in ctype or last == "export":
            return f"{record_type}.export", record_type, record_id, detail
        if method in WRITE_METHODS and not is_read_permission(permission):
            return f"{record_type}.{last or WRITE_METHODS[method]}", record_type, record_id, detail
        if asks_reveal(scope.get("query_string", b"")) and principal.can("pii:read"):
            return f"{record_type}.reveal", record_type, record_id, detail
        return None

    def write(
        self,
        principal: Principal,
        action: str,
        record_type: str,
        record_id: str | None,
        detail: dict,
        *,
        strict: bool = False,
    ) -> None:
        """Record one event; ``strict`` lets a failure propagate (a reveal or export is then withheld)."""
        service = getattr(self.fastapi_app.state, "service", None)
        if service is None or not hasattr(service, "audit"):
            return
        try:
            service.audit.record(principal, action, record_type, record_id, detail)
        except Exception as exc:  # an audit failure must be loud but not lose the response
            if strict:
                raise
            log.error("audit write failed for %s: %s", action, type(exc).__name__)


def warn_without_key(app: FastAPI) -> None:
    service = getattr(app.state, "service", None)
    if service is not None and not service.settings.petitioner_key:
        log.warning(
            "未配置 LEIAN_PETITIONER_KEY：含身份证号或电话的案件将被拒绝导入，重复信访无法识别。"
            "No petitioner key configured: imports carrying identities will be refused."
        )


def install_security(app: FastAPI) -> None:
    install_log_masking()
    # Added last = outermost: the size limit runs before anything reads the body.
    app.add_middleware(AuditMiddleware, fastapi_app=app)
    app.add_middleware(BodyLimitMiddleware, fastapi_app=app)
