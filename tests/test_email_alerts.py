"""Alerts by email to team members who are not signed in: on assignment, mention, escalation and (admins)
each new follow-up; at most one per conversation per member in 10 minutes; never to a member with a staff
socket open; off when their preferences say so."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.email_support import emails_to, mail_server, settled_alerts, tenant_id_of, webchat
from tests.fakes.smtp import FakeSmtp
from tests.support import LiveServer, add_user, execute, make_tenant, staff_socket, visitor_session

pytestmark = [BACKENDS, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, smtp: FakeSmtp
) -> Iterator[LiveServer]:
    live = mail_server(make_server, tmp_path_factory.mktemp("alerts"), smtp)
    yield live
    live.stop()


def new_conversation(server: LiveServer, key: str, text: str = "help please") -> int:
    return int(webchat(server, visitor_session(server, key), text)["conversation_id"])


def test_assignment_alerts_an_offline_member_once_in_ten_minutes(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server)
    tenant_id = tenant_id_of(admin)
    _, sam = add_user(admin, name="Sam")
    conversation_id = new_conversation(server, key)
    assign = f"/admin/api/conversations/{conversation_id}"
    assert admin.patch(assign, {"assignee_id": sam["id"]}).status_code == 200
    (mail,) = smtp.wait_for(sam["email"])
    assert mail.rcpt_tos == [sam["email"]]
    assert mail.subject == f"Conversation #{conversation_id} was assigned to you"
    link = f"{server.url}/admin-app/#/inbox/{conversation_id}"
    assert link in mail.part("plain") and f'href="{link}"' in mail.part("html")
    # Taken back and given again within 10 minutes: the alert job runs, but queues no second email.
    assert admin.patch(assign, {"assignee_id": None}).status_code == 200
    assert admin.patch(assign, {"assignee_id": sam["id"]}).status_code == 200
    settled_alerts(server, tenant_id, 2)
    assert len(emails_to(server, sam["email"])) == 1
    # Ten minutes later (moved back, not waited out) the next assignment alerts again.
    execute(server, "UPDATE alert_throttle SET sent_at = '2020-01-01T00:00:00.000Z' WHERE user_id = ?", sam["id"])
    assert admin.patch(assign, {"assignee_id": None}).status_code == 200
    assert admin.patch(assign, {"assignee_id": sam["id"]}).status_code == 200
    assert len(smtp.wait_for(sam["email"], 2)) == 2
    # Another conversation is another throttle.
    other = new_conversation(server, key)
    admin.post("/admin/api/conversations/bulk", {"ids": [other], "assignee_id": sam["id"]})
    assert smtp.wait_for(sam["email"], 3)[-1].subject == f"Conversation #{other} was assigned to you"


def test_a_member_with_a_staff_socket_gets_no_email(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server)
    tenant_id = tenant_id_of(admin)
    online, olga = add_user(admin, name="Olga")
    sock = staff_socket(server, online.token or "")
    conversation_id = new_conversation(server, key)
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"assignee_id": olga["id"]}).is_success
    settled_alerts(server, tenant_id, 1)
    assert emails_to(server, olga["email"]) == []
    sock.close()


def test_email_alerts_follow_the_members_preferences(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server)
    tenant_id = tenant_id_of(admin)
    quiet, quinn = add_user(admin, name="Quinn")
    assert quiet.get("/api/v1/me/notifications").json() == {"email": True, "push": True, "sound": True}
    changed = quiet.patch("/api/v1/me/notifications", {"email": False})
    assert changed.json() == {"email": False, "push": True, "sound": True}
    assert quiet.get("/api/v1/me/notifications").json()["email"] is False
    conversation_id = new_conversation(server, key)
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"assignee_id": quinn["id"]}).is_success
    settled_alerts(server, tenant_id, 1)
    assert emails_to(server, quinn["email"]) == []
    assert quiet.patch("/api/v1/me/notifications", {"email": "loud"}).status_code == 422


def test_a_mention_emails_the_offline_member_the_note(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server)
    _, mia = add_user(admin, name="Mia")
    conversation_id = new_conversation(server, key)
    note = {"conversation_id": conversation_id, "text": "@Mia can you check the refund?", "private": True}
    assert admin.post("/admin/api/send", {**note, "mentions": [mia["id"]]}).is_success
    (mail,) = smtp.wait_for(mia["email"])
    assert "mentioned you" in mail.subject
    assert "can you check the refund?" in mail.part("plain")  # a note, to the team only


def test_escalation_alerts_the_assignee(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server)
    eli_api, eli = add_user(admin, name="Eli")
    session = visitor_session(server, key)
    conversation_id = webchat(server, session, "first")["conversation_id"]
    # Eli answers (and so takes it, no alert: nobody is told what they did), then the customer waits.
    assert eli_api.post("/admin/api/send", {"conversation_id": conversation_id, "text": "hi"}).is_success
    webchat(server, session, "still there?")
    execute(
        server, "UPDATE conversations SET awaiting_since = '2020-01-01T00:00:00.000Z' WHERE id = ?", conversation_id
    )
    (mail,) = smtp.wait_for(eli["email"])
    assert mail.subject == f"Conversation #{conversation_id} is waiting for an answer"


def test_each_new_followup_emails_the_offline_admins(server: LiveServer, smtp: FakeSmtp) -> None:
    admin, key = make_tenant(server, "Followup Alerts")
    me = admin.get("/api/v1/auth/me").json()
    _, staff = add_user(admin, name="Stan")
    for n in (1, 2):
        created = httpx.post(
            f"{server.url}/followup",
            json={"widget_key": key, "name": f"Fred {n}", "email": "fred@example.com", "message": f"ring me {n}"},
        )
        assert created.status_code == 201
    mails = smtp.wait_for(me["email"], 2)
    assert sorted(m.subject for m in mails) == [
        "New follow-up request from Fred 1",
        "New follow-up request from Fred 2",
    ]
    assert "ring me 1" in mails[0].part("plain") + mails[1].part("plain")
    settled_alerts(server, tenant_id_of(admin), 2)
    assert emails_to(server, staff["email"]) == []  # admins only
