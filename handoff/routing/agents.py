"""Agents' availability: their own choice (online or away, stored in `users.availability` so it outlasts a
sign-out) and whether they hold a staff socket (the hub). Coming online or back from away may give them
waiting conversations."""

from __future__ import annotations

import logging
import sqlite3
from functools import partial
from typing import Literal

from handoff.context import AppContext
from handoff.errors import DomainError, NotFound
from handoff.identity import Staff
from handoff.routing import assign
from handoff.store import routing as store
from handoff.store.audit import staff_event

log = logging.getLogger("handoff.routing")
Choice = Literal["online", "away"]


async def choose(ctx: AppContext, staff: Staff, availability: Choice) -> None:
    """Store the agent's choice, tell every process, and route waiting conversations to them if back."""

    def write(conn: sqlite3.Connection) -> bool:
        if store.availability(conn, staff.tenant_id, staff.id) is None:
            raise NotFound("user not found")
        changed = store.set_availability(conn, staff.tenant_id, staff.id, availability)
        if changed:
            staff_event(conn, staff, "user.availability", "user", staff.id, {"availability": availability})
        return changed

    await ctx.db.write(write)
    # Told even when unchanged: a process that missed an earlier change (Redis down) catches up.
    ctx.hub.set_availability(staff.tenant_id, staff.id, availability == "away")
    if availability == "online":
        await assign.drain(ctx, staff.tenant_id)


async def connecting(ctx: AppContext, staff: Staff) -> None:
    """Before the socket joins the hub: its presence goes out with the agent's stored availability."""
    try:
        stored = await ctx.db.read(partial(store.availability, tenant_id=staff.tenant_id, user_id=staff.id))
    except DomainError as exc:  # keep what this process last heard
        log.warning("availability not read on connect (%s)", exc.detail)
        return
    ctx.hub.away.set(staff.tenant_id, staff.id, stored == "away")


async def connected(ctx: AppContext, staff: Staff) -> None:
    """The socket joined: an available agent may take waiting conversations. A failure here (the database
    refusing a write) leaves the socket open: the next trigger assigns them."""
    if ctx.hub.away.is_away(staff.tenant_id, staff.id):
        return
    try:
        await assign.drain(ctx, staff.tenant_id)
    except DomainError as exc:
        log.warning("auto-assignment on connect refused (%s)", exc.detail)
