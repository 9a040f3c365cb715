"""kill -9 under load: visitors send with acknowledgements, the server is killed mid-stream, restarted, and
the visitors reconnect, resend what was never acknowledged (same client ids) and resume. Counts, per round
and in total: messages acknowledged, acknowledged messages found after the restart, in-flight messages the
server had already stored when it died (their acks lost), duplicates. Zero acknowledged messages may be lost
and none doubled; the exit status is 1 otherwise.

    .venv/bin/python bench/kill9.py                 # 20 rounds, 8 visitors
    .venv/bin/python bench/kill9.py --rounds 3 --visitors 4

The server is `uvicorn server:app` (tests/support.py LiveServer) on a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.fault_support import BUSY_ENV, Talker, stored, visitor  # noqa: E402
from tests.support import LiveServer, Sock, make_tenant, visitor_socket  # noqa: E402


@dataclass
class Counts:
    rounds: int = 0
    acknowledged: int = 0  # distinct messages acknowledged, before a kill or on resending
    checked: int = 0  # after each restart, every message acknowledged so far is looked for: checks made
    found: int = 0  # ... and found
    lost: int = 0  # acknowledged before a kill, missing after the restart
    in_flight: int = 0  # unacknowledged when the server died (all resent)
    stored_unacked: int = 0  # of those, already stored: the commit happened, the ack never left
    duplicates: int = 0  # client ids stored more than once (checked at the end)
    resume_misses: int = 0  # acknowledged messages a resume did not replay exactly once
    restart_seconds: list[float] = field(default_factory=list)


def visitor_frame(cid: str, n: int) -> dict[str, Any]:
    return {"type": "message", "text": f"kill9 message {n}", "client_id": cid}


def resumed_ids(sock: Sock, after: int) -> list[int]:
    """Message ids a resume from `after` replays, up to the conversation state that ends it."""
    sock.send({"type": "resume", "after": after})
    frames = sock.recv_through(lambda f: f["type"] == "conversation", timeout=60)
    return [f["message"]["id"] for f in frames if f["type"] == "message"]


def run(
    rounds: int = 20, visitors: int = 8, seed: int = 9, workdir: Path | None = None, say: Callable[[str], None] = print
) -> Counts:
    rng = random.Random(seed)
    counts = Counts()
    with tempfile.TemporaryDirectory(prefix="kill9-") as scratch:
        server = LiveServer(workdir or Path(scratch), **BUSY_ENV).start()
        try:
            _, key = make_tenant(server)
            clients = [visitor(server, key) for _ in range(visitors)]
            sessions = [session for session, _ in clients]
            sockets = [sock for _, sock in clients]
            talkers = [Talker(f"k{n}", visitor_frame) for n in range(visitors)]
            marks = [0] * visitors  # per visitor: the message id its next resume starts after
            for number in range(1, rounds + 1):
                one_round(server, counts, talkers, sockets, sessions, marks, rng, number, rounds, say)
            everything = [cid for t in talkers for cid in t.sent]
            found = stored(server, everything)
            counts.duplicates = sum(1 for ids in found.values() if len(ids) > 1)
            counts.lost += sum(1 for t in talkers for cid in t.acked if not found[cid])
            counts.acknowledged = sum(len(t.acked) for t in talkers)
            for sock in sockets:
                sock.close()
        finally:
            server.stop()
    return counts


def one_round(
    server: LiveServer,
    counts: Counts,
    talkers: list[Talker],
    sockets: list[Sock],
    sessions: list[dict[str, Any]],
    marks: list[int],
    rng: random.Random,
    number: int,
    rounds: int,
    say: Callable[[str], None],
) -> None:
    before = sum(len(t.acked) for t in talkers)
    for talker, sock in zip(talkers, sockets, strict=True):
        talker.start(sock)
    target = before + rng.randint(100, 600)  # kill at a different point each round
    while sum(len(t.acked) for t in talkers) < target:
        time.sleep(0.005)
    server.kill()
    for talker in talkers:
        talker.join()
    acked = [cid for t in talkers for cid in t.acked]
    in_flight = [cid for t in talkers for cid in t.unacked]
    started = time.monotonic()
    server.start()
    counts.restart_seconds.append(time.monotonic() - started)
    found = stored(server, acked + in_flight)
    lost = [cid for cid in acked if not found[cid]]
    counts.rounds += 1
    counts.checked += len(acked)
    counts.found += len(acked) - len(lost)
    counts.lost += len(lost)
    counts.in_flight += len(in_flight)
    counts.stored_unacked += sum(1 for cid in in_flight if found[cid])
    for n, (talker, session) in enumerate(zip(talkers, sessions, strict=True)):
        sockets[n] = sock = visitor_socket(server, session)
        sock.recv_until(lambda f: f["type"] == "presence")
        talker.resend(sock)
        # Resume from before this round: every message acknowledged since comes back exactly once.
        replayed = resumed_ids(sock, marks[n])
        expected = {mid for mid in talker.acked.values() if mid > marks[n]}
        counts.resume_misses += sum(1 for mid in expected if replayed.count(mid) != 1)
        marks[n] = max(talker.acked.values(), default=marks[n])
    say(
        f"round {number}/{rounds}: {len(acked) - before} acknowledged this round ({len(acked)} in all), "
        f"{len(in_flight)} in flight at the kill ({sum(1 for c in in_flight if found[c])} already stored, all resent), "
        f"lost {len(lost)}, restart {counts.restart_seconds[-1]:.2f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--visitors", type=int, default=8)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    began = time.monotonic()
    counts = run(args.rounds, args.visitors, args.seed)
    restarts = sorted(counts.restart_seconds)
    print(f"rounds of kill -9: {counts.rounds} ({time.monotonic() - began:.0f} s)")
    print(f"messages acknowledged: {counts.acknowledged}")
    print(f"acknowledged messages looked for after each restart: found {counts.found} of {counts.checked}")
    print(f"acknowledged messages lost: {counts.lost}")
    print(f"in flight at a kill: {counts.in_flight} (already stored, ack lost: {counts.stored_unacked}); all resent")
    print(f"messages stored twice: {counts.duplicates}")
    print(f"acknowledged messages a resume did not replay exactly once: {counts.resume_misses}")
    print(f"restart to /health 200: median {restarts[len(restarts) // 2]:.2f} s, worst {restarts[-1]:.2f} s")
    return 0 if counts.lost == 0 and counts.duplicates == 0 and counts.resume_misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
