"""One load-generator process: owns a share of the visitor sockets (and, in worker 0,
the staff sockets) and runs the commands the coordinator in `loadgen.py` sends it.

Every message carries its intended send time (CLOCK_MONOTONIC, the same clock in
every process) inside its `client_id` and text, so any process can compute a
latency on receipt without shared state: `b <client_id>` is the visitor text and
`re <client_id>` the staff reply. Latencies are measured from the *scheduled*
send time, so a generator or server that falls behind shows up as latency
(no coordinated omission).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
from array import array
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from servers import raise_nofile
from wsclient import HttpClient, WsConn, ws_connect

now_ns = time.monotonic_ns
loads = json.loads


def make_cid(worker: int, phase: int, seq: int, ts: int) -> str:
    h = f"{worker & 0xFF:02x}{phase & 0xFF:02x}{seq & 0xFFFFFFFFFFFF:012x}{ts:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def cid_phase(cid: str) -> int:
    return int(cid[2:4], 16)


def cid_ts(cid: str) -> int:
    return int(cid[19:23] + cid[24:36], 16)


class Stats:
    """Counters and latency samples (microseconds) of one phase."""

    def __init__(self, phase: int, m0: int, m1: int, staff: int) -> None:
        self.phase, self.m0, self.m1 = phase, m0, m1
        self.sent = self.acks = self.replies = self.window_delivered = 0
        self.ack_lat, self.staff_lat, self.rt_lat, self.lag = (array("q") for _ in range(4))
        self.staff_recv = [0] * staff
        self.seen: list[set[str]] = [set() for _ in range(staff)]
        self.errors: Counter[str] = Counter()

    def result(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k != "seen"}
        for k in ("ack_lat", "staff_lat", "rt_lat", "lag"):
            out[k] = out[k].tobytes()
        out["errors"] = dict(self.errors)
        return out


class Worker:
    def __init__(self, index: int, cfg: dict[str, Any]) -> None:
        self.index = index
        self.host, self.port = cfg["host"], cfg["port"]
        # Every server process's port: client k (visitor, staff socket, HTTP connection) uses ports[k % n],
        # so with two processes half of each staff socket's messages come from visitors on the other one.
        self.ports: list[int] = cfg.get("ports") or [self.port]
        self.widget_key, self.access = cfg["widget_key"], cfg["access"]
        self.creds: list[tuple[str, str]] = []  # (visitor_id, visitor_token)
        self.visitors: list[WsConn] = []
        self.staff: list[WsConn] = []
        self.st = Stats(0, 0, 0, 0)
        self.replying = False

    def port_for(self, k: int) -> int:
        return self.ports[k % len(self.ports)]

    # frame handlers ------------------------------------------------------------
    def on_visitor(self, data: bytes) -> None:
        now, st = now_ns(), self.st
        try:
            ev = loads(data)
            kind = ev["type"]
            if kind == "ack":
                ts = cid_ts(ev["client_id"])
                st.acks += 1
                if st.m0 <= ts < st.m1:
                    st.ack_lat.append((now - ts) // 1000)
            elif kind == "message" and ev["message"].get("sender") == "staff":
                text = ev["message"].get("text", "")
                if text.startswith("re ") and cid_phase(text[3:]) == st.phase:
                    st.replies += 1
                    ts = cid_ts(text[3:])
                    if st.m0 <= ts < st.m1:
                        st.rt_lat.append((now - ts) // 1000)
            elif kind == "error":
                st.errors[f"visitor error frame: {str(ev.get('detail'))[:80]}"] += 1
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            st.errors[f"visitor frame: {type(exc).__name__}"] += 1

    def on_staff(self, k: int, data: bytes) -> None:
        now, st = now_ns(), self.st
        try:
            ev = loads(data)
            kind = ev["type"]
            if kind == "error":
                st.errors[f"staff error frame: {str(ev.get('detail'))[:80]}"] += 1
            if kind == "ack":
                return
            if kind != "message":
                return
            msg = ev["message"]
            text = msg.get("text", "")
            if msg.get("sender") != "visitor" or not text.startswith("b "):
                return
            cid = text[2:]
            if cid_phase(cid) != st.phase:
                st.errors["late message from an earlier phase"] += 1
                return
            if k < len(st.seen):
                if cid in st.seen[k]:
                    st.errors["duplicate delivery"] += 1
                    return
                st.seen[k].add(cid)
                st.staff_recv[k] += 1
            ts = cid_ts(cid)
            if st.m0 <= ts < st.m1:
                st.staff_lat.append((now - ts) // 1000)
            if k == 0:
                if st.m0 <= now < st.m1:
                    st.window_delivered += 1
                if self.replying:
                    # Staff answer over their socket (`send` frame), as the admin app can: no HTTP
                    # request per reply, and the socket reads on while replies commit.
                    body = {
                        "type": "send",
                        "conversation_id": msg["conversation_id"],
                        "text": f"re {cid}",
                        "client_id": "ff" + cid[2:],
                    }
                    self.staff[0].send_text(json.dumps(body))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            st.errors[f"staff frame: {type(exc).__name__}"] += 1

    # commands ------------------------------------------------------------------
    async def sessions(self, count: int, concurrency: int) -> dict[str, Any]:
        todo, errors = iter(range(count)), Counter[str]()
        t0 = time.perf_counter()

        async def one(client: HttpClient) -> None:
            for _ in todo:
                try:
                    body = {"widget_key": self.widget_key}
                    status, out = await client.request("POST", "/api/v1/widget/session", body)
                    if status == 200:
                        self.creds.append((out["visitor_id"], out["visitor_token"]))
                    else:
                        errors[f"session HTTP {status}"] += 1
                except (OSError, TimeoutError, ValueError, KeyError, TypeError) as exc:
                    errors[f"session: {type(exc).__name__}"] += 1
            client.close()

        clients = [HttpClient(self.host, self.port_for(k)) for k in range(concurrency)]
        await asyncio.gather(*(one(c) for c in clients))
        return {"created": count - sum(errors.values()), "seconds": time.perf_counter() - t0}

    async def connect(self, count: int, concurrency: int) -> dict[str, Any]:
        """Open sockets for the next `count` sessions and authenticate them."""
        start = len(self.visitors)
        todo = enumerate(self.creds[start : start + count], start)
        errors, lat = Counter[str](), array("q")
        opened: list[WsConn] = []
        gc.disable()  # thousands of new long-lived objects: no collector pauses mid-connect
        t0 = time.perf_counter()

        async def one() -> None:
            for k, (vid, token) in todo:
                t, ws = now_ns(), None
                try:
                    ws = await ws_connect(self.host, self.port_for(k), f"/ws/{vid}", self.on_visitor)
                    ws.send_text(json.dumps({"type": "auth", "token": token}))
                    # authenticated = the server's first frame (`presence`) has arrived
                    await asyncio.wait_for(asyncio.shield(ws.hello), 5.0)
                    opened.append(ws)
                    lat.append((now_ns() - t) // 1000)
                except Exception as exc:  # refused handshakes included: count, go on
                    errors[f"connect: {type(exc).__name__}: {str(exc)[:60]}"] += 1
                    if ws is not None:
                        ws.abort()

        await asyncio.gather(*(one() for _ in range(concurrency)))
        seconds = time.perf_counter() - t0
        gc.enable()
        gc.freeze()
        self.visitors.extend(opened)
        return {"opened": len(opened), "seconds": seconds, "lat": lat.tobytes(), "errors": errors}

    async def open_staff(self, count: int) -> dict[str, Any]:
        """Open staff sockets up to `count`, replacing (same slot) any the server closed."""
        reopened: Counter[str] = Counter()
        for k in range(count):
            if k < len(self.staff) and self.staff[k].is_open:
                continue
            if k < len(self.staff):
                reopened[str(self.staff[k].close_code)] += 1
            ws = await ws_connect(self.host, self.port_for(k), "/admin-ws", lambda d, k=k: self.on_staff(k, d))
            ws.send_text(json.dumps({"type": "auth", "token": self.access}))
            await asyncio.wait_for(asyncio.shield(ws.hello), 5.0)  # authenticated
            if k < len(self.staff):
                self.staff[k] = ws
            else:
                self.staff.append(ws)
        return {"staff": len(self.staff), "reopened": dict(reopened)}

    def check(self) -> dict[str, Any]:
        codes = Counter(str(w.close_code) for w in self.visitors + self.staff if not w.is_open)
        return {
            "visitors_open": sum(w.is_open for w in self.visitors),
            "staff_open": sum(w.is_open for w in self.staff),
            "close_codes": dict(codes),
        }

    async def phase(self, a: dict[str, Any]) -> dict[str, Any]:
        """Paced sending over the first `active` visitors (fanin or roundtrip)."""
        t0, rate, phase = a["t0"], a["rate"], a["phase"]
        m0 = t0 + int(a["warmup"] * 1e9)
        m1 = m0 + int(a["duration"] * 1e9)
        st = self.st = Stats(phase, m0, m1, len(self.staff))
        conns = self.visitors[: a["active"]]
        total = int(rate * (m1 - t0) / 1e9) if conns else 0
        if a["roundtrip"] and self.staff:
            self.replying = True
        gc.collect()
        gc.freeze()  # long-lived sockets out of the collector's way
        gc.disable()  # no collector pauses while pacing; re-enabled below
        cpu0 = time.process_time()
        interval, n, w, lag = 1e9 / rate, len(conns), self.index, st.lag
        await asyncio.sleep(max(0.0, (t0 - now_ns()) / 1e9))
        i = 0
        while i < total:
            now = now_ns()
            due = min(total, int((now - t0) / interval) + 1, i + 256)
            while i < due:
                ts = now_ns()
                cid = make_cid(w, phase, i, ts)
                conns[i % n].send_text(f'{{"type":"message","text":"b {cid}","client_id":"{cid}"}}')
                lag.append((ts - t0 - int(i * interval)) // 1000)
                i += 1
            st.sent = i
            # >= 1 ms: the loop's timers have millisecond resolution (no busy wait)
            await asyncio.sleep(max(0.001, (t0 + i * interval - now_ns()) / 1e9))
        deadline = time.monotonic() + a["drain"]
        expected = a["expected"]
        while time.monotonic() < deadline:
            done = st.acks >= st.sent and (not self.staff or st.staff_recv[0] >= expected)
            if done and (not a["roundtrip"] or st.replies >= st.sent):
                break
            await asyncio.sleep(0.01)
        self.replying = False
        gc.enable()
        cpu = time.process_time() - cpu0
        for w in self.staff:
            if not w.is_open:
                st.errors[f"staff socket closed by server (code {w.close_code})"] += 1
        out = st.result()
        out["cpu"] = cpu
        out["closed"] = sum(not c.is_open for c in conns)
        return out

    async def http(self, a: dict[str, Any]) -> dict[str, Any]:
        """POST /webchat from `concurrency` keep-alive connections until the deadline."""
        t0, m0, m1 = a["t0"], a["m0"], a["m1"]
        lat, errors, ok = array("q"), Counter[str](), [0]
        tokens = [tok for _, tok in self.creds] or ["none"]
        cpu0 = time.process_time()

        async def one(k: int) -> None:
            client, token, seq = HttpClient(self.host, self.port_for(k)), tokens[k % len(tokens)], 0
            await asyncio.sleep(max(0.0, (t0 - now_ns()) / 1e9))
            while (start := now_ns()) < m1:
                cid = make_cid(self.index, 0, k << 24 | seq, start)
                seq += 1
                try:
                    status, _ = await client.request("POST", "/webchat", {"text": f"h {cid}", "client_id": cid}, token)
                except (OSError, TimeoutError, ValueError) as exc:
                    errors[f"webchat: {type(exc).__name__}"] += 1
                    await asyncio.sleep(0.01)
                    continue
                end = now_ns()
                if status != 200:
                    errors[f"webchat HTTP {status}"] += 1
                elif m0 <= end < m1:
                    ok[0] += 1
                    lat.append((end - start) // 1000)
            client.close()

        await asyncio.gather(*(one(k) for k in range(a["concurrency"])))
        cpu = time.process_time() - cpu0
        return {"ok": ok[0], "lat": lat.tobytes(), "errors": dict(errors), "cpu": cpu}

    async def close_all(self) -> dict[str, Any]:
        conns = self.visitors + self.staff
        for ws in conns:
            ws.close()
        pending = [ws.closed for ws in conns if not ws.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=3.0)
        for ws in conns:
            if not ws.closed.done():
                ws.abort()
        self.visitors, self.staff = [], []
        return {"closed": len(conns)}

    async def handle(self, cmd: str, a: dict[str, Any]) -> dict[str, Any]:
        if cmd == "sessions":
            return await self.sessions(a["count"], a["concurrency"])
        if cmd == "connect":
            return await self.connect(a["count"], a["concurrency"])
        if cmd == "staff":
            return await self.open_staff(a["count"])
        if cmd == "phase":
            return await self.phase(a)
        if cmd == "http":
            return await self.http(a)
        if cmd == "check":
            return self.check()
        if cmd == "close":
            return await self.close_all()
        raise ValueError(f"unknown command {cmd}")


def worker_main(conn: Connection, index: int, cfg: dict[str, Any]) -> None:
    """Entry point of a generator process (multiprocessing target)."""
    raise_nofile()
    cpus = cfg.get("cpus")
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    worker = Worker(index, cfg)

    async def run(cmd: str, a: dict[str, Any]) -> dict[str, Any]:
        try:
            return await worker.handle(cmd, a)
        except Exception as exc:  # report, never hang the coordinator
            return {"exception": f"{type(exc).__name__}: {exc}"}

    def commands() -> None:
        """Blocking pipe I/O stays in this thread; the work runs on the loop."""
        while True:
            try:
                msg = conn.recv()
            except EOFError:
                msg = None
            if msg is None:
                break
            conn.send(asyncio.run_coroutine_threadsafe(run(*msg), loop).result())
        asyncio.run_coroutine_threadsafe(worker.close_all(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=commands, daemon=True).start()
    try:
        loop.run_forever()
    finally:
        loop.close()
