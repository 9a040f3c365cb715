"""A loopback Web Push service (RFC 8030) and the browsers subscribed to it.

`FakeBrowser` is what a browser's PushManager holds: a P-256 key pair and a 16-byte auth secret, made here
with `cryptography`, and an endpoint on the fake. `FakePushService` answers `POST /push/<token>` as a push
service does, after checking what the real ones check:

- `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): the JWT is ES256 and verifies with `k`, its
  `aud` is the origin of the endpoint, `exp` is in the future (at most 24 hours ahead) and `sub` is a
  mailto: or https: contact. Failing any: 401/403 as the real services answer;
- `Content-Encoding: aes128gcm` and a `TTL` header; the body decrypts (RFC 8291, with `http_ece`) with the
  browser's private key and auth secret, else 400;
- an unknown token (an unsubscribed browser) is 410 Gone.

Each accepted push is kept, decrypted, in `delivered` (JSON-decoded when it is JSON).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.fakes import FakeServer, Recorded, Reply


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeBrowser:
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def token(self) -> str:
        return self.endpoint.rsplit("/", 1)[1]

    def subscription(self) -> dict[str, Any]:
        """`PushSubscription.toJSON()`, as the admin app posts it."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth_secret)},
        }

    def decrypt(self, body: bytes) -> bytes:
        return bytes(
            http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        )


@dataclass
class Push:
    browser: FakeBrowser
    payload: Any
    vapid_key: str  # the `k` of the Authorization header
    claims: dict[str, Any]
    headers: dict[str, str]


def vapid_parts(header: str) -> dict[str, str]:
    """{"t": jwt, "k": key} from `vapid t=..., k=...` (either spacing after the comma)."""
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError("not the vapid scheme")
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    if not parts.get("t") or not parts.get("k"):
        raise ValueError("t and k are required")
    return parts


def verify_vapid(header: str, origin: str) -> tuple[str, dict[str, Any]]:
    """The public key and the claims of a valid VAPID header for `origin`; ValueError otherwise."""
    parts = vapid_parts(header)
    point = b64url_decode(parts["k"])
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    try:
        claims: dict[str, Any] = jwt.decode(parts["t"], key, algorithms=["ES256"], audience=origin)
    except jwt.PyJWTError as exc:
        raise ValueError(f"JWT does not verify: {exc}") from None
    if not (time.time() < claims["exp"] <= time.time() + 24 * 3600 + 60):
        raise ValueError("exp must be in the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
        raise ValueError("sub must be a mailto: or https: contact")
    return parts["k"], claims


class FakePushService(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.browsers: dict[str, FakeBrowser] = {}
        self.delivered: list[Push] = []
        self.refused: list[str] = []  # why each refused push was refused

    def new_browser(self) -> FakeBrowser:
        browser = FakeBrowser(f"{self.url}/push/{secrets.token_urlsafe(24)}")
        self.browsers[browser.token] = browser
        return browser

    def unsubscribe(self, browser: FakeBrowser) -> None:
        """The browser dropped its subscription: its endpoint answers 410 from now on."""
        self.browsers.pop(browser.token, None)

    def pushes(self) -> list[Recorded]:
        return [r for r in self.matching("/push/") if r.method == "POST"]

    def _refuse(self, status: int, why: str) -> Reply:
        self.refused.append(why)
        return Reply(status, {"reason": why})

    def handle(self, request: Recorded) -> Reply:
        if request.method != "POST" or not request.path.startswith("/push/"):
            return Reply(404)
        browser = self.browsers.get(request.path.removeprefix("/push/"))
        if browser is None:
            return Reply(410, {"reason": "subscription expired or unsubscribed"})
        try:
            key, claims = verify_vapid(request.headers.get("authorization", ""), self.url)
        except (ValueError, KeyError, TypeError) as exc:
            return self._refuse(401, f"VAPID: {exc}")
        if request.headers.get("content-encoding") != "aes128gcm" or "ttl" not in request.headers:
            return self._refuse(400, "Content-Encoding aes128gcm and TTL are required")
        if len(request.body) > 4096:
            return self._refuse(413, "payload over 4096 bytes")
        try:
            plaintext = browser.decrypt(request.body)
        except Exception as exc:  # http_ece raises several kinds for a body it cannot open
            return self._refuse(400, f"cannot decrypt: {type(exc).__name__}")
        try:
            payload: Any = json.loads(plaintext)
        except ValueError:
            payload = plaintext
        with self.lock:
            self.delivered.append(Push(browser, payload, key, claims, dict(request.headers)))
        return Reply(201, None, {"Location": f"{self.url}/message/{secrets.token_urlsafe(8)}"})
