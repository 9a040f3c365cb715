"""The widget's "Email me this transcript" after a conversation, in Chromium against the real server and a
loopback SMTP server: the visitor types an address, the transcript arrives without the team's private notes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.axe import assert_accessible
from tests.email_support import mail_server
from tests.fakes.smtp import FakeSmtp
from tests.support import LiveServer
from tests.widget_browser.helpers import LIVE, Shop, all_sent, open_chat, type_and_send

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, smtp: FakeSmtp
) -> Iterator[LiveServer]:
    live = mail_server(make_server, tmp_path_factory.mktemp("widget-email"), smtp)
    yield live
    live.stop()


def test_email_me_this_transcript_after_the_conversation(page: Page, shop: Shop, smtp: FakeSmtp) -> None:
    open_chat(page, shop.demo_url)
    type_and_send(page, "Do you ship to Norway?")
    all_sent(page)
    shop.reply("Yes, in 3 days.")
    conversation_id = shop.conversation()["id"]
    note = {"conversation_id": conversation_id, "text": "SECRET-NOTE check customs", "private": True}
    assert shop.admin.post("/admin/api/send", note).is_success
    assert shop.admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).is_success
    button = page.get_by_role("button", name="Email me this transcript")
    expect(button).to_be_visible(timeout=LIVE)
    assert_accessible(page, within_shadow_host="handoff-widget", label="widget after a conversation")

    def give_address(dialog: Dialog) -> None:
        dialog.accept("norway@example.com")

    page.once("dialog", give_address)
    button.click()
    expect(page.get_by_role("button", name="Thank you!")).to_be_visible(timeout=LIVE)
    (mail,) = smtp.wait_for("norway@example.com")
    assert "Do you ship to Norway?" in mail.part("plain") and "Yes, in 3 days." in mail.part("html")
    assert "SECRET-NOTE" not in mail.part("plain") + mail.part("html")
