"""bench/durable_server.py, the durable floor `bench/floor.py` measures Handoff against: it must really be
durable (an ack only for a committed row), or the figures it gives would flatter durability's cost."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support import ROOT

sys.path.insert(0, str(ROOT / "bench"))  # the benchmark's modules import each other by bare name

import servers


@pytest.mark.parametrize("commit", ["thread", "inline"])
def test_the_floor_acks_a_message_once_its_row_is_committed(tmp_path: Path, commit: str) -> None:
    database = tmp_path / "floor.sqlite"
    floor = servers.start("durable", core=None, env={"NAIVE_DB_PATH": str(database), "FLOOR_COMMIT": commit})
    try:
        with connect(f"ws://127.0.0.1:{floor.port}/ws/visitor-1") as socket:
            socket.send(json.dumps({"type": "auth", "token": "v.visitor-1"}))
            assert json.loads(socket.recv(timeout=10))["type"] == "presence"
            acks = []
            for n in range(3):
                socket.send(json.dumps({"type": "message", "text": f"hello {n}", "client_id": f"c{n}"}))
                acks.append(json.loads(socket.recv(timeout=10)))
            # Another connection, as after a crash, sees every acknowledged message with the id its ack gave.
            with sqlite3.connect(database) as other:
                stored = dict(other.execute("SELECT client_id, id FROM messages").fetchall())
                assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert [(a["type"], a["client_id"]) for a in acks] == [("ack", "c0"), ("ack", "c1"), ("ack", "c2")]
        assert stored == {a["client_id"]: a["message_id"] for a in acks}
        commits = httpx.get(f"{floor.base_url}/floor-commits", timeout=10).json()["commits"]
        assert 1 <= commits <= 3
    finally:
        floor.stop()
