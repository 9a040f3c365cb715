"""Test support: the real server in a subprocess on a free loopback port, and small client helpers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests import log_audit

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`uvicorn server:app` exactly as production runs it, with its own database file."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.db_path = str(workdir / "handoff.sqlite")
        self.admin_email = "admin@example.com"
        self.admin_password = "admin-" + uuid.uuid4().hex[:12]
        self.env = {
            "DB_PATH": self.db_path,
            "ADMIN_EMAIL": self.admin_email,
            "ADMIN_PASSWORD": self.admin_password,
            "BCRYPT_ROUNDS": "4",
            "PUBLIC_BASE_URL": "",
            **env,
        }
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"

    @property
    def database_url(self) -> str:
        """The PostgreSQL database the server runs on, or "" when it runs on its SQLite file."""
        return self.env.get("DATABASE_URL", "")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FB_", "ADMIN_"))}
        env.update(self.env)
        log_audit.remember_server(self.log_path, env)  # scanned for secrets at the end of the session
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws-per-message-deflate",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """A crash: no shutdown hooks run."""
        self.stop(signal.SIGKILL)

    def restart(self) -> LiveServer:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Api:
    """An HTTP client for one server, optionally signed in as a staff member."""

    def __init__(self, server: LiveServer, token: str | None = None) -> None:
        self.server = server
        self.token = token
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def headers(self, token: str | None = None) -> dict[str, str]:
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, headers={**self.headers(), **kw.pop("headers", {})}, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        log_audit.remember_json(body, "a test sent")
        response = self.http.post(path, json=body, headers={**self.headers(), **kw.pop("headers", {})}, **kw)
        log_audit.remember_response(response)
        return response

    def patch(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        log_audit.remember_json(body, "a test sent")
        return self.http.patch(path, json=body, headers={**self.headers(), **kw.pop("headers", {})}, **kw)

    def close(self) -> None:
        self.http.close()


def login(server: LiveServer, email: str | None = None, password: str | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"email": email or server.admin_email, "password": password or server.admin_password},
    )
    assert response.status_code == 200, response.text
    log_audit.remember_response(response)
    return dict(response.json())


def admin_api(server: LiveServer) -> Api:
    return Api(server, login(server)["access_token"])


def make_tenant(server: LiveServer, name: str = "") -> tuple[Api, str]:
    """A fresh tenant with its own admin, so tests sharing a server stay isolated. Returns (admin api, widget key)."""
    platform = admin_api(server)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    password = "pw-" + uuid.uuid4().hex
    created = platform.post(
        "/api/v1/tenants", {"name": name or f"Shop {email}", "admin_email": email, "admin_password": password}
    )
    assert created.status_code == 201, created.text
    platform.close()
    return Api(server, login(server, email, password)["access_token"]), created.json()["widget_key"]


def add_user(admin: Api, role: str = "staff", name: str = "Sam") -> tuple[Api, dict[str, Any]]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    password = "pw-" + uuid.uuid4().hex
    created = admin.post("/api/v1/users", {"email": email, "name": name, "password": password, "role": role})
    assert created.status_code == 201, created.text
    return Api(admin.server, login(admin.server, email, password)["access_token"]), {
        **created.json(),
        "password": password,
    }


def visitor_session(server: LiveServer, widget_key: str, **extra: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": widget_key, **extra})
    assert response.status_code == 200, response.text
    log_audit.remember_response(response)
    return dict(response.json())


class Sock:
    """A sync WebSocket client that speaks JSON frames."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    def send(self, frame: dict[str, Any]) -> None:
        self.conn.send(json.dumps(frame))

    def recv(self, timeout: float = 5) -> dict[str, Any]:
        return dict(json.loads(self.conn.recv(timeout=timeout)))

    def recv_until(self, predicate: Any, timeout: float = 5) -> dict[str, Any]:
        """Skip frames until one matches (presence and typing frames may come in between)."""
        return self.recv_through(predicate, timeout)[-1]

    def recv_through(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5) -> list[dict[str, Any]]:
        """Every frame up to and including the first that matches. A socket's frames arrive in the order
        the server queued them, so a marker frame proves that nothing queued before it is still to come."""
        frames: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame among {frames}")
            frames.append(self.recv(remaining))
            if predicate(frames[-1]):
                return frames

    def close(self) -> None:
        self.conn.close()


def visitor_socket(server: LiveServer, session: dict[str, Any]) -> Sock:
    conn = connect(f"{server.ws_url}/ws/{session['visitor_id']}", open_timeout=5)
    sock = Sock(conn)
    sock.send({"type": "auth", "token": session["visitor_token"]})
    return sock


def staff_socket(server: LiveServer, token: str) -> Sock:
    sock = Sock(connect(f"{server.ws_url}/admin-ws", open_timeout=5))
    sock.send({"type": "auth", "token": token})
    sock.recv_until(lambda f: f["type"] == "presence")
    return sock


# ---- reading the server's database directly, and waiting for asynchronous outcomes ----


@contextlib.contextmanager
def database(server: LiveServer) -> Iterator[Any]:
    """A connection of the test's own to the server's database (its SQLite file, or its PostgreSQL database
    through the store's adapter: `?` placeholders on both), committed on leaving."""
    if not server.database_url:
        with contextlib.closing(sqlite3.connect(server.db_path)) as conn, conn:
            yield conn
        return
    import psycopg

    from handoff.store.pg_adapter import PgConnection, configure

    with psycopg.connect(server.database_url) as raw:
        configure(raw)
        yield PgConnection(raw)


def query(server: LiveServer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with database(server) as conn:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def execute(server: LiveServer, sql: str, *params: Any) -> None:
    with database(server) as conn:
        conn.execute(sql, params)


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.03)


def message_row(server: LiveServer, message_id: int) -> dict[str, Any]:
    with database(server) as conn:
        cursor = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,))
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def status_is(server: LiveServer, message_id: int, status: str) -> Callable[[], bool]:
    return lambda: message_row(server, message_id)["status"] == status


def is_update(frame: dict[str, Any], message_id: int, status: str) -> bool:
    return (
        frame["type"] == "message" and frame["message"]["id"] == message_id and frame["message"].get("status") == status
    )
