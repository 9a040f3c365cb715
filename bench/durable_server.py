"""Durable floor: the ceiling's app, acking each message only once it is durable, at the least cost we know.

What separates it from the ceiling is only what ack-after-commit with `synchronous=FULL` demands: every
message is one INSERT (a table with a unique client id, for resends) into a WAL-mode SQLite file, group
committed by one writer task the way Handoff's writer does it (a batch per transaction, its statements on the
event loop, the COMMIT and its fsync on a thread of its own), and the ack and the staff copies wait for that
commit. No auth, no conversation rows, no savepoints, no metrics. It shows what durability alone costs
on this machine, so Handoff's CPU per message can be read as ceiling + durability + the rest. The database
is a file in a temp directory (`NAIVE_DB_PATH` overrides, as for the naive server). Run with
`uvicorn durable_server:app --app-dir bench --ws-per-message-deflate false`.

Two knobs take the floor apart (`bench/floor.py --variants`): `FLOOR_SYNC=NORMAL` commits without the fsync
(not durable: it shows what the fsync costs), and `FLOOR_COMMIT=inline` runs the COMMIT on the event loop,
which then waits for every fsync (it shows what the hand-off to the commit thread costs, and what it buys).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from concurrent.futures import ThreadPoolExecutor

from ceiling_server import build_app, now_iso

DB_PATH = os.environ.get("NAIVE_DB_PATH") or os.path.join(tempfile.mkdtemp(prefix="durable-bench-"), "floor.sqlite")
MAX_BATCH = 256  # as Handoff's writer
SYNCHRONOUS = os.environ.get("FLOOR_SYNC", "FULL")
COMMIT_INLINE = os.environ.get("FLOOR_COMMIT", "thread") == "inline"
INSERT = "INSERT INTO messages (conversation_id, sender, text, client_id, created_at) VALUES (?, ?, ?, ?, ?)"


class GroupCommit:
    """One writer: batches what is queued, commits it on its own thread, then resolves every caller."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL,"
            " sender TEXT NOT NULL, text TEXT NOT NULL, client_id TEXT UNIQUE, created_at TEXT NOT NULL)"
        )
        self.commits = 0
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="floor-commit")
        self.queue: asyncio.Queue[tuple[tuple[int, str, str, str | None, str], asyncio.Future[int]]] | None = None

    async def store(self, conversation_id: int, sender: str, text: str, client_id: str | None) -> int:
        if self.queue is None:  # first call: the writer task starts on the server's loop
            self.queue = asyncio.Queue()
            asyncio.get_running_loop().create_task(self._write_loop(self.queue))
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(((conversation_id, sender, text, client_id, now_iso()), future))
        return await future

    async def _write_loop(self, queue: asyncio.Queue[tuple[tuple[int, str, str, str | None, str], asyncio.Future[int]]]) -> None:  # fmt: skip
        loop = asyncio.get_running_loop()
        conn = self.conn
        while True:
            batch = [await queue.get()]
            await asyncio.sleep(0)  # frames already read from other sockets join this batch
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            conn.execute("BEGIN IMMEDIATE")
            ids = [conn.execute(INSERT, row).lastrowid or 0 for row, _ in batch]
            if COMMIT_INLINE:
                conn.execute("COMMIT")
            else:
                await loop.run_in_executor(self.thread, conn.execute, "COMMIT")
            self.commits += 1
            for (_, future), message_id in zip(batch, ids, strict=True):
                if not future.done():
                    future.set_result(message_id)


writer = GroupCommit(DB_PATH)
app = build_app(durable=writer.store)


@app.get("/floor-commits")
async def floor_commits() -> dict[str, int]:
    """Group commits so far, so a run can report the mean batch."""
    return {"commits": writer.commits}
