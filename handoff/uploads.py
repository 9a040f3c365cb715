"""Uploaded files: what a file's bytes say it is, and the signed links that serve it.

The type comes from the bytes (magic numbers), never from the client's name or header: a page named
`.png` must not reach a browser as anything it would render. Links are signed, not authenticated, so they
work in an `<img>`: an HMAC over (upload id, tenant, expiry) under a key derived from JWT_SECRET, so every
process of a deployment signs and checks the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Changing this label changes the key: every link already handed out stops working.
KEY_CONTEXT = b"handoff/upload-links/v1"
LINK_SECONDS = 3600
# Links handed to Twilio and Meta: they fetch at send time, but a send the outbox retries goes later.
PLATFORM_LINK_SECONDS = 7 * 24 * 3600
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# Text a browser could take for markup (HTML, SVG, XML) even when told it is text: refused outright.
MARKUP = re.compile(rb"^\s*<[!?a-zA-Z/]")
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"]+")

_key: bytes | None = None


def configure(jwt_secret: str) -> None:
    """Set the link key at startup (the message serialiser has no app context to ask)."""
    global _key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_CONTEXT)
    _key = hkdf.derive(jwt_secret.encode())


def sniff(data: bytes) -> str | None:
    """The content type the bytes prove, or None for anything not accepted."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    body = data.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in body or MARKUP.match(body[:1024]):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


def clean_name(name: str | None) -> str:
    """A file name safe for a URL path and a Content-Disposition header: no folders, controls or quotes."""
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = UNSAFE_NAME.sub("_", base).strip(" .")[:200]
    return cleaned or "file"


def signature(upload_id: int, tenant_id: int, expires: int) -> str:
    if _key is None:
        raise RuntimeError("upload links are not configured (handoff.uploads.configure)")
    payload = f"{upload_id}:{tenant_id}:{expires}".encode()
    return hmac.new(_key, payload, hashlib.sha256).hexdigest()


def link(upload_id: int, tenant_id: int, name: str, now: float | None = None) -> str:
    """A link valid for at least an hour. The expiry is rounded up to the next hour so the link stays the
    same for a while: a transcript read twice does not download its images twice."""
    expires = (int(now if now is not None else time.time()) // LINK_SECONDS + 2) * LINK_SECONDS
    sig = signature(upload_id, tenant_id, expires)
    return f"/files/{upload_id}/{quote(name, safe='')}?exp={expires}&sig={sig}"


def platform_link(base: str, upload_id: int, tenant_id: int, name: str, now: float | None = None) -> str:
    """An absolute link on the deployment's public base for a platform to fetch (MMS, Messenger)."""
    expires = int(now if now is not None else time.time()) + PLATFORM_LINK_SECONDS
    sig = signature(upload_id, tenant_id, expires)
    return f"{base}/files/{upload_id}/{quote(name, safe='')}?exp={expires}&sig={sig}"


def link_valid(upload_id: int, tenant_id: int, expires: int, sig: str, now: float | None = None) -> bool:
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature(upload_id, tenant_id, expires), sig)


def with_links(tenant_id: int, attachments: list[dict[str, object]]) -> list[dict[str, object]]:
    """Stored attachments as a message carries them: our uploads get a fresh link; platform media (MMS,
    Messenger) already has its url."""
    out = []
    for item in attachments:
        upload_id = item.get("id")
        if isinstance(upload_id, int) and "url" not in item and _key is not None:
            item = {**item, "url": link(upload_id, tenant_id, str(item.get("name") or "file"))}
        out.append(item)
    return out
