"""Account administration (admins; a bound admin manages only accounts within its scope): list
users, disable / enable them, list and revoke their tokens. The rules live in kb/accounts.py."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from api.auth import require
from api.deps import ServiceDep
from api.schemas.common import ErrorResponse
from api.schemas.users import AccountList, AccountOut, CredentialOut, RevokedOut
from kb.users import Principal

router = APIRouter(
    prefix="/api/users",
    tags=["users"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
Username = Path(min_length=1, max_length=64, description="用户名")


@router.get("", response_model=AccountList, summary="账号列表（管理员；本单位权限范围内的账号）")
def list_users(service: ServiceDep, user: Principal = Depends(require("users:admin"))) -> AccountList:
    items = [AccountOut.of(a) for a in service.accounts.list_accounts(user)]
    return AccountList(total=len(items), items=items)


@router.get(
    "/{username}/tokens", response_model=list[CredentialOut], summary="账号的 API 令牌与网页会话（不含令牌本身）"
)
def list_tokens(
    service: ServiceDep, username: str = Username, user: Principal = Depends(require("users:admin"))
) -> list[CredentialOut]:
    return [CredentialOut.of(c) for c in service.accounts.credentials(user, username)]


@router.post("/{username}/disable", response_model=AccountOut, summary="停用账号（立即吊销其全部令牌与会话）")
def disable(
    service: ServiceDep, username: str = Username, user: Principal = Depends(require("users:admin"))
) -> AccountOut:
    return AccountOut.of(service.accounts.disable(user, username))


@router.post("/{username}/enable", response_model=AccountOut, summary="启用账号（旧令牌仍失效，需另行签发）")
def enable(
    service: ServiceDep, username: str = Username, user: Principal = Depends(require("users:admin"))
) -> AccountOut:
    return AccountOut.of(service.accounts.enable(user, username))


@router.post("/{username}/revoke-tokens", response_model=RevokedOut, summary="吊销账号的全部 API 令牌与网页会话")
def revoke_tokens(
    service: ServiceDep, username: str = Username, user: Principal = Depends(require("users:admin"))
) -> RevokedOut:
    return RevokedOut(**service.accounts.revoke_tokens(user, username))
