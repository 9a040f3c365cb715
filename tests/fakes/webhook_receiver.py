"""A loopback webhook receiver: records every delivery Handoff posts, answers 200 (or what it is told), can
check signatures with the documented recipe, and can go down (its port refuses connections) and come back on
the same port."""

from __future__ import annotations

import hashlib
import hmac
import threading
from http.server import ThreadingHTTPServer

from tests.fakes import FakeServer, Recorded, Reply


def signature_ok(request: Recorded, secret: str) -> bool:
    """docs/integrations.md: HMAC-SHA256(secret, timestamp + "." + raw body), hex, after "sha256="."""
    timestamp = request.headers["x-handoff-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-handoff-signature"], f"sha256={expected}")


class WebhookReceiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._port = self.httpd.server_address[1]
        self._quiet()

    def _quiet(self) -> None:
        # Handoff closes a connection once it has the status line: the reset that follows is no error.
        self.httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]

    def handle(self, request: Recorded) -> Reply:
        return Reply(200, {"ok": True})

    def deliveries(self, event: str = "") -> list[Recorded]:
        """Requests answered 2xx (optionally of one event), in arrival order."""
        return [
            r
            for r in self.matching()
            if 200 <= r.reply_status < 300 and (not event or r.headers.get("x-handoff-event") == event)
        ]

    def go_down(self) -> None:
        """Stop listening: connections are refused until `come_back`."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def come_back(self) -> None:
        handler = self.httpd.RequestHandlerClass
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self.httpd.daemon_threads = True
        self._quiet()
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
