"""Uploaded files, bytes included, in the database: every process can serve any of them, and the online
backup and --copy-to carry them with everything else."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.errors import NotFound
from handoff.store.backend import dialect
from handoff.store.database import now_iso, one_row, row_or_none

INSERT = (
    "INSERT INTO uploads (tenant_id, owner, name, content_type, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def insert(
    conn: sqlite3.Connection, tenant_id: int, owner: str, name: str, content_type: str, data: bytes
) -> dict[str, Any]:
    postgres = dialect(conn) == "postgresql"
    values = (tenant_id, owner, name, content_type, len(data), data, now_iso())
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
