"""The config service's ASGI app (`api.main:app`): routers, the lifespan that upgrades the
schema, the security headers of every answer, the request guard (body size, JSON text) that
runs before anything else, and the handlers that turn every `SlaError` and every invalid request
into a JSON answer, and the web console under `/console` (`api.console`; `GET /` leads there).

    uvicorn api.main:app              # DATABASE_URL, SLA_ADMIN_KEY, TEMPORAL_* from the env

`create_app` builds an app from explicit settings (tests point it at their database and at a
Temporal client of their own through `app.state.services`).
"""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from activities.settings import DestinationRules
from api.caches import KeyCache, ResponseCache
from api.config import ApiSettings, load_settings
from api.console import admin as console_admin
from api.console import ops as console_ops
from api.console import pages as console_pages
from api.console import routes as console
from api.deps import Services
from api.errors import SlaError
from api.guard import RequestGuard
from api.headers import SecurityHeaders
from api.routes import (
    api_keys,
    business_hours,
    cases,
    deliveries,
    entitlement_processes,
    entitlements,
    health,
    me,
    milestone_types,
    records,
    reports,
)
from api.temporal import TemporalGateway, system_clock
from database.engine import session_factory
from database.migrations import upgrade
from temporal_connection.client import TemporalSettings

log = logging.getLogger("sla.api")


def create_app(
    settings: ApiSettings | None = None, temporal: TemporalSettings | None = None
) -> FastAPI:
    settings = settings or load_settings(ApiSettings)
    services = Services(
        settings=settings,
        sessions=session_factory(settings.database_url),
        temporal=TemporalGateway(temporal or load_settings(TemporalSettings)),
        clock=system_clock,
        destinations=load_settings(DestinationRules),
        keys=KeyCache(settings.sla_key_cache_seconds),
        responses=ResponseCache(settings.sla_config_cache_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.sla_migrate_on_start:
            await run_in_threadpool(upgrade, settings.database_url)
        if not settings.sla_admin_key:
            log.warning("SLA_ADMIN_KEY is not set: only API keys already stored will work")
        # What was loaded to start (modules, the app, the templates) lives as long as the
        # process: keep it out of the collector's full passes, which otherwise stall requests.
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        title="SLA milestone engine",
        summary="Milestone types, business hours and entitlement processes; cases on Temporal.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.services = services
    for module in (
        health,
        milestone_types,
        business_hours,
        entitlement_processes,
        entitlements,
        cases,
        reports,
        records,
        deliveries,
        api_keys,
        me,
    ):
        app.include_router(module.router)
    for console_module in (console, console_ops, console_admin):
        app.include_router(console_module.router)
    static = console_pages.HERE / "static"
    app.mount("/console/static", StaticFiles(directory=static), name="console")

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/console", status_code=307)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 400 and error.detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not JSON at all; say it like other input errors.
            return JSONResponse(
                {
                    "detail": [
                        {
                            "loc": ["body"],
                            "msg": "the body is not valid JSON: send UTF-8 encoded JSON",
                            "type": "json_invalid",
                        }
                    ]
                },
                status_code=422,
            )
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own answer echoes each input back: a 3 MB field, a secret, or text that
        # cannot be encoded. Where and what is enough to fix a request.
        detail = [
            {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]}
            for problem in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(SlaError)
    async def sla_error(_request: Request, error: SlaError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=error.headers
        )

    app.add_middleware(RequestGuard)
    app.add_middleware(SecurityHeaders)  # added last: the outermost, round the guard's answers
    return app


app = create_app()
