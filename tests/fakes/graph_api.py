"""A loopback Graph API: the Send endpoint and the token's own node.

- `POST /v21.0/me/messages?access_token=...` (or `/{page_id}/messages`) answers `{"recipient_id",
  "message_id"}` like Meta. Enforces what the real API does that we depend on: a known Page token,
  `recipient.id`, `messaging_type` (and `tag` for MESSAGE_TAG), and the 2,000-character text limit.
- `message.attachment` (`{"type": "image"|"file"|..., "payload": {"url", "is_reusable"}}`) instead of text:
  one of the two per message, as the Send API takes them;
- `GET /cdn/<key>`: media files (`media_url()`), as Messenger webhooks link them;
- `GET /v21.0/me?fields=id&access_token=...` answers the node the token stands for: `{"id": <page id>}` for a
  Page token (`name` too when asked for).

An unknown token is HTTP 400 with OAuthException code 190, as Meta answers it. Errors use Meta's envelope
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from tests.fakes import FakeServer, Recorded, Reply

SEND = re.compile(r"^/v21\.0/(me|\d+)/messages$")
ME = "/v21.0/me"


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None, **headers: str) -> Reply:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Reply(status, {"error": error}, {k.replace("_", "-"): v for k, v in headers.items()})


def invalid_token() -> Reply:
    return graph_error(190, "Invalid OAuth access token - Cannot parse access token", status=400)


def rate_limited() -> Reply:
    return graph_error(613, "Calls to this api have exceeded the rate limit.")


def temporarily_unavailable() -> Reply:
    return graph_error(2, "An unexpected error has occurred. Please retry your request later.", status=500)


def no_matching_user() -> Reply:
    return graph_error(100, "No matching user found", subcode=2018001)


class FakeGraph(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, str] = {}  # page access token -> page id

    @property
    def base(self) -> str:
        return f"{self.url}/v21.0"

    def add_page(self, page_id: str, token: str) -> None:
        self.pages[token] = page_id

    def sent(self, page_id: str | None = None) -> list[Recorded]:
        """Accepted sends, optionally for one page."""
        return [
            r
            for r in self.sends()
            if r.reply_status == 200 and (page_id is None or self.pages.get(r.query["access_token"][0]) == page_id)
        ]

    def sends(self) -> list[Recorded]:
        """Every Send API request, answered or not (not the ownership checks)."""
        return [r for r in self.matching("/v21.0/") if r.method == "POST"]

    def media_url(self, data: bytes, content_type: str) -> str:
        """A Messenger attachment's `payload.url`: a CDN link that needs no token."""
        return f"{self.url}/cdn/{self.add_file(data, content_type)}"

    def handle(self, request: Recorded) -> Reply:
        if request.method == "GET" and request.path.startswith("/cdn/"):
            return self.file_reply(request.path.removeprefix("/cdn/"))
        token = (request.query.get("access_token") or [""])[0]
        page_id = self.pages.get(token)
        if request.method == "GET" and request.path == ME:
            if page_id is None:
                return invalid_token()
            fields = set(",".join(request.query.get("fields") or ["id,name"]).split(","))
            node = {"id": page_id, "name": f"Page {page_id}"}
            return Reply(200, {k: v for k, v in node.items() if k in fields})
        match = SEND.match(request.path)
        if request.method != "POST" or match is None:
            return graph_error(100, "Unsupported post request.", status=400)
        if page_id is None or match.group(1) not in ("me", page_id):
            return invalid_token()
        try:
            body = request.json()
            recipient = str(body["recipient"]["id"])
            message = body["message"]
            text = message.get("text") or ""
            attachment = message.get("attachment")
            if bool(text) == bool(attachment):  # exactly one of text and attachment
                raise KeyError("text or attachment")
        except (ValueError, KeyError, TypeError, AttributeError):
            return graph_error(100, "(#100) param recipient and message must be non-empty.")
        if attachment is not None and (
            attachment.get("type") not in ("image", "video", "audio", "file")
            or not str((attachment.get("payload") or {}).get("url") or "").startswith(("http://", "https://"))
        ):
            return graph_error(100, "(#100) Invalid attachment: type and payload.url are required")
        kind = body.get("messaging_type")
        if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return graph_error(100, "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
        if kind == "MESSAGE_TAG" and not body.get("tag"):
            return graph_error(100, "(#100) Tag is required for MESSAGE_TAG messaging type")
        if len(text) > 2000:
            return graph_error(100, "(#100) Length of param message[text] must be less than or equal to 2000")
        return Reply(200, {"recipient_id": recipient, "message_id": "m_" + secrets.token_urlsafe(40)})


def hub_signature(app_secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256` as Meta computes it: HMAC-SHA256 of the raw body with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
