"""Uploaded files, bytes included, in the database: every process can serve any of them, and the online
backup and --copy-to carry them with everything else."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.errors import NotFound
from handoff.store.backend import dialect
from handoff.store.database import now_iso, one_row, row_or_none

INSERT = (
    "INSERT INTO uploads (tenant_id, owner, name, content_type, size, data, created_at, message_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert(
    conn: sqlite3.Connection,
    tenant_id: int,
    owner: str,
    name: str,
    content_type: str,
    data: bytes,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A new upload; `message_id` for media fetched for a message that already exists."""
    postgres = dialect(conn) == "postgresql"
    values = (tenant_id, owner, name, content_type, len(data), data, now_iso(), message_id)
    cursor = conn.execute(INSERT + (" RETURNING id" if postgres else ""), values)
    upload_id = int(one_row(cursor)[0] if postgres else cursor.lastrowid or 0)
    return {"id": upload_id, "name": name, "content_type": content_type, "size": len(data)}


def attachments(conn: sqlite3.Connection, tenant_id: int, owner: str, ids: list[int]) -> list[dict[str, Any]]:
    """The uploads a message may carry, in the order given: only the sender's own, of this tenant."""
    found = []
    for upload_id in dict.fromkeys(ids):
        row = row_or_none(
            conn.execute(
                "SELECT id, name, content_type, size FROM uploads WHERE id = ? AND tenant_id = ? AND owner = ?",
                (upload_id, tenant_id, owner),
            )
        )
        if row is None:
            raise NotFound(f"upload {upload_id} not found")
        found.append({"id": row["id"], "name": row["name"], "content_type": row["content_type"], "size": row["size"]})
    return found


def load(conn: sqlite3.Connection, upload_id: int) -> sqlite3.Row | None:
    return row_or_none(
        conn.execute("SELECT id, tenant_id, name, content_type, data FROM uploads WHERE id = ?", (upload_id,))
    )


def attach(conn: sqlite3.Connection, tenant_id: int, upload_ids: list[int], message_id: int) -> None:
    """Mark uploads as carried by a message, so the sweep keeps them. One the sweep deleted since
    `attachments` found it is gone: 404, and the message's transaction is rolled back with it."""
    for upload_id in upload_ids:
        cursor = conn.execute(
            "UPDATE uploads SET message_id = coalesce(message_id, ?) WHERE id = ? AND tenant_id = ?",
            (message_id, upload_id, tenant_id),
        )
        if cursor.rowcount == 0:
            raise NotFound(f"upload {upload_id} not found")


def sweep(conn: sqlite3.Connection, cutoff: str, limit: int = 500) -> int:
    """Delete uploads no message carries that are older than `cutoff`, at most `limit` at a time. On
    PostgreSQL one process sweeps at a time: the others' ticks skip rather than queue behind it."""
    if dialect(conn) == "postgresql":
        taken = conn.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", ("handoff:uploads-sweep",))
        if not one_row(taken)[0]:
            return 0
    # `message_id IS NULL` again on the outer row: an upload attached while this ran is re-checked and kept.
    cursor = conn.execute(
        "DELETE FROM uploads WHERE message_id IS NULL AND id IN"
        " (SELECT id FROM uploads WHERE message_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?)",
        (cutoff, limit),
    )
    return max(cursor.rowcount, 0)


def any_stale(conn: sqlite3.Connection, cutoff: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM uploads WHERE message_id IS NULL AND created_at < ? LIMIT 1", (cutoff,)).fetchone()
        is not None
    )
