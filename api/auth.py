"""Authentication (bearer token or session cookie) and per-endpoint permission checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ServiceDep
from kb.audit import set_actor
from kb.errors import LeianError
from kb.users import Principal

SESSION_COOKIE = "leian_session"
bearer = HTTPBearer(auto_error=False, description="API token（`leian users create` 生成）")


class NotAuthenticatedError(LeianError):
    code = "unauthenticated"


def current_principal(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    cookie = None if credentials else request.cookies.get(SESSION_COOKIE)
    token = credentials.credentials if credentials else None
    principal = service.users.by_token(token) if token else None
    if cookie and principal is None:
        principal = service.sessions.by_token(cookie) or service.users.by_token(cookie)
    if principal is None:
        raise NotAuthenticatedError("未登录或令牌无效")
    request.state.principal = principal
    set_actor(principal)
    return principal


def require(permission: str) -> Callable[..., Principal]:
    """Dependency factory: the caller must hold ``permission``; returns the principal."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"require_{permission.replace(':', '_')}"
    check.permission = permission  # type: ignore[attr-defined]
    return check


CurrentUser = Annotated[Principal, Depends(current_principal)]
