"""Web login and the current user."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kb.users import ROLE_LABELS, Principal


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    role_label: str
    city: str | None = Field(description="城市级权限范围的地市（其他范围为空）")
    unit: str | None = Field(description="账号所属单位")
    scope: str = Field(description="权限范围：province / city / cities / department / zhengfa")
    scope_label: str = Field(description="权限范围说明，如 全省、广州市、省交通运输厅")
    scope_cities: list[str] = Field(description="地市或督查片区范围内的地市")
    permissions: list[str]

    @classmethod
    def of(cls, p: Principal) -> UserOut:
        return cls(
            username=p.username,
            display_name=p.display_name,
            role=p.role,
            role_label=ROLE_LABELS.get(p.role, p.role),
            city=p.scope.city,
            unit=p.unit,
            scope=p.scope.kind,
            scope_label=p.scope.label,
            scope_cities=sorted(p.scope.cities),
            permissions=sorted(p.permissions),
        )
