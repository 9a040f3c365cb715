"""Data scale: seed 100k conversations / 1M messages across tenants and channels, then time what staff
wait for on that data: the inbox list (first and a later page), one conversation's messages, history
search and the analytics summary, each over HTTP against the real server.

    python bench/data_scale.py [--conversations 100000] [--messages-per 10] [--keep DIR]

Seeding writes the file directly with sqlite3 (the schema comes from migrate_schema, so it is the real
one); the timings go through `uvicorn server:app` on that file like any client.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import migrate_schema  # noqa: E402
from handoff.security import hash_password  # noqa: E402

WORDS = [
    "order",
    "refund",
    "invoice",
    "shipping",
    "parcel",
    "delivery",
    "password",
    "account",
    "login",
    "payment",
    "card",
    "address",
    "return",
    "exchange",
    "size",
    "colour",
    "discount",
    "coupon",
    "subscription",
    "cancel",
    "upgrade",
    "plan",
    "warranty",
    "broken",
    "late",
    "tracking",
    "number",
    "email",
    "phone",
    "hello",
    "thanks",
    "please",
    "help",
    "question",
    "problem",
    "issue",
    "store",
    "price",
]
CHANNELS = ["webchat"] * 12 + ["sms"] * 5 + ["messenger"] * 3  # 60% / 25% / 15%
TENANTS = 4
EMAIL = "bench@example.com"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))


def seed(path: str, conversations: int, per: int, password: str) -> None:
    migrate_schema.migrate(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # a seed, not a chat: durability is the server's job
    conn.execute("BEGIN")
    rng = random.Random(7)
    now = datetime.now(UTC)
    password_hash = hash_password(password, rounds=4)
    for tenant in range(1, TENANTS + 1):
        conn.execute(
            "INSERT INTO tenants (id, name, widget_key, settings, created_at) VALUES (?, ?, ?, '{}', ?)",
            (tenant, f"Tenant {tenant}", f"wk_bench_{tenant}", iso(now)),
        )
        for agent in range(5):
            email = EMAIL if tenant == 1 and agent == 0 else f"agent{agent}@t{tenant}.example.com"
            conn.execute(
                "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (tenant, email, f"Agent {agent}", password_hash, "admin" if agent == 0 else "staff", iso(now)),
            )
    message_id = 0
    for cid in range(1, conversations + 1):
        tenant = 1 if cid % 5 < 2 else 2 + cid % 3  # tenant 1 holds 40%, the others 20% each
        channel = rng.choice(CHANNELS)
        started = now - timedelta(days=90) + timedelta(seconds=rng.uniform(0, 90 * 86400))
        conn.execute(
            "INSERT INTO contacts (id, tenant_id, channel, external_id, name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, tenant, channel, f"c{cid}", f"Customer {cid}", iso(started), iso(started)),
        )
        rows, t, texts = [], started, []
        for k in range(per):
            message_id += 1
            sender = "visitor" if k % 2 == 0 else "staff"
            text = sentence(rng)
            texts.append(text)
            author = (tenant - 1) * 5 + 1 + rng.randrange(5) if sender == "staff" else None
            rows.append((message_id, tenant, cid, channel, sender, author, text, iso(t)))
            t += timedelta(seconds=rng.uniform(20, 600))
        closed = rng.random() < 0.9 and t < now
        first_response = (
            (datetime.fromisoformat(rows[1][7].replace("Z", "+00:00")) - started).total_seconds() if per > 1 else None
        )
        conn.executemany(
            "INSERT INTO messages (id, tenant_id, conversation_id, channel, sender, author_id, text,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO conversations (id, tenant_id, contact_id, channel, status, created_at, last_message_at,"
            " last_message_id, last_customer_message_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                tenant,
                cid,
                channel,
                "closed" if closed else "open",
                iso(started),
                rows[-1][7],
                message_id,
                rows[-2][7] if per > 1 else rows[-1][7],
                iso(t) if closed else None,
            ),
        )
        conn.execute(
            "INSERT INTO conversation_metrics (conversation_id, tenant_id, channel, started_at, first_response_at,"
            " first_response_seconds, first_responder_id, resolved_at, resolution_seconds, customer_messages,"
            " staff_messages, escalated, missed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                cid,
                tenant,
                channel,
                iso(started),
                rows[1][7] if per > 1 else None,
                first_response,
                rows[1][5] if per > 1 else None,
                iso(t) if closed else None,
                (t - started).total_seconds() if closed else None,
                (per + 1) // 2,
                per // 2,
                int(rng.random() < 0.05),
            ),
        )
        if closed:
            conn.execute(
                "INSERT INTO search_index (rowid, body, kind, ref_id, tenant_id) VALUES (?, ?, 'conversation', ?, ?)",
                (2 * cid, f"Customer {cid}\n" + "\n".join(texts), cid, tenant),
            )
        if cid % 20000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            print(f"  seeded {cid:,} conversations, {message_id:,} messages", flush=True)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def timed(client: httpx.Client, path: str, params: dict[str, Any], runs: int) -> tuple[float, float, int]:
    """Median and max wall time (ms) of `runs` requests, after one warm-up; plus the result count."""
    client.get(path, params=params).raise_for_status()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
    body = response.json()
    count = next((len(v) for v in body.values() if isinstance(v, list)), 0) if isinstance(body, dict) else 0
    return statistics.median(samples), max(samples), count


def measure(path: str, runs: int, password: str) -> list[tuple[str, float, float, int]]:
    port = 18000 + secrets.randbelow(2000)
    env = {**os.environ, "DB_PATH": path, "AUTO_CLOSE_MINUTES": "1000000", "ESCALATE_AFTER_SECONDS": "100000000"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server:app", "--port", str(port), "--log-level", "warning"],
        cwd=REPO,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/v1/auth/login", json={"email": EMAIL, "password": password}).json()
        client = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token['access_token']}"})
        with sqlite3.connect(path) as conn:  # a cursor deep in the list, as after paging a while
            row = conn.execute(
                "SELECT last_message_at, id FROM conversations WHERE tenant_id = 1"
                " ORDER BY last_message_at DESC, id DESC LIMIT 1 OFFSET 20000"
            ).fetchone()
            busiest = conn.execute(
                "SELECT id FROM conversations WHERE tenant_id = 1 ORDER BY id DESC LIMIT 1"
            ).fetchone()
        today = datetime.now(UTC).date()
        checks = [
            ("inbox, first page (open)", "/admin/api/convos", {"status": "open", "limit": 50}),
            ("inbox, first page (all)", "/admin/api/convos", {"status": "all", "limit": 50}),
            (
                "inbox, later page (20,000 down)",
                "/admin/api/convos",
                {"status": "all", "limit": 50, "before": f"{row[0]}_{row[1]}"},
            ),
            # Nobody is assigned in the seed: the filter finds nothing, so it reads every open conversation.
            ("inbox, assigned to me (open)", "/admin/api/convos", {"status": "open", "assignee": "me", "limit": 50}),
            ("inbox, SMS only (all)", "/admin/api/convos", {"status": "all", "channel": "sms", "limit": 50}),
            # No conversation has the tag: the filter reads every open conversation (the worst case).
            ("inbox, tag filter, no match (open)", "/admin/api/convos", {"status": "open", "tag": "vip", "limit": 50}),
            ("inbox, snoozed view", "/admin/api/convos", {"status": "snoozed", "limit": 50}),
            # Full text over open conversations' messages: a common word fills the page early; a word nobody
            # wrote reads every open conversation's messages (the worst case).
            ("inbox search, common word (open)", "/admin/api/convos", {"status": "open", "q": "refund", "limit": 50}),
            ("inbox search, no match (open)", "/admin/api/convos", {"status": "open", "q": "zzyzx", "limit": 50}),
            ("one conversation's messages", f"/admin/api/conversations/{busiest[0]}/messages", {}),
            ("history search, common word", "/admin/api/history", {"q": "refund"}),
            ("history search, two words", "/admin/api/history", {"q": "broken warranty"}),
            (
                "analytics summary, 90 days",
                "/api/v1/analytics/summary",
                {"from": str(today - timedelta(days=90)), "to": str(today), "tz": "Europe/Paris"},
            ),
            (
                "analytics summary, 30 days",
                "/api/v1/analytics/summary",
                {"from": str(today - timedelta(days=29)), "to": str(today), "tz": "UTC"},
            ),
        ]
        return [(label, *timed(client, p, q, runs)) for label, p, q in checks]
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per", type=int, default=10)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", help="directory for the seeded database (reused when present)")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="handoff-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path, password_file = str(workdir / "scale.sqlite"), workdir / "scale.password"
    if not Path(path).exists():
        password = secrets.token_urlsafe(12)  # random per seeded file, kept beside it for reruns
        password_file.write_text(password)
        t0 = time.perf_counter()
        print(f"seeding {args.conversations:,} conversations x {args.messages_per} messages into {path}")
        seed(path, args.conversations, args.messages_per, password)
        print(f"  done in {time.perf_counter() - t0:.0f} s, {Path(path).stat().st_size / 2**20:.0f} MiB")
    results = measure(path, args.runs, password_file.read_text())
    print(
        f"\n{os.cpu_count()} cores; {args.conversations:,} conversations, "
        f"{args.conversations * args.messages_per:,} messages, {TENANTS} tenants; tenant 1 holds 40%\n"
    )
    print("| query (tenant 1, over HTTP) | median ms | max ms | rows | target |")
    print("|---|---|---|---|---|")
    for label, median, worst, count in results:
        target = "<= 500 ms" if label.startswith("analytics") else "<= 50 ms"
        print(f"| {label} | {median:.1f} | {worst:.1f} | {count} | {target} |")


if __name__ == "__main__":
    main()
