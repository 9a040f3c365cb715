"""Inbound platform media (MMS, Messenger) on its way into our uploads: the job that fetches it is queued
with the message, and each fetched file replaces its platform link in the message's attachments."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.store import jobs
from handoff.store import uploads as upload_store
from handoff.store.database import row_or_none
from handoff.store.locks import for_update

FETCH_KIND = "media.fetch"
# Twilio keeps media until it is deleted, Meta's CDN links last days: a day of retries is plenty.
FETCH_GIVE_UP_SECONDS = 24 * 3600


def queue_fetch(conn: sqlite3.Connection, tenant_id: int, message_id: int) -> int:
    """Queue the fetch of a new message's platform media, in the transaction that stores the message."""
    return jobs.enqueue(
        conn, tenant_id, FETCH_KIND, {"message_id": message_id}, give_up_after_seconds=FETCH_GIVE_UP_SECONDS
    )


def pending(conn: sqlite3.Connection, tenant_id: int, message_id: int) -> tuple[str, list[dict[str, Any]]] | None:
    """(channel, attachments) of a tenant's message, or None when it is gone."""
    row = row_or_none(
        conn.execute(
            "SELECT channel, attachments FROM messages WHERE id = ? AND tenant_id = ?", (message_id, tenant_id)
        )
    )
    if row is None or not row["attachments"]:
        return None
    return str(row["channel"]), list(json.loads(row["attachments"]))


def store_fetched(
    conn: sqlite3.Connection,
    tenant_id: int,
    message_id: int,
    index: int,
    url: str,
    upload: tuple[str, str, bytes],
) -> bool:
    """Store a fetched file and put it in place of link `index` of the message; False (nothing stored)
    when that link is no longer there (another attempt stored it first)."""
    row = row_or_none(
        conn.execute(
            "SELECT channel, attachments FROM messages WHERE id = ? AND tenant_id = ?" + for_update(conn),
            (message_id, tenant_id),
        )
    )
    items = list(json.loads(row["attachments"])) if row is not None and row["attachments"] else []
    if index >= len(items) or items[index].get("url") != url or "id" in items[index]:
        return False
    name, content_type, data = upload
    owner = f"{row['channel']}:media" if row is not None else "media"
    stored = upload_store.insert(conn, tenant_id, owner, name, content_type, data, message_id=message_id)
    items[index] = stored
    conn.execute("UPDATE messages SET attachments = ? WHERE id = ?", (json.dumps(items), message_id))
    return True
