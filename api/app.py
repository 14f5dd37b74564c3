"""The FastAPI application factory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.csrf import install_csrf
from api.docs import install_docs
from api.errors import install_error_handlers
from api.headers import install_headers
from api.query_check import reject_unknown_query_parameters
from api.routes import assignments as assignment_routes
from api.routes import audit, cases, search, session, system, units, users
from api.routes import campaigns as campaign_routes
from api.routes import group_families as group_families_routes
from api.routes import groups as groups_routes
from api.routes import inbox as inbox_routes
from api.routes import jobs as jobs_routes
from api.routes import lifecycle as lifecycle_routes
from api.routes import litigation as litigation_routes
from api.routes import modelcases as modelcases_routes
from api.routes import petitioners as petitioners_routes
from api.routes import special_groups as special_groups_routes
from api.routes import supervision as supervision_routes
from api.routes import workflow as workflow_routes
from api.security import install_security
from api.web import pages as web_pages
from kb.backup import ServiceLock
from kb.jobs.service import JobRunner
from kb.service import LeianService
from kb.settings import Settings, load_settings

ROUTERS = [
    system.router,
    cases.router,
    search.router,
    session.router,
    audit.router,
    users.router,
    workflow_routes.router,
    lifecycle_routes.router,
    litigation_routes.router,
    supervision_routes.router,
    campaign_routes.router,
    petitioners_routes.router,
    assignment_routes.router,
    inbox_routes.router,
    modelcases_routes.router,
    groups_routes.router,
    special_groups_routes.router,
    group_families_routes.router,
    units.router,
    jobs_routes.router,
    web_pages.router,
]


def create_app(
    service: LeianService | None = None,
    settings: Settings | None = None,
    *,
    warm_router: bool | None = None,
    run_jobs: bool | None = None,
) -> FastAPI:
    """Build the app around a ready service (tests) or one opened from settings (serve).

    ``warm_router`` (default: when the app opens its own service) warms everything built lazily in
    the background at start (``kb.warmup``: the encoder's first call, the routing models, the
    model-case index), so the first ``/api/workflow/route`` or model-case match answers at once;
    health reports each step.
    ``run_jobs`` (default: when the app opens its own service and ``LEIAN_JOB_RUNNER=inline``) runs
    queued background jobs (kb/jobs) in a thread of this process.
    """
    owned = service is None
    warm = owned if warm_router is None else warm_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        lock = None
        if app.state.service is None:
            # A CLI command may open the data directory while this server runs (`leian ingest`):
            # the index follows the change log and one process writes the index files.
            opened = (settings or load_settings()).with_(shared_index=True)
            if opened.api_workers == 1:
                # The serving process holds the data directory's lock: `leian restore` refuses
                # meanwhile. With several workers their parent holds it (api/cli/cases.py).
                lock = ServiceLock(opened)
                lock.acquire()
            # Its query encoder runs on `serve_threads` (concurrent requests already share the cores).
            app.state.service = LeianService(opened, encoder_threads=opened.serve_threads)
        if warm:
            app.state.service.warmup.start()
        runner = None
        if (owned if run_jobs is None else run_jobs) and app.state.service.settings.job_runner == "inline":
            shared = app.state.service.settings
            # Several workers: one of them at a time runs the queue (the holder of this lock).
            queue_lock = shared.data_dir / "jobs.runner.lock" if shared.api_workers > 1 else None
            runner = JobRunner(app.state.service.jobs, lock_path=queue_lock)
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()
            if owned and app.state.service is not None:
                app.state.service.close()
            if lock is not None:
                lock.release()

    app = FastAPI(
        title="Leian 类案",
        description="信访类案检索、同质化类案分组与典型案例库 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served offline by api/docs.py
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query_parameters)],
    )
    app.state.service = service
    install_error_handlers(app)
    install_security(app)
    install_csrf(app)  # outside the body limit and audit: a refused request reads nothing
    install_headers(app)  # outermost: every response, refusals included, gets the headers
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    app.mount("/static", StaticFiles(directory=web_pages.STATIC_DIR), name="static")
    return app


def create_worker_app() -> FastAPI:
    """One worker of `leian serve --workers N` (uvicorn imports this factory in each process): the
    settings come from the ``LEIAN_*`` variables the parent exported (``kb.settings.settings_environment``),
    and every response names the process that answered it (``X-Leian-Worker``)."""
    app = create_app(settings=load_settings())
    app.add_middleware(WorkerHeader, pid=os.getpid())
    return app


class WorkerHeader:
    """Plain ASGI: adds ``X-Leian-Worker: <pid>`` to every HTTP response (streams included)."""

    def __init__(self, app: ASGIApp, pid: int) -> None:
        self.app, self.pid = app, str(pid).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-leian-worker", self.pid)]
            await send(message)

        await self.app(scope, receive, named)
