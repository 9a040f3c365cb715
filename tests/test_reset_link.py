"""Where a password reset link points. Anyone may ask for a reset of someone else's account, so the link's
address must never come from a Host header the asker wrote: with it, the mailed link would carry a valid
token to the asker's site."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.email_support import emails_to
from tests.fakes.smtp import FakeSmtp
from tests.support import LiveServer, add_user, make_tenant

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
RENDER_URL = "https://handoff-test.onrender.com"


@pytest.fixture(scope="module")
def no_base_url(tmp_path_factory: pytest.TempPathFactory, smtp: FakeSmtp) -> Iterator[LiveServer]:
    """Mail configured, PUBLIC_BASE_URL not set, on Render (which sets RENDER_EXTERNAL_URL)."""
    live = LiveServer(tmp_path_factory.mktemp("reset"), SMTP_URL=smtp.url, RENDER_EXTERNAL_URL=RENDER_URL).start()
    yield live
    live.stop()


def ask_reset(server: LiveServer, email: str, host: str | None = None) -> None:
    headers = {"Host": host} if host else {}
    answer = httpx.post(f"{server.url}/api/v1/auth/forgot", json={"email": email}, headers=headers)
    assert answer.status_code == 202, answer.text


def mailed_link(smtp: FakeSmtp, email: str) -> str:
    (mail,) = smtp.wait_for(email)
    found = re.search(r"(\S+)/admin-app/#/reset/\S+", mail.part("plain"))
    assert found, mail.part("plain")
    return found.group(1)


def test_a_forged_host_gets_no_link_without_public_base_url(no_base_url: LiveServer, smtp: FakeSmtp) -> None:
    admin, _ = make_tenant(no_base_url)
    _, forged_for = add_user(admin, name="Forged")
    _, honest = add_user(admin, name="Honest")
    assert admin.get("/admin/api/email").json()["reset_links_to"] == ""  # the Email card says to set it
    ask_reset(no_base_url, forged_for["email"], host="evil.example")
    ask_reset(no_base_url, honest["email"])  # to 127.0.0.1: a developer's own machine
    assert mailed_link(smtp, honest["email"]) == no_base_url.url
    # Decided inside the request, before its 202: nothing was queued for the forged one.
    assert emails_to(no_base_url, forged_for["email"]) == []
    assert smtp.to(forged_for["email"]) == []


def test_renders_own_address_is_trusted(no_base_url: LiveServer, smtp: FakeSmtp) -> None:
    admin, _ = make_tenant(no_base_url)
    _, user = add_user(admin, name="On Render")
    ask_reset(no_base_url, user["email"], host="handoff-test.onrender.com")
    assert mailed_link(smtp, user["email"]) == RENDER_URL  # https, though the request reached us over http


def test_public_base_url_wins_over_any_host(
    make_server: Callable[..., LiveServer], tmp_path: Path, smtp: FakeSmtp
) -> None:
    live = make_server(tmp_path, SMTP_URL=smtp.url, PUBLIC_BASE_URL="https://chat.example.com")
    live.start()
    try:
        admin, _ = make_tenant(live)
        _, user = add_user(admin, name="Configured")
        assert admin.get("/admin/api/email").json()["reset_links_to"] == "https://chat.example.com"
        ask_reset(live, user["email"], host="evil.example")
        assert mailed_link(smtp, user["email"]) == "https://chat.example.com"
    finally:
        live.stop()
