"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.csrf import install_csrf
from api.errors import install_error_handlers
from api.headers import install_headers
from api.routes import audit, cases, search, session, system, units
from api.routes import groups as groups_routes
from api.routes import modelcases as modelcases_routes
from api.routes import workflow as workflow_routes
from api.security import install_security
from api.web import pages as web_pages
from kb.service import LeianService
from kb.settings import Settings, load_settings

ROUTERS = [
    system.router,
    cases.router,
    search.router,
    session.router,
    audit.router,
    workflow_routes.router,
    modelcases_routes.router,
    groups_routes.router,
    units.router,
    web_pages.router,
]


def create_app(service: LeianService | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app around a ready service (tests) or one opened from settings (serve)."""
    owned = service is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.service is None:
            app.state.service = LeianService(settings or load_settings())
        yield
        if owned and app.state.service is not None:
            app.state.service.close()

    app = FastAPI(
        title="Leian 类案",
        description="信访类案检索、同质化类案分组与典型案例库 API",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.service = service
    install_error_handlers(app)
    install_security(app)
    install_csrf(app)  # outside the body limit and audit: a refused request reads nothing
    install_headers(app)  # outermost: every response, refusals included, gets the headers
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web_pages.STATIC_DIR), name="static")
    return app
