"""The deployment's VAPID key pair (RFC 8292): made once, kept in the database so every process signs with
the same key, the private half sealed with the channel secrets' key (handoff/crypto.py).

Browsers bind each push subscription to the public key they were given, so the pair must never change
behind their back: it is only replaced when the stored private key cannot be opened any more (JWT_SECRET
changed), and then every subscription goes with it (the app subscribes again at the next visit).
"""

from __future__ import annotations

import base64
import logging
import sqlite3
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from handoff.crypto import SecretBox, SecretUnreadable
from handoff.store import push as store
from handoff.store.backend import Store
from handoff.store.locks import serialised

log = logging.getLogger("handoff.push")

# How long one signed VAPID token is good for (RFC 8292 allows at most 24 hours).
TOKEN_SECONDS = 12 * 3600


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: ValueError (binascii.Error) on any character outside the base64url alphabet."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


@dataclass(frozen=True)
class VapidKeys:
    public_key: str  # base64url, uncompressed point: the browser's `applicationServerKey`
    private_key: str = ""  # base64url of the private scalar; empty where only the public half is needed

    def __repr__(self) -> str:  # never the private key in a log line or traceback
        return f"VapidKeys(public_key={self.public_key!r})"


def generate() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big")))


def ensure(conn: sqlite3.Connection, box: SecretBox) -> VapidKeys:
    """The stored pair, made and stored first when there is none. Serialised: processes starting together
    on one PostgreSQL database make one pair between them, and all use it."""
    serialised(conn, "push-vapid")
    stored = store.keys(conn)
    if stored is not None:
        try:
            return VapidKeys(stored.public_key, box.open(stored.sealed_private_key))
        except SecretUnreadable:
            dropped = store.delete_all(conn)
            log.error(
                "the stored Web Push key cannot be opened (JWT_SECRET changed?): a new key pair is made and the"
                " %d browser subscription(s) made with the old one are removed; staff turn push on again",
                dropped,
            )
    made = generate()
    store.put_keys(conn, made.public_key, box.seal(made.private_key))
    return made


async def ensure_keys(db: Store, box: SecretBox) -> str:
    """At startup: make sure the deployment has its pair; the public key."""
    keys = await db.write(lambda conn: ensure(conn, box))
    return keys.public_key


def load(conn: sqlite3.Connection, box: SecretBox) -> VapidKeys | None:
    """The pair as stored (None before the first start made it); SecretUnreadable when it cannot be opened."""
    stored = store.keys(conn)
    if stored is None:
        return None
    return VapidKeys(stored.public_key, box.open(stored.sealed_private_key))


def public_key(conn: sqlite3.Connection) -> str | None:
    stored = store.keys(conn)
    return stored.public_key if stored else None


def origin(url: str) -> str:
    """The JWT audience: the push endpoint's scheme, host and port (RFC 8292, section 2)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port and parts.port != default else "")


def authorization(keys: VapidKeys, endpoint: str, subject: str) -> str:
    """The `Authorization: vapid t=<JWT>, k=<public key>` header for one push to `endpoint`."""
    signer = Vapid02.from_raw(keys.private_key.encode("ascii"))
    claims = {"aud": origin(endpoint), "sub": subject, "exp": int(time.time()) + TOKEN_SECONDS}
    signed: str = signer.sign(claims)["Authorization"]  # "vapid t=<JWT>,k=<key>"
    return signed.replace(",k=", ", k=", 1)  # RFC 8292's spelling, "vapid t=<JWT>, k=<key>"
