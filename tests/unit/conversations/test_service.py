"""`staff_send` against a migrated file: a reply on a channel the app has no outbound adapter for is refused
(409), never stored as "sent" with no outbox row to deliver it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from handoff.conversations.service import staff_send
from handoff.errors import Conflict
from handoff.store import conversations as store
from tests.unit.helpers import add_tenant, add_user, app_context, run


@dataclass(frozen=True)
class Staff:
    id: int
    tenant_id: int
    name: str


def test_a_reply_on_a_channel_without_an_adapter_is_refused(db_path: str) -> None:
    async def scenario() -> None:
        async with app_context(db_path) as ctx:  # ctx.channels is empty

            def seed(conn: sqlite3.Connection) -> tuple[int, int, int]:
                tenant_id = add_tenant(conn)
                user_id = add_user(conn, tenant_id)
                contact = store.contact_for_message(conn, tenant_id, "sms", "+15550001")
                return tenant_id, user_id, int(store.open_conversation(conn, contact)["id"])

            tenant_id, user_id, conversation_id = await ctx.db.write(seed)
            with pytest.raises(Conflict, match="no adapter"):
                await staff_send(ctx, Staff(user_id, tenant_id, "Sam"), conversation_id, "hello", None)
            counts = await ctx.db.read(
                lambda c: c.execute(
                    "SELECT (SELECT COUNT(*) FROM messages WHERE sender = 'staff'), (SELECT COUNT(*) FROM outbox)"
                ).fetchone()
            )
            assert tuple(counts) == (0, 0)

    run(scenario())
