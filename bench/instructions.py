"""Instructions per web-chat message, counted by valgrind: figures that do not move with the machine's load,
to compare two checkouts, or Handoff with the ceiling, when timings drift more than the change.

```sh
git worktree add /tmp/base HEAD~3
.venv/bin/python bench/instructions.py --base /tmp/base            # the writer's statements, ~4 minutes
.venv/bin/python bench/instructions.py --servers handoff,ceiling   # whole servers, ~10 minutes
```

The writer's statements (the default): each checkout's own `bench/write_cost.py` workload (what `conversations.receive` writes for a message from a
web visitor with an open conversation, 20 messages to a transaction) runs under `valgrind --tool=cachegrind
--cache-sim=no` twice, with N and 2N messages after the same warm-up; the difference over N is the instructions
one message costs, with start-up, migration and warm-up cancelled out. Instructions are not time (a cache miss
costs many), so check a change's direction with `write_cost.py` or `overhead.py` too; but where those move
by 20% between runs, this moves by well under 1%.

Whole servers (`--servers`, any of handoff, ceiling, durable; with `--base`, also the base checkout's Handoff):
each server runs under valgrind as run_all.py starts it, and one visitor sends N, then in a second run 2N,
messages one at a time, each waited for (its ack, and its copy on each of 2 staff sockets), so every message is
a commit of its own, as at low rates. The difference over N is what the server spends on one message: the
frame in, the checks, the write and its commit, the ack and the staff copies. Timers that run by the clock add
a little (a run of 2N takes longer), so read these to a percent or two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
WARM_UP = 5_000
STAFF_SOCKETS = 2
VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")


def child(checkout: Path, messages: int) -> None:
    """Runs under valgrind: the checkout's write_cost workload, warm-up then `messages` more."""
    sys.path[:0] = [str(checkout / "bench"), str(checkout)]
    import write_cost  # the checkout's own: its statements are the ones measured

    from handoff.store.migrator import migrate

    with tempfile.TemporaryDirectory(prefix="instructions-") as scratch:
        path = os.path.join(scratch, "handoff.sqlite")
        migrate(path)
        conn = write_cost.open_writer(path, sqlite3.Connection)
        tenant_id = conn.execute(
            "INSERT INTO tenants (name, widget_key, created_at) VALUES ('Bench', ?, ?) RETURNING id",
            (uuid.uuid4().hex, "2026-01-01T00:00:00.000Z"),
        ).fetchone()[0]
        write_cost.run_batches(conn, tenant_id, 0, WARM_UP, 1_000)
        write_cost.run_batches(conn, tenant_id, WARM_UP, messages, 1_000)
        conn.close()


def counted(valgrind_output: str) -> int:
    found = re.search(r"I\s+refs:\s+([\d,]+)", valgrind_output)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{valgrind_output[-2000:]}")
    return int(found.group(1).replace(",", ""))


def instructions(checkout: Path, messages: int) -> int:
    command = [*VALGRIND, sys.executable, __file__, "--child", str(checkout), str(messages)]
    return counted(subprocess.run(command, capture_output=True, text=True, check=True).stderr)


def server_instructions(kind: str, checkout: Path, messages: int) -> int:
    """A whole server under valgrind, sent `messages` one at a time; its instruction count."""
    import servers

    servers.REPO_DIR = checkout
    with tempfile.NamedTemporaryFile(prefix="valgrind-", suffix=".log") as log:
        srv = servers.start(kind, core=None, timeout=600, prefix=(*VALGRIND, f"--log-file={log.name}"))
        try:
            exchange(srv.base_url, srv.email, srv.password, messages)
        finally:
            srv.proc.terminate()  # valgrind writes its count as the server exits: give it time
            srv.proc.wait(600)
            srv.stop()
        return counted(Path(log.name).read_text())


def exchange(base_url: str, email: str, password: str, messages: int) -> None:
    """One visitor's messages, each waited for: its ack, and its copy on every staff socket."""
    import httpx
    from websockets.sync.client import connect

    ws_url = "ws" + base_url.removeprefix("http")
    with httpx.Client(base_url=base_url, timeout=600) as http:
        access = http.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["access_token"]
        key = http.get("/api/v1/tenant", headers={"Authorization": f"Bearer {access}"}).json()["widget_key"]
        session = http.post("/api/v1/widget/session", json={"widget_key": key}).json()
    with contextlib.ExitStack() as sockets:
        staff = [sockets.enter_context(connect(f"{ws_url}/admin-ws", open_timeout=600)) for _ in range(STAFF_SOCKETS)]
        visitor = sockets.enter_context(connect(f"{ws_url}/ws/{session['visitor_id']}", open_timeout=600))
        for sock, token in [(s, access) for s in staff] + [(visitor, session["visitor_token"])]:
            sock.send(json.dumps({"type": "auth", "token": token}))
        for n in range(messages):
            client_id = str(uuid.uuid4())
            visitor.send(json.dumps({"type": "message", "text": f"b {client_id}", "client_id": client_id}))
            for sock, kind in [(visitor, "ack")] + [(s, "message") for s in staff]:
                while json.loads(sock.recv(timeout=600))["type"] != kind:
                    pass
            if n % 500 == 499:
                print(f"    {n + 1:,} of {messages:,}", flush=True)


def server_per_message(kind: str, checkout: Path, messages: int) -> float:
    counts = []
    for n in (messages, 2 * messages):
        print(f"  {kind} ({checkout}): {n:,} messages under valgrind...", flush=True)
        counts.append(server_instructions(kind, checkout, n))
    return (counts[1] - counts[0]) / messages


def per_message(checkout: Path, messages: int) -> float:
    counts = []
    for n in (messages, 2 * messages):
        print(f"  {checkout}: {WARM_UP:,} + {n:,} messages under valgrind...", flush=True)
        counts.append(instructions(checkout, n))
    return (counts[1] - counts[0]) / messages


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), int(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, help="another checkout to compare with")
    ap.add_argument("--messages", type=int, default=2_000, help="N (a multiple of 20)")
    ap.add_argument("--servers", help="whole servers instead: any of handoff,ceiling,durable")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if args.servers:
        runs = [(kind, HERE.parent) for kind in args.servers.split(",")]
        runs += [("handoff", args.base.resolve())] if args.base else []
        found = {f"{kind} ({checkout})": server_per_message(kind, checkout, args.messages) for kind, checkout in runs}
        print()
        for name, figure in found.items():
            print(f"{figure:12,.0f} instructions per message  {name}")
        if "ceiling" in args.servers:
            ceiling = found[f"ceiling ({HERE.parent})"]
            for name, figure in found.items():
                print(f"{figure / ceiling:6.2f}× the ceiling  {name}")
        return
    checkouts = [HERE.parent] + ([args.base.resolve()] if args.base else [])
    figures = {checkout: per_message(checkout, args.messages // 20 * 20) for checkout in checkouts}
    print()
    for checkout, figure in figures.items():
        print(f"{figure:12,.0f} instructions per message  {checkout}")
    if args.base:
        this, base = figures[HERE.parent], figures[args.base.resolve()]
        print(f"this checkout / base: {this / base:.3f}")


if __name__ == "__main__":
    main()
