"""Files in the widget against the real server: the visitor attaches one with the paperclip ("Attach a file"),
it is uploaded with the visitor token and sent with `attachment_ids`; images show in place (loaded through
their signed links) and other files as download links, on both sides of the conversation."""

from __future__ import annotations

import struct
import zlib

import httpx
from playwright.sync_api import Page, Route, expect

from tests.conftest import BACKENDS
from tests.widget_browser.helpers import LIVE, Shop, all_sent, log, open_chat

pytestmark = BACKENDS

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, decodable PNG: a browser must be able to draw it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def loaded(page: Page, name: str, width: int) -> None:
    """Wait until the transcript image named `name` has been drawn from its signed link."""
    page.wait_for_function(
        "([name, width]) => [...document.querySelector('handoff-widget').shadowRoot.querySelectorAll('img')]"
        ".some((i) => i.alt === name && i.complete && i.naturalWidth === width)",
        arg=[name, width],
    )


def test_visitor_attaches_an_image_and_staff_files_show_in_the_widget(page: Page, shop: Shop) -> None:
    open_chat(page, shop.demo_url)
    with page.expect_file_chooser() as chosen:
        page.get_by_role("button", name="Attach a file").click()
    chosen.value.set_files(files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png()}])
    expect(log(page).get_by_role("img", name="photo.png")).to_be_visible(timeout=LIVE)
    all_sent(page)
    loaded(page, "photo.png", 4)
    conversation_id = shop.conversation()["id"]
    stored = shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    [attached] = stored[-1]["attachments"]
    assert (stored[-1]["text"], attached["name"], attached["content_type"]) == ("", "photo.png", "image/png")
    # The team answers with a picture and a PDF: the picture in place, the PDF as a link to download.
    token = {"Authorization": f"Bearer {shop.admin.token}"}
    ids = [
        httpx.post(f"{shop.server.url}/api/v1/uploads", files={"file": (n, d)}, headers=token).json()["id"]
        for n, d in (("map.png", png(6, 2)), ("terms.pdf", PDF))
    ]
    body = {"conversation_id": conversation_id, "text": "Here you are", "attachment_ids": ids}
    assert shop.admin.post("/admin/api/send", body).status_code == 200
    expect(log(page).get_by_role("img", name="map.png")).to_be_visible(timeout=LIVE)
    loaded(page, "map.png", 6)
    link = log(page).get_by_role("link", name="terms.pdf")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{shop.server.url}/files/{ids[1]}/terms.pdf?")
    assert httpx.get(href).content == PDF


def test_a_pasted_image_is_uploaded_and_sent(page: Page, shop: Shop) -> None:
    open_chat(page, shop.demo_url)
    box = page.get_by_role("textbox", name="Message")
    # What the browser does for a screenshot pasted into the message box: a paste event carrying the file.
    box.evaluate(
        """(el, bytes) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
          el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        }""",
        list(png()),
    )
    expect(log(page).get_by_role("img", name="pasted.png")).to_be_visible(timeout=LIVE)
    all_sent(page)
    conversation_id = shop.conversation()["id"]
    stored = shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    assert [a["name"] for a in stored[-1]["attachments"]] == ["pasted.png"]
    expect(box).to_have_value("")  # the file went as an attachment, not as text


def test_an_upload_that_failed_is_sent_by_retry(page: Page, shop: Shop) -> None:
    """The network drops the first upload: the widget shows it as not sent, and Retry uploads the same files
    again (the rest of the picked files with it) and sends them as one message."""
    refused: list[str] = []

    def drop_first_upload(route: Route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/uploads", drop_first_upload)
    open_chat(page, shop.demo_url)
    with page.expect_file_chooser() as chosen:
        page.get_by_role("button", name="Attach a file").click()
    chosen.value.set_files(
        files=[
            {"name": "first.png", "mimeType": "image/png", "buffer": png()},
            {"name": "terms.pdf", "mimeType": "application/pdf", "buffer": PDF},
        ]
    )
    expect(log(page).get_by_text("Not sent")).to_have_count(1, timeout=LIVE)
    assert len(refused) == 1
    log(page).get_by_role("button", name="Retry").click()
    expect(log(page).get_by_role("img", name="first.png")).to_be_visible(timeout=LIVE)
    expect(log(page).get_by_role("link", name="terms.pdf")).to_be_visible()
    all_sent(page)  # the failed try is gone, replaced by the one that went through
    conversation_id = shop.conversation()["id"]
    stored = shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    assert [a["name"] for a in stored[-1]["attachments"]] == ["first.png", "terms.pdf"]
