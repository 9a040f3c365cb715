"""Naive baseline: the ceiling's fan-in, but each message is stored the tutorial way.

Every message (visitor socket, `POST /webchat`, staff send) opens a fresh
`sqlite3.connect()`, INSERTs, commits and closes, synchronously inside the async
handler (blocking the event loop), with SQLite's defaults: rollback journal
(`journal_mode=DELETE`) and `synchronous=FULL`. The database is a file in a temp
directory (`NAIVE_DB_PATH` overrides). Run with
`uvicorn naive_server:app --app-dir bench --ws-per-message-deflate false`.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile

from ceiling_server import build_app, now_iso

DB_PATH = os.environ.get("NAIVE_DB_PATH") or os.path.join(tempfile.mkdtemp(prefix="naive-bench-"), "naive.sqlite")

_init = sqlite3.connect(DB_PATH)
_init.execute(
    "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation_id INTEGER,"
    " sender TEXT, text TEXT, client_id TEXT, created_at TEXT)"
)
_init.commit()
_init.close()


def store(conversation_id: int, sender: str, text: str, client_id: str | None) -> int:
    conn = sqlite3.connect(DB_PATH)
    try:
        cur = conn.execute(
            "INSERT INTO messages (conversation_id, sender, text, client_id, created_at) VALUES (?, ?, ?, ?, ?)",
            (conversation_id, sender, text, client_id, now_iso()),
        )
        conn.commit()
        return int(cur.lastrowid or 0)
    finally:
        conn.close()


app = build_app(store)
