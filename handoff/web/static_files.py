"""Static pages: the widget script, its demo host page, and the admin SPA with history-API fallback. Both are
served precompressed (.br/.gz made at build time) to browsers that accept it."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from handoff.config import Settings
from handoff.context import AppContext
from handoff.store import tenants
from handoff.web.precompressed import PrecompressedFiles, original_name

# the built widget only (handoff.js, later its lazily loaded parts, and their .gz/.br): not its sources or packages
WIDGET_FILE = re.compile(r"handoff(?:-[a-z0-9]+)?\.js(?:\.gz|\.br)?")


class SpaFiles(PrecompressedFiles):
    """Serves the built SPA; unknown paths get index.html so client-side routes survive a reload."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except StarletteHTTPException as exc:  # what StaticFiles raises (FastAPI's HTTPException is a subclass)
            if exc.status_code != 404:
                raise
            response = await super().get_response("index.html", scope)
        name = original_name(path)  # index.html.br asked for by name is still index.html
        # The push service worker (sw.js) keeps its name across builds, so browsers must check it each time.
        if name in ("", ".", "index.html", "sw.js") or not Path(name).suffix:
            response.headers["Cache-Control"] = "no-cache"
        else:  # Vite fingerprints asset names, so they can be cached for good
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class WidgetFiles(PrecompressedFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        if not WIDGET_FILE.fullmatch(path):
            raise HTTPException(404)
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


def mount_static(app: FastAPI, root: Path, settings: Settings) -> None:
    templates = Jinja2Templates(directory=str(root / "templates"))

    @app.get("/widget/demo", response_class=HTMLResponse, include_in_schema=False)
    async def widget_demo(request: Request, key: str = Query("", max_length=100)) -> Any:
        """A host page with the embed snippet in place (defaults to the platform tenant's widget)."""
        ctx: AppContext = request.app.state.ctx
        if key:
            tenant = await ctx.db.read(partial(tenants.by_widget_key, widget_key=key))
        else:
            tenant = await ctx.db.read(partial(tenants.get, tenant_id=tenants.PLATFORM_TENANT_ID))
        if tenant is None:
            raise HTTPException(404, "unknown widget key")
        base = settings.public_base_url or str(request.base_url).rstrip("/")
        return templates.TemplateResponse(
            request,
            "widget_demo.html",
            {"widget_key": tenant.widget_key, "base_url": base, "business_name": tenant.name},
        )

    app.mount("/widget", WidgetFiles(directory=str(root / "widget"), check_dir=False), name="widget")

    dist = (
        (root / settings.frontend_dist)
        if not Path(settings.frontend_dist).is_absolute()
        else Path(settings.frontend_dist)
    )
    if (dist / "index.html").exists():
        app.mount("/admin-app", SpaFiles(directory=str(dist), html=True), name="admin-app")
    else:

        @app.get("/admin-app/{rest:path}", response_class=HTMLResponse, include_in_schema=False)
        async def admin_not_built(rest: str) -> HTMLResponse:
            return HTMLResponse(
                "<h1>Admin app not built</h1><p>Run <code>./dev.sh</code> (or <code>npm ci && npm run build</code>"
                " in admin-frontend/) and restart.</p>",
                status_code=503,
            )

    @app.get("/", response_class=RedirectResponse, include_in_schema=False)
    async def index() -> RedirectResponse:
        return RedirectResponse("/admin-app/")
