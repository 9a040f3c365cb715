"""Rows the store tests start from, made through the store's own functions where it has them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from handoff.store import conversations
from handoff.store.database import iso


def tenant(conn: sqlite3.Connection, name: str = "Acme") -> int:
    # Tenants are created by the web layer's router; a bare row is all these tests need.
    row = conn.execute(
        "INSERT INTO tenants (name, widget_key, created_at) VALUES (?, ?, ?) RETURNING id",
        (name, f"key-{name}", iso(datetime.now(UTC))),
    ).fetchone()
    return int(row["id"])


def conversation(conn: sqlite3.Connection, tenant_id: int, key: str, channel: str = "sms") -> sqlite3.Row:
    """An open conversation with a contact of its own (no messages yet)."""
    contact = conversations.upsert_contact(conn, tenant_id, channel, key)
    return conversations.open_conversation(conn, contact)


def visitor_message(conn: sqlite3.Connection, row: sqlite3.Row, text: str = "hi") -> sqlite3.Row:
    """Store a customer message; returns the conversation as it left it."""
    return conversations.insert_message(conn, row, "visitor", text).conversation


def staff_message(conn: sqlite3.Connection, row: sqlite3.Row, status: str = "queued", text: str = "hello") -> int:
    return int(conversations.insert_message(conn, row, "staff", text, status=status).message["id"])


def ago(seconds: float) -> str:
    return iso(datetime.now(UTC) - timedelta(seconds=seconds))


def set_columns(conn: sqlite3.Connection, table: str, row_id: int, **values: object) -> None:
    """Put a row into a state the code under test reads (old timestamps, closed, ...)."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values.values(), row_id))


def row(conn: sqlite3.Connection, table: str, row_id: int) -> sqlite3.Row:
    found: sqlite3.Row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return found
