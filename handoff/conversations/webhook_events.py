"""The conversation events outgoing webhooks carry, queued inside the write that makes the change.

`message.created` and `conversation.created` are queued by the store where every message and conversation
is created (`store.conversations.insert_message`, `open_conversation`; private notes are stored elsewhere and
never queued); `conversation.closed` by `service.close_row`, which every close goes through. This module is
for `conversation.updated`, which the operations that change a conversation queue themselves, and for waking
the job queue once such a write has committed.
"""

from __future__ import annotations

import sqlite3

from handoff.context import AppContext
from handoff.store import conversations as store
from handoff.store import webhook_queue


def conversation_event(conn: sqlite3.Connection, tenant_id: int, event: str, conversation_id: int) -> None:
    """Queue `event` with the conversation as it is now in this write (built only when someone subscribed)."""

    def data() -> dict[str, object]:
        return {"conversation": store.load_conversation(conn, tenant_id, conversation_id)}

    webhook_queue.queue_event(conn, tenant_id, event, data, conversation_id)


def updated(conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> None:
    conversation_event(conn, tenant_id, "conversation.updated", conversation_id)


def wake_if_queued(ctx: AppContext) -> None:
    """After a write that may have queued deliveries: start them now rather than at the queue's next poll."""
    if webhook_queue.take_queued():
        ctx.wake_jobs()
