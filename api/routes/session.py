"""Web login: a password exchanged for an HttpOnly, SameSite=Strict session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from api.auth import SESSION_COOKIE, CurrentUser, NotAuthenticatedError
from api.deps import ServiceDep
from api.schemas import ErrorResponse
from kb.users import ROLE_LABELS, Principal

router = APIRouter(prefix="/api/auth", tags=["auth"], responses={401: {"model": ErrorResponse}})


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_label: str
    city: str | None
    permissions: list[str]

    @classmethod
    def of(cls, p: Principal) -> UserOut:
        return cls(
            username=p.username,
            display_name=p.display_name,
            role=p.role,
            role_label=ROLE_LABELS.get(p.role, p.role),
            city=p.city,
            permissions=sorted(p.permissions),
        )


@router.post("/login", response_model=UserOut, summary="网页登录：校验密码，设置会话 Cookie")
async def login(body: LoginIn, request: Request, response: Response, service: ServiceDep) -> UserOut:
    # scrypt is deliberately slow: keep it off the event loop.
    result = await run_in_threadpool(service.sessions.login, body.username, body.password)
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
