"""The Handoff app: `create_app()` wires settings, the database, the hub and the routers.

Production entry point: `uvicorn server:app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware

from analytics import router as analytics_router
from auth import router as auth_router
from handoff import uploads
from handoff.bootstrap import bootstrap
from handoff.channels import build_channels
from handoff.channels import media as _media  # noqa: F401 - registers the media.fetch job
from handoff.config import Settings
from handoff.context import AppContext, BackgroundService, Limits
from handoff.conversations.timers import Timers
from handoff.crypto import SecretBox
from handoff.delivery.jobs import JobQueue
from handoff.delivery.outbox import Outbox
from handoff.errors import DomainError
from handoff.live.backplane import backplane_for
from handoff.live.drain import close_sockets_on_signal
from handoff.live.hub import Hub
from handoff.logs import RequestIdMiddleware, setup_logging
from handoff.notify.vapid import ensure_keys as ensure_push_keys
from handoff.store import migrator
from handoff.store.backend import Store, open_database, redact
from handoff.store.database import ping
from handoff.web.api_tokens import router as api_tokens_router
from handoff.web.audit_log import router as audit_router
from handoff.web.availability import router as availability_router
from handoff.web.body_limit import BodyLimitMiddleware
from handoff.web.canned import router as canned_router
from handoff.web.client_address import ClientAddressMiddleware
from handoff.web.contacts import router as contacts_router
from handoff.web.cors import SplitCORSMiddleware
from handoff.web.csat import router as csat_router
from handoff.web.email import router as email_router
from handoff.web.followups import router as followups_router
from handoff.web.history import router as history_router
from handoff.web.http_metrics import HttpMetricsMiddleware
from handoff.web.identity_secret import router as identity_secret_router
from handoff.web.inbox import router as inbox_router
from handoff.web.messenger_webhooks import router as messenger_router
from handoff.web.metrics import router as metrics_router
from handoff.web.mfa import reset_router as mfa_reset_router
from handoff.web.mfa import router as mfa_router
from handoff.web.middleware_stack import SplitStack
from handoff.web.origins import StaffOriginGuard
from handoff.web.password_reset import router as password_reset_router
from handoff.web.push import router as push_router
from handoff.web.rate_limit_headers import RateLimitHeadersMiddleware
from handoff.web.schemas import error_responses
from handoff.web.security_headers import SecurityHeadersMiddleware
from handoff.web.staff_socket import router as staff_socket_router
from handoff.web.static_files import mount_static
from handoff.web.tags import router as tags_router
from handoff.web.tenants import router as tenants_router
from handoff.web.text_guard import StorableTextGuard
from handoff.web.twilio_webhooks import router as twilio_router
from handoff.web.uploads import router as uploads_router
from handoff.web.users import router as users_router
from handoff.web.users import team_router
from handoff.web.visitor_socket import router as visitor_socket_router
from handoff.web.webhooks import router as webhooks_router
from handoff.web.widget import router as widget_router

log = logging.getLogger("handoff.server")
ROOT = Path(__file__).resolve().parent


class Healthy(BaseModel):
    status: Literal["ok"]


class Unhealthy(BaseModel):
    status: Literal["unavailable"]
    detail: str


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc)}, status_code=422)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"detail": "internal server error"}, status_code=500)


async def migrated_database(settings: Settings, secrets: SecretBox) -> Store:
    """The deployment's database, migrated and opened: PostgreSQL when DATABASE_URL is set (migrations under
    an advisory lock, so processes starting together apply each once), else the SQLite file (whose migrator
    also seals channel secrets older versions stored in clear)."""
    if settings.database_url:
        await asyncio.to_thread(migrator.migrate, settings.database_url)
    else:
        await asyncio.to_thread(migrator.migrate, settings.db_path, secrets)
    return await open_database(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ready = settings.with_signing_key()
        secrets = SecretBox(ready.jwt_secret)
        uploads.configure(ready.jwt_secret)
        db = await migrated_database(ready, secrets)
        # REDIS_URL: shared with other processes
        backplane = backplane_for(ready.redis_url, ready.redis_prefix, ready.presence_ttl_seconds)
        await backplane.start()
        hub = Hub(sockets_per_address=ready.sockets_per_address, backplane=backplane)
        http = httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0), follow_redirects=False)
        ctx = AppContext(
            settings=ready,
            db=db,
            hub=hub,
            limits=Limits.from_settings(ready, backplane.redis),
            secrets=secrets,
            channels=build_channels(),
            http=http,
        )
        app.state.ctx = ctx
        await bootstrap(db, ready, secrets)
        await ensure_push_keys(db, secrets)
        outbox = Outbox(ctx)
        ctx.wake_outbox = outbox.wake
        jobs = JobQueue(ctx)
        ctx.wake_jobs = jobs.wake
        services: list[BackgroundService] = [Timers(ctx), outbox, jobs]
        for service in services:
            await service.start()
        # Startup objects (routes, models, settings) leave the collector's scans, and collections get rarer:
        # with thousands of sockets a full collection paused delivery for hundreds of ms (bench/README.md).
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        log.info("handoff ready (database %s)", redact(ready.database_url) if ready.database_url else ready.db_path)
        # SIGTERM closes the sockets (1012, after answering the frame in hand) before uvicorn's shutdown.
        restore_signals = close_sockets_on_signal(hub)
        try:
            yield
        finally:
            restore_signals()
            hub.close_all()
            for service in reversed(services):
                await service.stop()
            await http.aclose()
            await backplane.stop()
            await db.close()

    # FastAPI's OpenTelemetry hooks look up three global providers on every request; we export none, and
    # that lookup was a visible share of a /webchat request.
    app = FastAPI(
        title="Handoff",
        version="1.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    install_error_handlers(app)
    for router in ROUTERS:
        # Every 422 is `{"detail": "..."}` (see install_error_handlers), not FastAPI's default list of errors.
        app.include_router(router, responses=error_responses(422))

    @app.get("/health", tags=["health"], response_model=Healthy, responses={503: {"model": Unhealthy}})
    async def health(request: Request) -> JSONResponse:
        """200 when the database answers, 503 otherwise."""
        ctx: AppContext | None = getattr(request.app.state, "ctx", None)
        try:
            if ctx is None:
                raise RuntimeError("not started")
            await asyncio.wait_for(ctx.db.read(ping), timeout=2)
        except Exception:
            return JSONResponse({"status": "unavailable", "detail": "database not answering"}, status_code=503)
        return JSONResponse({"status": "ok"})

    mount_static(app, ROOT, settings)
    # Outermost first. ClientAddress leads, so everything inside (limits, logs, the audit log) sees the same
    # client address. The staff origin guard is outside CORS, so a foreign origin's preflight is refused too
    # rather than answered without CORS headers. The RateLimit headers are inside CORS, which exposes them.
    # The body limit is in front of everything that reads a body (the routers, the webhooks) and inside CORS
    # and the request id, which never read it, so a 413 still carries the headers a browser needs to read
    # it; innermost, the text guard reads the body the limit has already bounded.
    client_address = Middleware(ClientAddressMiddleware, proxy_hops=settings.proxy_hops)
    staff_origins = Middleware(
        StaffOriginGuard, frontend_origins=settings.frontend_origins, public_base_url=settings.public_base_url
    )
    http_layers = [
        client_address,
        Middleware(HttpMetricsMiddleware),
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware, public_base_url=settings.public_base_url),
        staff_origins,
        Middleware(SplitCORSMiddleware, staff_origins=settings.frontend_origins),
        Middleware(RateLimitHeadersMiddleware),
        Middleware(BodyLimitMiddleware, upload_max_bytes=settings.upload_max_bytes),
        Middleware(StorableTextGuard),
    ]
    websocket_layers = [client_address, Middleware(RequestIdMiddleware), staff_origins]
    app.add_middleware(SplitStack, http=http_layers, websocket=websocket_layers)
    return app


# Matched in this order, route by route: the hot paths first (`POST /webchat`, `POST /admin/api/send`, the
# two sockets), so the requests that come thousands a second are not tried against every other route
# first (FastAPI's route matching was 15% of a `/webchat` request's CPU; bench/README.md). No path of
# theirs is also a path of a later router.
ROUTERS: list[Any] = [
    widget_router,
    inbox_router,
    visitor_socket_router,
    staff_socket_router,
    uploads_router,
    auth_router,
    availability_router,
    mfa_router,
    mfa_reset_router,
    users_router,
    team_router,
    tenants_router,
    identity_secret_router,
    audit_router,
    followups_router,
    canned_router,
    tags_router,
    csat_router,
    contacts_router,
    history_router,
    analytics_router,
    twilio_router,
    messenger_router,
    metrics_router,
    webhooks_router,
    api_tokens_router,
    email_router,
    password_reset_router,
    push_router,
]


def __getattr__(name: str) -> Any:
    """`uvicorn server:app` builds the app on first access, so importing this module has no side effects."""
    if name == "app":
        setup_logging()
        globals()["app"] = built = create_app()
        return built
    raise AttributeError(name)
