"""`GET /metrics`: this process's metrics in Prometheus's text format (prometheus_client).

The instruments moved as things happen are in `handoff.metrics` and `handoff.web.http_metrics`; what is
cheaper to read when Prometheus asks is read here, per scrape: open sockets from the hub, and the delivery
queues' depth from the database (one count over the pending rows' index, on the reader).

Who may read: with METRICS_TOKEN set, a request carrying `Authorization: Bearer <it>` (compared in
constant time); without it, loopback clients only, the client address being the one PROXY_HOPS trusts.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from handoff.context import AppContext, client_ip
from handoff.delivery.jobs import handled_kinds
from handoff.store import jobs, outbox
from handoff.store.database import parse_iso
from handoff.web.hotpath import bearer_token

log = logging.getLogger("handoff.metrics")
router = APIRouter(tags=["metrics"])


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_access(request: Request, token: str) -> None:
    if token:
        given = bearer_token(request) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "metrics need the METRICS_TOKEN bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not is_loopback(client_ip(request)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "metrics are served to loopback clients only unless METRICS_TOKEN is set"
        )


DepthReader = Callable[[sqlite3.Connection], tuple[int, str | None]]


def queues() -> dict[str, DepthReader]:
    """Each delivery queue's (pending rows, oldest created_at) reader, by the `queue` label it reports under:
    the outbox, then one per kind of job (email, webhook, ...), so every dashboard and alert written for the
    outbox covers them."""
    found: dict[str, DepthReader] = {"outbox": outbox.pending_depth}
    for kind in handled_kinds():
        found[kind] = functools.partial(jobs.pending_depth, kind=kind)
    return found


class ScrapeTime(Collector):
    """The families read for one scrape (sockets, queue depths), handed to the text encoder."""

    def __init__(self, families: Iterable[GaugeMetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.families


async def scrape_time_families(ctx: AppContext) -> list[GaugeMetricFamily]:
    counts = ctx.hub.counts()
    sockets = GaugeMetricFamily("handoff_open_sockets", "WebSockets open on this process, by kind", labels=["kind"])
    sockets.add_metric(["visitor"], counts["visitor_sockets"])
    sockets.add_metric(["staff"], counts["staff_sockets"])
    pending = GaugeMetricFamily(
        "handoff_queue_depth", "Deliveries waiting to be sent (the whole deployment's queue)", labels=["queue"]
    )
    waiting = GaugeMetricFamily(
        "handoff_queue_oldest_age_seconds",
        "Age of the oldest delivery still waiting (0 when none is)",
        labels=["queue"],
    )
    now = datetime.now(UTC)
    for queue, depth_of in queues().items():
        try:
            depth, oldest = await asyncio.wait_for(ctx.db.read(depth_of), timeout=2)
        except Exception:  # the database is in trouble: /health says so; still serve everything else
            log.warning("metrics: could not read the %s queue's depth", queue)
            continue
        pending.add_metric([queue], depth)
        waiting.add_metric([queue], max(0.0, (now - parse_iso(oldest)).total_seconds()) if oldest else 0.0)
    return [sockets, pending, waiting]


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format; see docs/operations.md, Metrics."""
    ctx: AppContext = request.app.state.ctx
    check_access(request, ctx.settings.metrics_token)
    families = await scrape_time_families(ctx)
    body = generate_latest(REGISTRY) + generate_latest(ScrapeTime(families))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
