"""CSRF protection for cookie-authenticated state changes: Fetch-Metadata, Origin and a token.

A POST, PUT, PATCH or DELETE that carries the session cookie (and no bearer token: a token is
never sent by a browser on its own) is refused with 403 unless

- ``Sec-Fetch-Site`` is absent, ``same-origin`` or ``none`` (``same-site`` is refused too: a page
  on another port of the same host is another origin),
- ``Origin``, when present, is this server's own host and port, and
- ``X-CSRF-Token`` equals the session's CSRF token: an HMAC of the session token, sent to the
  page's scripts in the ``leian_csrf`` cookie (readable by JavaScript, SameSite=Strict). Another
  site can neither read that cookie nor compute it without the HttpOnly session token.

The login itself gets the Fetch-Metadata and Origin checks (no login CSRF); it cannot carry a
token yet. The ``leian_csrf`` cookie is set whenever a response sets the session cookie (login),
removed when the session cookie is removed (logout), and re-issued on any request whose session
cookie has no matching one (sessions opened before this check existed keep working).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import SESSION_COOKIE

CSRF_COOKIE = "leian_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = "/api/auth/login"
FOREIGN_SITES = frozenset({"cross-site", "same-site"})
MSG_FOREIGN = "已拒绝来自其他站点的请求：请在本系统页面内操作"
MSG_TOKEN = "缺少或无效的 CSRF 令牌：请刷新页面后重试"


def csrf_token(session_token: str) -> str:
    """The CSRF token bound to one session (derived, so nothing extra is stored)."""
    return hmac.new(session_token.encode("utf-8"), b"leian-csrf-v1", hashlib.sha256).hexdigest()


def _cookies(raw: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return {}
    return {k: m.value for k, m in jar.items()}


def _netloc(value: str, scheme: str) -> str:
    """host[:port] in lower case, the scheme's default port dropped."""
    host = value.strip().lower()
    default = ":443" if scheme == "https" else ":80"
    return host[: -len(default)] if host.endswith(default) else host


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether an ``Origin`` header names this server (compared by host and port)."""
    if not origin or origin == "null" or not host:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    # Scheme is not compared: a TLS-terminating proxy forwards https as http on the same host.
    return _netloc(parts.netloc, parts.scheme) == _netloc(host, scheme)


class CSRFMiddleware:
    """Refuses cross-site cookie writes; issues and clears the ``leian_csrf`` cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        cookies = _cookies(headers.get("cookie", ""))
        session = cookies.get(SESSION_COOKIE, "")
        problem = self.problem(scope, headers, session)
        if problem is not None:
            await self._refuse(send, problem)
            return
        secure = scope.get("scheme") == "https"
        stale = bool(session) and not _equal(cookies.get(CSRF_COOKIE, ""), csrf_token(session))

        async def issue(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                set_session = [c for c in out.getlist("set-cookie") if c.startswith(SESSION_COOKIE + "=")]
                if set_session:
                    jar = _cookies(set_session[-1])
                    morsel = jar.get(SESSION_COOKIE, "")
                    max_age = _max_age(set_session[-1])
                    if morsel and max_age != "0":
                        out.append("set-cookie", _cookie(csrf_token(morsel), max_age, secure))
                    else:
                        out.append("set-cookie", _cookie("", "0", secure))
                elif stale:
                    out.append("set-cookie", _cookie(csrf_token(session), None, secure))
            await send(message)

        await self.app(scope, receive, issue)

    @staticmethod
    def problem(scope: Scope, headers: dict[str, str], session: str) -> str | None:
        if scope.get("method", "GET").upper() not in UNSAFE_METHODS:
            return None
        if headers.get("authorization", "").lower().startswith("bearer "):
            return None  # authenticated by the token alone, which no other site can attach
        login = scope.get("path") == LOGIN_PATH
        if not session and not login:
            return None  # not cookie-authenticated: the route answers 401 itself
        if headers.get("sec-fetch-site", "").lower() in FOREIGN_SITES:
            return MSG_FOREIGN
        origin = headers.get("origin")
        if origin is not None and not same_origin(origin, headers.get("host", ""), scope.get("scheme", "http")):
            return MSG_FOREIGN
        if login:
            return None
        sent = headers.get(CSRF_HEADER, "")
        if not sent or not _equal(sent, csrf_token(session)):
            return MSG_TOKEN
        return None

    @staticmethod
    async def _refuse(send: Send, message: str) -> None:
        body = json.dumps(
            {"error": {"code": "csrf_refused", "message": message, "details": []}}, ensure_ascii=False
        ).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _equal(a: str, b: str) -> bool:
    # Bytes: compare_digest refuses non-ASCII str, and a header may hold anything.
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _max_age(set_cookie: str) -> str | None:
    for part in set_cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age":
            return value.strip()
    return None


def _cookie(value: str, max_age: str | None, secure: bool) -> str:
    """The ``leian_csrf`` cookie: readable by the page's scripts (not HttpOnly), SameSite=Strict."""
    parts = [f"{CSRF_COOKIE}={value}", "Path=/", "SameSite=Strict"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def install_csrf(app: FastAPI) -> None:
    app.add_middleware(CSRFMiddleware)
