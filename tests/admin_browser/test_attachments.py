"""Attaching a file in a real browser: the composer's Attach button uploads an image, Send delivers it to the
visitor with a link that serves the bytes, and the transcript shows the image itself (decoded by Chromium
from the signed link: the CSP and the headers let it through), opening in a new tab when clicked."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, open_visitor_chat
from tests.conftest import BACKENDS
from tests.support import LiveServer

pytestmark = BACKENDS


def png(width: int, height: int) -> bytes:
    """A real PNG (red pixels), so the browser has something to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_an_attached_image_reaches_the_visitor_and_shows_inline(
    live: LiveServer, shop: Shop, page: Page, tmp_path: Path
) -> None:
    picture = tmp_path / "red square.png"
    picture.write_bytes(png(12, 8))
    visitor, _ = open_visitor_chat(page, live, shop, "Ida Image", "Can you show me?")
    try:
        page.get_by_label("Attach a file").set_input_files(picture)
        expect(page.get_by_role("list", name="Files to send")).to_contain_text("red square.png")
        page.get_by_role("button", name="Send").click()

        frame = visitor.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"] == "staff")
        [attached] = frame["message"]["attachments"]
        assert attached["name"] == "red square.png" and attached["content_type"] == "image/png"
        assert httpx.get(live.url + attached["url"]).content == picture.read_bytes()

        image = page.get_by_role("log").get_by_role("img", name="red square.png")
        expect(image).to_be_visible()
        expect(page.get_by_role("list", name="Files to send")).to_have_count(0)
        # Decoded: the browser fetched the signed link without a header and got a real image.
        expect(image).to_have_js_property("naturalWidth", 12)
        opener = page.get_by_role("log").get_by_role("link", name="red square.png")
        expect(opener).to_have_attribute("target", "_blank")
        with page.context.expect_page() as opened:
            opener.click()
        assert "/files/" in opened.value.url
        opened.value.close()
    finally:
        visitor.close()
