"""Attaching a file in a real browser: the composer's Attach button uploads an image, Send delivers it to the
visitor with a link that serves the bytes, and the transcript shows the image itself (decoded by Chromium
from the signed link: the CSP and the headers let it through), enlarged in a dialog when clicked. A pasted
screenshot and a dropped file upload at once, images previewed before sending; one is removed before Send."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, open_visitor_chat
from tests.axe import assert_accessible, describe
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


# A file put into the page as a user's paste or drop would (Playwright has no OS clipboard or drag source).
GIVE_FILE = """([kind, name, type, b64]) => {
  const dt = new DataTransfer();
  dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type }));
  const box = document.querySelector('form.composer textarea');
  if (kind === 'paste') box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  else for (const t of ['dragover', 'drop'])
    box.closest('form').dispatchEvent(new DragEvent(t, { dataTransfer: dt, bubbles: true, cancelable: true }));
}"""
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"


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

        opener = page.get_by_role("log").get_by_role("button", name="Enlarge red square.png")
        expect(opener).to_be_visible()
        expect(page.get_by_role("list", name="Files to send")).to_have_count(0)
        # Decoded: the browser fetched the signed link without a header and got a real image.
        expect(opener.locator("img")).to_have_js_property("naturalWidth", 12)
        opener.click()
        dialog = page.get_by_role("dialog", name="red square.png")
        expect(dialog.get_by_role("img", name="red square.png")).to_have_js_property("naturalWidth", 12)
        expect(dialog.get_by_role("button", name="Close")).to_be_focused()
        check_screen(page, "an image enlarged")
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(opener).to_be_focused()
    finally:
        visitor.close()


def test_pasted_and_dropped_files_preview_and_one_is_removed_before_sending(
    live: LiveServer, shop: Shop, page: Page
) -> None:
    visitor, _ = open_visitor_chat(page, live, shop, "Pat Paste", "Here is my screen")
    try:
        page.evaluate(GIVE_FILE, ["paste", "screenshot.png", "image/png", base64.b64encode(png(5, 4)).decode()])
        pending = page.get_by_role("list", name="Files to send")
        preview = pending.get_by_role("img", name="Preview of screenshot.png")
        expect(preview).to_have_js_property("naturalWidth", 5)  # drawn from the local file, before sending
        page.evaluate(GIVE_FILE, ["drop", "terms.pdf", "application/pdf", base64.b64encode(PDF).decode()])
        expect(pending).to_contain_text("terms.pdf")
        expect(pending.get_by_role("progressbar")).to_have_count(0)  # both uploaded
        check_screen(page, "files waiting to be sent")
        pending.get_by_role("button", name="Remove terms.pdf").click()
        expect(pending).not_to_contain_text("terms.pdf")
        page.get_by_role("button", name="Send").click()
        frame = visitor.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"] == "staff")
        assert [a["name"] for a in frame["message"]["attachments"]] == ["screenshot.png"]
        expect(page.get_by_role("log").get_by_role("button", name="Enlarge screenshot.png")).to_be_visible()
    finally:
        visitor.close()
