"""Loopback stand-ins for third-party APIs, speaking their real wire formats over real HTTP.

Each fake is a threaded HTTP server on 127.0.0.1:0 that records every request and can be scripted to
answer the next requests with failures (or to drop the connection), so the server under test is
exercised through its real HTTP clients.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """A scripted answer: status, JSON body and headers; `drop` closes the connection without answering."""

    status: int = 200  # 0: answer as the real API would (a pass-through slot in a script)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    raw: bytes | None = None  # a body of bytes (a media file) instead of JSON
    content_type: str = "application/json; charset=utf-8"


PASS = Reply(status=0)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    reply_status: int = 0
    reply_body: Any = None

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def form_values(self, name: str) -> list[str]:
        """Every value of a repeated form field (Twilio's `MediaUrl`), in order."""
        return parse_qs(self.body.decode(), keep_blank_values=True).get(name, [])

    def json(self) -> Any:
        return json.loads(self.body)


class FakeServer:
    """The shared machinery: a server thread, a request log, a script of replies to use before the real one."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self.always: Reply | None = None  # answer everything with this until cleared
        self.delay = 0.0  # seconds to wait before answering (to open race windows)
        self.files: dict[str, tuple[bytes, str]] = {}  # media served at /files-store/<key>
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.httpd.server_address[1]
        return f"http://127.0.0.1:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add_file(self, data: bytes, content_type: str) -> str:
        """Serve a media file (as a platform's CDN would, no auth); returns its key."""
        key = f"F{len(self.files) + 1}x{int(time.monotonic() * 1000)}"
        with self.lock:
            self.files[key] = (data, content_type)
        return key

    def file_reply(self, key: str) -> Reply:
        with self.lock:
            found = self.files.get(key)
        if found is None:
            return Reply(404, {"error": "not found"})
        return Reply(200, raw=found[0], content_type=found[1])

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order, before answering normally again."""
        with self.lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self.lock:
            self._script.clear()
            self.requests.clear()
            self.always = None
            self.delay = 0.0

    def wait_for_requests(self, count: int, timeout: float = 10.0, **match: str) -> list[Recorded]:
        """Block until `count` recorded requests match (`path=...` prefix, or form/JSON-free filters)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(**match)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} requests, saw {len(found)}: {[r.path for r in self.requests]}")
            time.sleep(0.02)

    def matching(self, path: str = "") -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(path)]

    # -- request handling -----------------------------------------------------------------------------

    def handle(self, request: Recorded) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        request = Recorded(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self.lock:
            self.requests.append(request)
            scripted = self._script.popleft() if self._script else self.always
        if self.delay:
            time.sleep(self.delay)
        reply = scripted if scripted is not None and scripted.status else self.handle(request)
        request.reply_status = 0 if reply.drop else reply.status
        request.reply_body = reply.body
        if reply.drop:
            handler.close_connection = True
            return
        if reply.raw is not None:
            payload = reply.raw
        else:
            payload = json.dumps(reply.body).encode() if reply.body is not None else b""
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
