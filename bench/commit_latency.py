"""The SQLite writer alone, at a steady rate: how long a customer message waits for its durable commit, and
what the stalls are. No server, no sockets: the app's `Database` (group commit, `synchronous=FULL`) on a real
file, fed the store calls a web-chat message makes, at `--rate` messages/s for `--seconds`.

```sh
.venv/bin/python bench/commit_latency.py --rate 3000 --seconds 20
```

Prints, per second, the commits, the mean batch size, the slowest commit and the WAL's size, then the latency
of every write (queued -> durable) as p50/p99/p99.9/max and the commits that took over 20 ms. With
`synchronous=FULL` each commit is one fsync of the WAL; a checkpoint copies the WAL's pages into the database
file and fsyncs that too (bench/README.md, "Checkpoints off the writer: measured, and dropped").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handoff import metrics
from handoff.store import conversations as store
from handoff.store import people
from handoff.store.database import Database, now_iso
from handoff.store.migrator import migrate

SLOW_COMMIT_SECONDS = 0.020
COMMIT_SECONDS: list[float] = []  # every commit's duration, in order
_observe = metrics.sqlite_commit


def _recording(writes: int, seconds: float) -> None:
    COMMIT_SECONDS.append(seconds)
    _observe(writes, seconds)


metrics.sqlite_commit = _recording  # the writer reports each commit here


def seed(conn: sqlite3.Connection, visitors: int) -> int:
    tenant_id = int(
        conn.execute(
            "INSERT INTO tenants (name, widget_key, created_at) VALUES ('Bench', ?, ?) RETURNING id",
            (uuid.uuid4().hex, now_iso()),
        ).fetchone()[0]
    )
    for n in range(visitors):
        store.contact_for_message(conn, tenant_id, "webchat", f"visitor-{n}", name=None, email=None, phone=None)
    return tenant_id


def customer_message(tenant_id: int, visitor: str) -> object:
    """The statements `conversations.receive` runs for a web-chat message (contact, open thread, insert)."""

    def write(conn: sqlite3.Connection) -> int:
        contact = store.contact_for_message(conn, tenant_id, "webchat", visitor, name=None, email=None, phone=None)
        conversation = people.open_conversation_for(conn, contact) or store.open_conversation(conn, contact)
        stored = store.insert_message(conn, conversation, "visitor", "b " + visitor, client_id=str(uuid.uuid4()))
        return int(stored.message["id"])

    return write


def wal_bytes(path: str) -> int:
    try:
        return os.stat(path + "-wal").st_size
    except FileNotFoundError:
        return 0


async def run(path: str, rate: float, seconds: float, visitors: int) -> None:
    db = Database(path)
    await db.open()
    tenant_id = await db.write(lambda c: seed(c, visitors))
    latencies: list[float] = []
    inflight: set[asyncio.Task[None]] = set()

    async def one(visitor: str) -> None:
        started = time.perf_counter()
        await db.write(customer_message(tenant_id, visitor))  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - started)

    commits_before, writes_before = db.commits, db.writes
    begin = time.perf_counter()
    sent = 0
    next_report = begin + 1.0
    last_commits, last_writes = db.commits, db.writes
    sys.stderr.write("second  commits  batch  slowest_ms  wal_MiB\n")
    while (now := time.perf_counter()) - begin < seconds:
        due = int((now - begin) * rate)
        while sent < due:
            task = asyncio.create_task(one(f"visitor-{random.randrange(visitors)}"))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            sent += 1
        if now >= next_report:
            commits, writes = db.commits - last_commits, db.writes - last_writes
            slowest = max(COMMIT_SECONDS[-commits:], default=0.0) if commits else 0.0
            sys.stderr.write(
                f"{int(now - begin):6d}  {commits:7d}  {writes / max(1, commits):5.1f}  {slowest * 1000:10.1f}"
                f"  {wal_bytes(path) / 2**20:7.1f}\n"
            )
            last_commits, last_writes, next_report = db.commits, db.writes, next_report + 1.0
        await asyncio.sleep(0.001)
    await asyncio.gather(*inflight)
    await db.close()
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    commits = db.commits - commits_before
    slow = [s for s in COMMIT_SECONDS if s > SLOW_COMMIT_SECONDS]
    print(
        f"rate {rate:.0f}/s for {seconds:.0f} s: {db.writes - writes_before} writes in {commits} commits"
        f" (mean batch {(db.writes - writes_before) / max(1, commits):.1f})"
    )
    print(
        f"write latency ms: p50 {pct(0.5):.1f}  p99 {pct(0.99):.1f}  p99.9 {pct(0.999):.1f}  max {ordered[-1] * 1000:.1f}"
        f"  (mean {statistics.fmean(ordered) * 1000:.1f})"
    )
    print(f"commits over {SLOW_COMMIT_SECONDS * 1000:.0f} ms: {len(slow)}; slowest {max(COMMIT_SECONDS) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=3000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent / "results"), help="where the file goes")
    args = parser.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        path = str(Path(scratch) / "bench.sqlite")
        migrate(path)
        asyncio.run(run(path, args.rate, args.seconds, args.visitors))


if __name__ == "__main__":
    main()
