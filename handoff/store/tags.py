"""A tenant's list of tags. Conversations keep their own tags as a JSON list (`conversations.tags`); a tag
set on a conversation joins the list, and deleting one from the list takes it off every conversation."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from handoff.store.backend import dialect
from handoff.store.database import now_iso
from handoff.store.locks import for_update


def list_tags(conn: sqlite3.Connection, tenant_id: int) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT name FROM tags WHERE tenant_id = ? ORDER BY name", (tenant_id,))]


def add_tags(conn: sqlite3.Connection, tenant_id: int, names: Iterable[str]) -> None:
    """Add the names not in the list yet (a name already there is left as it is)."""
    now = now_iso()
    for name in names:
        conn.execute(
            "INSERT INTO tags (tenant_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (tenant_id, name) DO NOTHING",
            (tenant_id, name, now),
        )


def has_tag_sql(conn: sqlite3.Connection, column: str = "c.tags") -> str:
    """A condition true when the conversation's JSON tag list holds the bound name (one `?`)."""
    if dialect(conn) == "postgresql":
        return f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(CAST({column} AS jsonb)) AS t(name) WHERE t.name = ?)"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"


def delete_tag(conn: sqlite3.Connection, tenant_id: int, name: str) -> tuple[bool, list[int]]:
    """Remove a tag from the list and from every conversation of the tenant: (whether it was listed, the ids
    of the conversations it was taken off)."""
    listed = conn.execute("DELETE FROM tags WHERE tenant_id = ? AND name = ?", (tenant_id, name)).rowcount == 1
    # Locked: a bulk add_tags on the same conversation (read, then write) waits, then sees this removal.
    rows = conn.execute(
        f"SELECT id, tags FROM conversations c WHERE c.tenant_id = ? AND {has_tag_sql(conn)}{for_update(conn)}",
        (tenant_id, name),
    ).fetchall()
    for row in rows:
        kept = [t for t in json.loads(row["tags"]) if t != name]
        conn.execute("UPDATE conversations SET tags = ? WHERE id = ?", (json.dumps(kept), row["id"]))
    return listed, [int(r["id"]) for r in rows]
