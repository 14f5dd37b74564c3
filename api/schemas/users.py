"""Account administration: users, their state and their credentials."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kb.users import ROLE_LABELS, Account, Credential


class AccountOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_label: str
    unit: str | None = Field(description="账号所属单位")
    scope: str = Field(description="权限范围：province / city / cities / department / zhengfa")
    scope_label: str = Field(description="权限范围说明，如 全省、广州市")
    active: bool = Field(description="是否启用（停用的账号不能登录，其令牌与会话全部失效）")
    has_password: bool = Field(description="是否设置了网页登录密码")
    tokens: int = Field(description="有效的 API 令牌数")
    sessions: int = Field(description="有效的网页会话数")
    created_at: str

    @classmethod
    def of(cls, a: Account) -> AccountOut:
        p = a.principal
        return cls(
            username=p.username,
            display_name=p.display_name,
            role=p.role,
            role_label=ROLE_LABELS.get(p.role, p.role),
            unit=p.unit,
            scope=p.scope.kind,
            scope_label=p.scope.label,
            active=a.active,
            has_password=a.has_password,
            tokens=a.tokens,
            sessions=a.sessions,
            created_at=a.created_at,
        )


class AccountList(BaseModel):
    total: int
    items: list[AccountOut]


class CredentialOut(BaseModel):
    kind: str = Field(description="token（API 令牌）或 session（网页会话）")
    id: str = Field(description="令牌哈希的前 12 位（不是令牌本身）")
    name: str
    created_at: str
    expires_at: str | None
    active: bool = Field(description="未吊销且未过期")

    @classmethod
    def of(cls, c: Credential) -> CredentialOut:
        return cls(kind=c.kind, id=c.id, name=c.name, created_at=c.created_at, expires_at=c.expires_at, active=c.active)


class RevokedOut(BaseModel):
    tokens: int = Field(description="本次吊销的 API 令牌数")
    sessions: int = Field(description="本次吊销的网页会话数")
