"""Instructions per web-chat message of the writer's statements, counted by valgrind: a figure that does not
move with the machine's load, to compare two checkouts when timings drift more than the change.

```sh
git worktree add /tmp/base HEAD~3
.venv/bin/python bench/instructions.py --base /tmp/base     # about 4 minutes
```

Each checkout's own `bench/write_cost.py` workload (what `conversations.receive` writes for a message from a
web visitor with an open conversation, 20 messages to a transaction) runs under `valgrind --tool=cachegrind
--cache-sim=no` twice, with N and 2N messages after the same warm-up; the difference over N is the instructions
one message costs, with start-up, migration and warm-up cancelled out. Instructions are not time (a cache miss
costs many), so check a change's direction with `write_cost.py` or `overhead.py` too; but where those move
by 20% between runs, this moves by well under 1%.
"""

from __future__ import annotations

import argparse
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


def child(checkout: Path, messages: int) -> None:
    """Runs under valgrind: the checkout's write_cost workload, warm-up then `messages` more."""
    sys.path[:0] = [str(checkout / "bench"), str(checkout)]
    import write_cost  # the checkout's own: its statements are the ones measured

    with tempfile.TemporaryDirectory(prefix="instructions-") as scratch:
        path = os.path.join(scratch, "handoff.sqlite")
        write_cost.migrate(path)
        conn = write_cost.open_writer(path, sqlite3.Connection)
        tenant_id = conn.execute(
            "INSERT INTO tenants (name, widget_key, created_at) VALUES ('Bench', ?, ?) RETURNING id",
            (uuid.uuid4().hex, "2026-01-01T00:00:00.000Z"),
        ).fetchone()[0]
        write_cost.run_batches(conn, tenant_id, 0, WARM_UP, 1_000)
        write_cost.run_batches(conn, tenant_id, WARM_UP, messages, 1_000)
        conn.close()


def instructions(checkout: Path, messages: int) -> int:
    command = [
        *("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"),
        *(sys.executable, __file__, "--child", str(checkout), str(messages)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


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
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
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
