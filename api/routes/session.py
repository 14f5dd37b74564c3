"""Web login: a password exchanged for an HttpOnly, SameSite=Strict session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, CurrentUser, NotAuthenticatedError
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.session import LoginIn, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"], responses={401: {"model": ErrorResponse}})


@router.post(
    "/login",
    response_model=UserOut,
    responses={403: {"model": ErrorResponse, "description": "登录失败次数过多（用户名或本机地址被暂时锁定）"}},
    summary="网页登录：校验密码，设置会话 Cookie",
)
async def login(body: LoginIn, request: Request, response: Response, service: ServiceDep) -> UserOut:
    # scrypt is deliberately slow: keep it off the event loop.
    # Failures are limited per user name and per client address (kb/login_throttle.py); behind a
    # proxy, run uvicorn with --proxy-headers so this is the browser's address, not the proxy's.
    client = request.client.host if request.client else None
    result = await run_in_threadpool(service.sessions.login, body.username, body.password, client)
    if result is None:
        raise NotAuthenticatedError("用户名或密码错误")
    principal, token = result
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.sessions.hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return UserOut.of(principal)


@router.post("/logout", status_code=204, summary="退出登录：吊销当前会话")
def logout(request: Request, response: Response, service: ServiceDep, user: CurrentUser) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.sessions.logout(token, user)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


@router.get("/me", response_model=UserOut, summary="当前用户：角色、地市与权限")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)
