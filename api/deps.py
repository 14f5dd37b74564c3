"""Typed dependency aliases so routes read like plain functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kb.service import LeianService


def get_service(request: Request) -> LeianService:
    service: LeianService = request.app.state.service
    return service


ServiceDep = Annotated[LeianService, Depends(get_service)]
