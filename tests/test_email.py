"""Email to customers and the password reset, against the real server and a loopback SMTP server: the real
messages (recipients, subject, both parts, escaping, links that work), never a private note, retries after a
refusal, a reset link that works once and revokes every session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.email_support import emails_to, jobs, mail_server, settled_alerts, tenant_id_of, webchat
from tests.fakes.smtp import FakeSmtp
from tests.support import (
    Api,
    LiveServer,
    add_user,
    eventually,
    execute,
    login,
    make_tenant,
    visitor_session,
    visitor_socket,
)

pytestmark = [BACKENDS, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, smtp: FakeSmtp
) -> Iterator[LiveServer]:
    live = mail_server(make_server, tmp_path_factory.mktemp("email"), smtp)
    yield live
    live.stop()


def conversation_with_note(server: LiveServer, admin: Api, key: str, email: str) -> int:
    session = visitor_session(server, key, name="Vic", email=email)
    conversation_id = webchat(server, session, "my order <b>#12</b> & more")["conversation_id"]
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "It ships today."}).is_success
    note = {"conversation_id": conversation_id, "text": "SECRET-NOTE refund them quietly", "private": True}
    assert admin.post("/admin/api/send", note).is_success
    return int(conversation_id)


def test_staff_email_a_transcript_without_private_notes(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server, "Acme Shoes")
    conversation_id = conversation_with_note(server, admin, key, "vic@example.com")
    sent = admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {})
    assert sent.status_code == 202, sent.text
    assert sent.json()["to"] == "vic@example.com"  # the contact's own address by default
    (mail,) = smtp.wait_for("vic@example.com")
    assert mail.subject == "Your conversation with Acme Shoes"
    assert "Acme Shoes" in str(mail.message["From"]) and "support@handoff.test" in str(mail.message["From"])
    text, html = mail.part("plain"), mail.part("html")
    for part in (text, html):
        assert "It ships today." in part
        assert "SECRET-NOTE" not in part
    assert "my order <b>#12</b> & more" in text
    assert "my order &lt;b&gt;#12&lt;/b&gt; &amp; more" in html  # the HTML part escapes what customers wrote
    other = admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {"email": "boss@example.com"})
    assert other.status_code == 202
    assert "SECRET-NOTE" not in smtp.wait_for("boss@example.com")[0].part("plain")


def test_transcript_errors_are_clear(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    other_admin, _ = make_tenant(server)
    session = visitor_session(server, key)
    conversation_id = webchat(server, session, "hello")["conversation_id"]
    no_email = admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {})
    assert no_email.status_code == 422 and "email" in no_email.json()["detail"]
    assert other_admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {}).status_code == 404
    bad = admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {"email": "not an address"})
    assert bad.status_code == 422


def test_a_visitor_emails_themselves_the_transcript_from_the_widget(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server, "Widget Co")
    conversation_with_note(server, admin, key, "")  # another visitor's conversation, never in this email
    session = visitor_session(server, key)
    visitor = Api(server, session["visitor_token"])
    assert visitor.post("/api/v1/widget/transcript", {"email": "me@example.com"}).status_code == 404  # nothing yet
    owner = Api(server, None)
    assert owner.post("/api/v1/widget/transcript", {"email": "me@example.com"}).status_code == 401
    first = visitor_session(server, key)
    webchat(server, first, "thanks!")
    sent = Api(server, first["visitor_token"]).post("/api/v1/widget/transcript", {"email": "vee@example.com"})
    assert sent.status_code == 202, sent.text
    (mail,) = smtp.wait_for("vee@example.com")
    assert "thanks!" in mail.part("plain") and "thanks!" in mail.part("html")
    assert "It ships today." not in mail.part("plain")


def test_a_followup_is_answered_by_email_and_the_reply_recorded(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server, "Reply Ltd")
    created = httpx.post(
        f"{server.url}/followup",
        json={"widget_key": key, "name": "Fay", "email": "fay@example.com", "message": "call me about <x>"},
    )
    assert created.status_code == 201
    followup_id = created.json()["id"]
    replied = admin.post(f"/admin/api/followups/{followup_id}/reply", {"text": "We are on it."})
    assert replied.status_code == 200, replied.text
    body = replied.json()
    assert body["reply_text"] == "We are on it." and body["reply_via"] == "email" and body["replied_at"]
    (mail,) = smtp.wait_for("fay@example.com")
    assert mail.subject == "Re: your message to Reply Ltd"
    assert "We are on it." in mail.part("plain") and "call me about <x>" in mail.part("plain")
    assert "call me about &lt;x&gt;" in mail.part("html")
    listed = admin.get("/admin/api/followups").json()["followups"]
    assert [f["reply_text"] for f in listed if f["id"] == followup_id] == ["We are on it."]
    other, _ = make_tenant(server)
    assert other.post(f"/admin/api/followups/{followup_id}/reply", {"text": "x"}).status_code == 404
    assert admin.post(f"/admin/api/followups/{followup_id}/reply", {"text": ""}).status_code == 422


def test_a_reply_to_a_visitor_who_went_away_is_emailed_too(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server, "Away Inc")
    session = visitor_session(server, key, name="Al", email="al@example.com")
    sock = visitor_socket(server, session)
    sock.send({"type": "message", "text": "are you there?", "client_id": "a1"})
    ack = sock.recv_until(lambda f: f["type"] == "ack")
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    here = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "while you are here"})
    assert here.is_success
    sock.close()
    # Last seen 6 minutes ago (moved back, not waited out), and no socket open now.
    execute(
        server,
        "UPDATE contacts SET last_seen_at = '2020-01-01T00:00:00.000Z' WHERE external_id = ?",
        session["visitor_id"],
    )
    note = {"conversation_id": conversation_id, "text": "SECRET-NOTE not for Al", "private": True}
    assert admin.post("/admin/api/send", note).is_success
    away = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Found it: size 42."})
    assert away.is_success
    (mail,) = smtp.wait_for("al@example.com")
    assert mail.subject == "New reply from Away Inc"
    assert "Found it: size 42." in mail.part("plain") and "Found it: size 42." in mail.part("html")
    # Only that reply was emailed: not the one while the visitor was here, not the note.
    assert [j["payload"]["context"]["text"] for j in emails_to(server, "al@example.com")] == ["Found it: size 42."]
    assert ack["message_id"]


def test_a_refused_email_is_retried_until_accepted(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, _ = make_tenant(server)
    me = admin.get("/api/v1/auth/me").json()
    assert admin.get("/admin/api/email").json()["configured"] is True
    smtp.refuse_next(1)
    queued = admin.post("/admin/api/email/test", {})
    assert queued.status_code == 202 and queued.json()["to"] == me["email"]
    (mail,) = smtp.wait_for(me["email"])
    assert mail.subject == "Handoff test email" and "Email works" in mail.part("html")
    (job,) = eventually(lambda: [j for j in emails_to(server, me["email"]) if j["status"] == "done"])
    assert job["attempts"] == 2  # refused (451) once, then accepted
    staff, _ = add_user(admin)
    assert staff.post("/admin/api/email/test", {}).status_code == 403  # admins only


def reset_token(mail_text: str, server: LiveServer) -> str:
    match = re.search(re.escape(server.url) + r"/admin-app/#/reset/(\S+)", mail_text)
    assert match, mail_text
    return match.group(1)


def test_forgot_password_link_works_once_and_revokes_every_session(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, _ = make_tenant(server)
    staff, user = add_user(admin, name="Rita")
    signed_in = login(server, user["email"], user["password"])
    unknown = httpx.post(f"{server.url}/api/v1/auth/forgot", json={"email": "nobody@example.com"})
    asked = httpx.post(f"{server.url}/api/v1/auth/forgot", json={"email": user["email"].upper()})
    assert unknown.status_code == asked.status_code == 202
    assert unknown.json() == asked.json()  # the same answer: no account enumeration
    (mail,) = smtp.wait_for(user["email"])
    assert mail.subject == "Reset your Handoff password"
    token = reset_token(mail.part("plain"), server)
    assert token in mail.part("html")
    assert emails_to(server, "nobody@example.com") == []
    short = httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": token, "password": "short"})
    assert short.status_code == 422  # a weak password does not spend the link
    new_password = "a-brand-new-password"
    done = httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": token, "password": new_password})
    assert done.status_code == 204, done.text
    again = httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": token, "password": "another-password1"})
    assert again.status_code == 400 and "used" in again.json()["detail"]
    assert staff.get("/api/v1/auth/me").status_code == 401  # every session revoked
    refresh = httpx.post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": signed_in["refresh_token"]})
    assert refresh.status_code == 401
    assert login(server, user["email"], new_password)["user"]["id"] == user["id"]
    forged = httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": token[:-2] + "xx", "password": "x" * 12})
    assert forged.status_code == 400
    assert (
        httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": "junk", "password": "x" * 12}).status_code == 400
    )


def test_an_expired_reset_link_fails(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, _ = make_tenant(server)
    _, user = add_user(admin)
    assert httpx.post(f"{server.url}/api/v1/auth/forgot", json={"email": user["email"]}).status_code == 202
    token = reset_token(smtp.wait_for(user["email"])[0].part("plain"), server)
    execute(
        server,
        "UPDATE password_resets SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?",
        int(token.split(".")[0]),
    )
    late = httpx.post(f"{server.url}/api/v1/auth/reset", json={"token": token, "password": "x" * 12})
    assert late.status_code == 400
    assert [j["payload"]["context"].get("link") for j in emails_to(server, user["email"])] == [None]  # not stored


def test_without_smtp_url_email_is_off(make_server: Callable[..., LiveServer], tmp_path: Path) -> None:
    live = make_server(tmp_path).start()
    try:
        admin, key = make_tenant(live)
        assert admin.get("/admin/api/email").json() == {"configured": False, "sender": "", "reset_links_to": ""}
        assert admin.post("/admin/api/email/test", {}).status_code == 409
        session = visitor_session(live, key)
        conversation_id = webchat(live, session, "hi")["conversation_id"]
        off = admin.post(f"/admin/api/conversations/{conversation_id}/transcript", {"email": "a@example.com"})
        assert off.status_code == 409
        assert httpx.post(f"{live.url}/api/v1/auth/forgot", json={"email": live.admin_email}).status_code == 202
        _, sam = add_user(admin, name="Sam")
        assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"assignee_id": sam["id"]}).is_success
        settled_alerts(live, tenant_id_of(admin), 1)
        assert jobs(live, "email") == []  # nothing queued that could only fail
    finally:
        live.stop()


def test_mail_queued_before_a_restart_is_sent_after_it_once(
    make_server: Callable[..., LiveServer], tmp_path: Path, smtp: FakeSmtp
) -> None:
    live = mail_server(make_server, tmp_path, smtp)
    try:
        admin, _ = make_tenant(live)
        me = admin.get("/api/v1/auth/me").json()
        smtp.refuse_next(1)  # the first attempt is refused: the job waits for its retry when the server stops
        assert admin.post("/admin/api/email/test", {}).status_code == 202
        eventually(lambda: [j for j in emails_to(live, me["email"]) if j["attempts"] >= 1 and j["status"] == "queued"])
        live.restart()
        (mail,) = smtp.wait_for(me["email"], timeout=60)
        assert mail.subject == "Handoff test email"
        (job,) = eventually(lambda: [j for j in emails_to(live, me["email"]) if j["status"] == "done"])
        assert job["attempts"] == 2 and len(smtp.to(me["email"])) == 1  # sent after the restart, and once
    finally:
        live.stop()
