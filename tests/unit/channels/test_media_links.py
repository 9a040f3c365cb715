"""Staff files as the platforms get them: MMS `MediaUrl`s and Messenger attachment parts after the text, each a
signed link on the public base that `link_valid` accepts; none without a base."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from handoff import uploads
from handoff.channels.messenger import outgoing
from handoff.channels.twilio_sms import media_urls

BASE = "https://support.example.com"
FILES = [
    {"id": 7, "name": "shot one.png", "content_type": "image/png", "size": 9},
    {"id": 8, "name": "terms.pdf", "content_type": "application/pdf", "size": 9},
]


def valid(url: str, upload_id: int, tenant_id: int) -> bool:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return uploads.link_valid(upload_id, tenant_id, int(query["exp"]), query["sig"])


def test_mms_media_urls_and_messenger_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "_key", None)  # restored afterwards: the link key is process-wide
    uploads.configure("unit-test-secret")
    message = {"text": "Here you go", "attachments": FILES}
    urls = media_urls(BASE, 3, message)
    assert urls is not None and [u.split("?")[0] for u in urls] == [
        f"{BASE}/files/7/shot%20one.png",
        f"{BASE}/files/8/terms.pdf",
    ]
    assert all(valid(u, f["id"], 3) for u, f in zip(urls, FILES, strict=True))
    assert not valid(urls[0], 7, 4)  # another tenant's signature
    assert media_urls("", 3, message) is None and media_urls("", 3, {"text": "plain"}) == []

    parts = outgoing(BASE, 3, message)
    assert parts is not None and parts[0] == {"text": "Here you go"}
    assert [(p["attachment"]["type"], p["attachment"]["payload"]["is_reusable"]) for p in parts[1:]] == [
        ("image", True),
        ("file", True),
    ]
    assert outgoing(BASE, 3, {"text": "", "attachments": FILES[:1]}) == parts[1:2]
    assert outgoing("", 3, message) is None
    # Platform media on a message (no upload id) is never sent back out.
    assert outgoing("", 3, {"text": "hi", "attachments": [{"url": "https://x/y", "content_type": "image/*"}]}) == [
        {"text": "hi"}
    ]
