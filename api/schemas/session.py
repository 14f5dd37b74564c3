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
