"""A loopback Twilio REST API, as the real one answers:

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: takes the form fields To/From/Body/StatusCallback/
  MediaUrl and answers 201 with a Message resource (sid `SM` + 32 hex, status `queued`);
- `GET .../Messages/{MM}/Media/{ME}`: an inbound MMS's media (`media_url()`), behind basic auth, answered
  with a 307 to `/files-store/<key>` (no auth), as Twilio redirects to its file store;
- `GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json?PhoneNumber=...`: the account's numbers
  as a list page (`incoming_phone_numbers` plus the paging fields), filtered by number.

Both check HTTP basic auth (AccountSid:AuthToken): 401 with code 20003 otherwise. Errors use Twilio's JSON
shape: `{"code", "message", "more_info", "status"}`.

`hold()` makes the next message creations wait, read and recorded but unanswered, until `release()` (a send
on the wire when its sender is killed); they are then answered as Twilio would, and count as sent: Twilio
creates the message whether or not the client is still there to read the answer.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
from collections import deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

from twilio.request_validator import RequestValidator

from tests.fakes import FakeServer, Recorded, Reply

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
MEDIA = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/(MM[0-9a-fA-F]{32})/Media/(ME\w+)$")
NUMBERS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/IncomingPhoneNumbers\.json$")


def twilio_error(code: int, message: str, status: int = 400, headers: dict[str, str] | None = None) -> Reply:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Reply(status, body, headers or {})


def too_many_requests(retry_after: int = 1) -> Reply:
    return twilio_error(20429, "Too Many Requests", 429, {"Retry-After": str(retry_after)})


def server_error() -> Reply:
    return twilio_error(20500, "Internal Server Error", 500)


def invalid_number(number: str = "") -> Reply:
    return twilio_error(21211, "Invalid 'To' Phone Number" + (f": {number}" if number else ""))


class FakeTwilio(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, str] = {}  # AccountSid -> AuthToken
        self.numbers: dict[str, set[str]] = {}  # AccountSid -> its phone numbers (E.164)
        self.next_sids: deque[str] = deque()  # SIDs to hand out next (tests that must know one in advance)
        self._to_hold = 0
        self._released = threading.Event()
        self._held_arrived = threading.Condition(self.lock)
        self.held_from: list[tuple[str, int]] = []  # client (address, port) of each held request
        self._client = threading.local()  # the connection's peer, for the request being handled

    def hold(self, count: int = 1) -> None:
        """Hold the next `count` message creations unanswered until `release()`."""
        with self.lock:
            self._to_hold += count
            self._released.clear()

    def wait_held(self, count: int = 1, timeout: float = 10.0) -> list[tuple[str, int]]:
        """Block until `count` requests are being held; returns their clients' (address, port)."""
        deadline = time.monotonic() + timeout
        with self._held_arrived:
            while len(self.held_from) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} held requests, have {len(self.held_from)}")
                self._held_arrived.wait(remaining)
            return list(self.held_from)

    def release(self) -> None:
        """Answer the held requests (and stop holding)."""
        with self.lock:
            self._to_hold = 0
        self._released.set()

    def reset(self) -> None:
        self.release()
        super().reset()
        with self.lock:
            self.held_from.clear()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        self._client.address = handler.client_address
        super()._serve(handler)

    def add_account(self, account_sid: str, auth_token: str, *numbers: str) -> None:
        self.accounts[account_sid] = auth_token
        self.numbers.setdefault(account_sid, set()).update(numbers)

    def new_sid(self) -> str:
        return "SM" + secrets.token_hex(16)

    def sent(self) -> list[Recorded]:
        """Requests that created a message (what reached a phone, as far as the fake knows)."""
        return [r for r in self.matching("/2010-04-01/") if r.reply_status == 201]

    def media_url(self, account_sid: str, data: bytes, content_type: str) -> str:
        """An inbound MMS's `MediaUrl{N}`: behind the account's basic auth, redirecting to the file."""
        key = self.add_file(data, content_type)
        return f"{self.url}/2010-04-01/Accounts/{account_sid}/Messages/MM{secrets.token_hex(16)}/Media/ME{key}"

    def handle(self, request: Recorded) -> Reply:
        if request.method == "GET" and request.path.startswith("/files-store/"):
            return self.file_reply(request.path.removeprefix("/files-store/"))
        media = MEDIA.match(request.path) if request.method == "GET" else None
        if media is not None:  # as Twilio does: authenticate, then redirect to the file's store
            if not self._authorised(request, media.group(1)):
                return twilio_error(20003, "Authenticate", 401)
            return Reply(307, headers={"Location": f"{self.url}/files-store/{media.group(3)[2:]}"})
        match = MESSAGES.match(request.path) if request.method == "POST" else NUMBERS.match(request.path)
        if match is None:
            return twilio_error(20404, f"The requested resource {request.path} was not found", 404)
        account_sid = match.group(1)
        if not self._authorised(request, account_sid):
            return twilio_error(20003, "Authenticate", 401)
        if request.method == "GET":
            return self._numbers(request, account_sid)
        form = request.form
        if not form.get("To"):
            return twilio_error(21604, "A 'To' phone number is required.")
        if not form.get("From"):
            return twilio_error(21603, "A 'From' phone number is required.")
        media = request.form_values("MediaUrl")
        if not form.get("Body") and not media:
            return twilio_error(21602, "Message body is required.")
        if len(media) > 10 or not all(url.startswith(("http://", "https://")) for url in media):
            return twilio_error(21620, "Invalid media URL(s)")
        with self.lock:
            held = self._to_hold > 0
            if held:
                self._to_hold -= 1
                self.held_from.append(self._client.address)
                self._held_arrived.notify_all()
        if held:
            self._released.wait(timeout=120)  # never forever: a test that forgets to release still ends
        with self.lock:
            sid = self.next_sids.popleft() if self.next_sids else self.new_sid()
        now = formatdate(usegmt=False)
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
        return Reply(
            201,
            {
                "account_sid": account_sid,
                "api_version": "2010-04-01",
                "body": form.get("Body", ""),
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form["From"],
                "messaging_service_sid": None,
                "num_media": str(len(request.form_values("MediaUrl"))),
                "num_segments": str(max(1, -(-len(form.get("Body", "")) // 153))),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": f"{uri}/Media.json"},
                "to": form["To"],
                "uri": f"{uri}.json",
            },
        )

    def _numbers(self, request: Recorded, account_sid: str) -> Reply:
        """The IncomingPhoneNumbers list resource: one page, `PhoneNumber` as an exact filter."""
        wanted = (request.query.get("PhoneNumber") or [""])[0]
        owned = sorted(n for n in self.numbers.get(account_sid, set()) if not wanted or n == wanted)
        base = f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers"
        query = f"PhoneNumber={quote(wanted)}&PageSize=50" if wanted else "PageSize=50"
        records = [number_resource(account_sid, number) for number in owned]
        return Reply(
            200,
            {
                "end": max(len(records) - 1, 0),
                "first_page_uri": f"{base}.json?{query}&Page=0",
                "incoming_phone_numbers": records,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": f"{base}.json?{query}&Page=0",
            },
        )

    def _authorised(self, request: Recorded, account_sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == account_sid and self.accounts.get(account_sid) == password


def number_resource(account_sid: str, number: str) -> dict[str, object]:
    """An IncomingPhoneNumber resource (the fields Twilio always returns that matter to a reader)."""
    sid = "PN" + secrets.token_hex(16)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "capabilities": {"fax": False, "mms": True, "sms": True, "voice": True},
        "date_created": formatdate(usegmt=True),
        "date_updated": formatdate(usegmt=True),
        "friendly_name": number,
        "origin": "twilio",
        "phone_number": number,
        "sid": sid,
        "sms_method": "POST",
        "sms_url": "",
        "status": "in-use",
        "status_callback": "",
        "uri": f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
    }


def webhook_params(**fields: str) -> dict[str, str]:
    """Fields Twilio sends to a messaging webhook, as it names them."""
    return {"ApiVersion": "2010-04-01", **fields}


def signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """`X-Twilio-Signature` exactly as Twilio computes it, via the official library."""
    return str(RequestValidator(auth_token).compute_signature(url, params))
