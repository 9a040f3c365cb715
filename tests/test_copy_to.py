"""The move from SQLite to PostgreSQL end to end: a deployment seeded through the API (a tenant with staff and
SMS connected, a web chat, an SMS conversation, a closed conversation, a follow-up), stopped, copied with
`python migrate_schema.py --copy-to`, and started on PostgreSQL with the JWT key the copy points to. The
inbox, history search, analytics, follow-ups and the visitor's transcript read the same; staff log in with
their passwords, the visitor resumes with the token they hold, and SMS replies still go out (the sealed
Twilio token opens with the same key)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.twilio_api import FakeTwilio
from tests.pg import ScratchDatabases
from tests.sms_support import PUBLIC, SmsShop, phone, sms_shop
from tests.support import (
    ROOT,
    Api,
    LiveServer,
    add_user,
    eventually,
    login,
    status_is,
    visitor_session,
    visitor_socket,
)


@pytest.fixture
def target_url(pg_databases: ScratchDatabases) -> Iterator[str]:
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


def settings(twilio: FakeTwilio) -> dict[str, str]:
    return {"TWILIO_API_BASE": twilio.url, "PUBLIC_BASE_URL": PUBLIC, "OUTBOX_BASE_DELAY_SECONDS": "0.05"}


def widget(server: LiveServer, path: str, session: dict[str, Any], **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    response = httpx.get(f"{server.url}{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def seed(server: LiveServer, twilio: FakeTwilio) -> dict[str, Any]:
    """Through the API only, as a real deployment fills up."""
    shop = sms_shop(server, twilio)
    key = shop.admin.get("/api/v1/tenant").json()["widget_key"]
    _, staff = add_user(shop.admin, name="Sam")
    chat = visitor_session(server, key, name="Zoë Archer")
    sock = visitor_socket(server, chat)
    sock.send({"type": "message", "text": "Where is my parcel?", "client_id": "c1"})
    sock.recv_until(lambda f: f["type"] == "ack")
    chat_id = shop.admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    assert shop.reply(chat_id, "It ships today").status_code == 200
    sock.recv_until(lambda f: f["type"] == "message" and f["message"]["text"] == "It ships today")
    sock.close()
    texter = phone()
    assert shop.text_in("Do you open on Sunday?", texter).status_code == 200
    sms_id = shop.conversation_of(texter)["id"]
    sent = shop.reply(sms_id, "Yes, from ten").json()["message_id"]
    eventually(status_is(server, sent, "sent"))
    closing = visitor_session(server, key, name="Ann Teapot")
    headers = {"Authorization": f"Bearer {closing['visitor_token']}"}
    said = httpx.post(f"{server.url}/webchat", json={"text": "the turquoise teapot arrived broken"}, headers=headers)
    closed_id = said.json()["conversation_id"]
    assert shop.admin.patch(f"/admin/api/conversations/{closed_id}", {"status": "closed"}).status_code == 200
    followup = {"widget_key": key, "name": "Ann", "email": "ann@example.com", "message": "call me"}
    assert httpx.post(f"{server.url}/followup", json=followup, headers=headers).status_code == 201
    return {"shop": shop, "key": key, "staff": staff, "chat": chat, "chat_id": chat_id, "texter": texter}


def without_snippets(found: dict[str, Any]) -> list[dict[str, Any]]:
    """Search hits as both databases give them: FTS5 and ts_headline word their snippets differently (each
    holds the word searched for)."""
    assert all("turquoise" in hit["snippet"] for hit in found["results"])
    return [{k: v for k, v in hit.items() if k != "snippet"} for hit in found["results"]]


def views(server: LiveServer, shop: SmsShop, chat: dict[str, Any]) -> dict[str, Any]:
    """What staff and the visitor read; the same before and after the move."""
    admin = shop.admin
    return {
        "inbox": admin.get("/admin/api/convos", params={"status": "all"}).json(),
        "search": without_snippets(admin.get("/admin/api/history", params={"q": "turquoise"}).json()),
        "history": admin.get("/admin/api/history").json(),
        "analytics": admin.get("/api/v1/analytics/summary").json(),
        "followups": admin.get("/admin/api/followups").json(),
        "transcript": widget(server, "/api/v1/widget/messages", chat, after=0),
        "tenant": admin.get("/api/v1/tenant").json(),
    }


def test_a_sqlite_deployment_moves_to_postgresql(tmp_path: Path, twilio: FakeTwilio, target_url: str) -> None:
    before_server = LiveServer(tmp_path / "sqlite", **settings(twilio))
    (tmp_path / "sqlite").mkdir()
    before_server.start()
    try:
        seeded = seed(before_server, twilio)
        shop: SmsShop = seeded["shop"]
        before = views(before_server, shop, seeded["chat"])
    finally:
        before_server.stop()
    assert [hit["kind"] for hit in before["search"]] == ["conversation"]
    assert len(before["inbox"]["conversations"]) == 3 and len(before["followups"]["followups"]) == 1
    assert before["analytics"]["totals"]["conversations"] == 3
    assert before["tenant"]["channels"]["sms"]["configured"] is True

    copied = subprocess.run(
        [sys.executable, "migrate_schema.py", "--db", before_server.db_path, "--copy-to", target_url],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert copied.returncode == 0, copied.stderr
    key_file = Path(f"{before_server.db_path}.jwt-secret")
    assert f"$(cat {key_file})" in copied.stdout

    after_server = LiveServer(
        tmp_path / "postgresql",
        DATABASE_URL=target_url,
        JWT_SECRET=key_file.read_text().strip(),
        ADMIN_PASSWORD=before_server.admin_password,  # ignored: users exist, the copied ones log in
        **settings(twilio),
    )
    (tmp_path / "postgresql").mkdir()
    after_server.start()
    try:
        shop.server = after_server
        shop.admin = Api(after_server, shop.admin.token)  # a token signed before the move still works
        assert views(after_server, shop, seeded["chat"]) == before
        login(after_server, seeded["staff"]["email"], seeded["staff"]["password"])
        login(after_server, before_server.admin_email, before_server.admin_password)
        carry_on(after_server, twilio, shop, seeded)
    finally:
        after_server.stop()


def carry_on(server: LiveServer, twilio: FakeTwilio, shop: SmsShop, seeded: dict[str, Any]) -> None:
    """The visitor resumes with the token they hold and keeps writing in the same conversation; SMS replies
    still go out with the sealed Twilio token; new rows get new ids."""
    chat = seeded["chat"]
    again = visitor_session(server, seeded["key"], visitor_id=chat["visitor_id"], visitor_token=chat["visitor_token"])
    assert again["visitor_id"] == chat["visitor_id"]
    sock = visitor_socket(server, chat)
    sock.send({"type": "resume", "after": 0})
    replay = sock.recv_through(lambda f: f["type"] == "conversation")
    assert [f["message"]["text"] for f in replay if f["type"] == "message"] == ["Where is my parcel?", "It ships today"]
    old_ids = [f["message"]["id"] for f in replay if f["type"] == "message"]
    sock.send({"type": "message", "text": "Thanks!", "client_id": "c2"})
    ack = sock.recv_until(lambda f: f["type"] == "ack")
    assert ack["message_id"] > max(old_ids)
    sock.close()
    assert widget(server, "/api/v1/widget/messages", chat, after=max(old_ids))["messages"][0]["text"] == "Thanks!"
    sms_id = shop.conversation_of(seeded["texter"])["id"]
    sends = len(shop.requests(twilio))
    sent = shop.reply(sms_id, "See you Sunday").json()["message_id"]
    eventually(status_is(server, sent, "sent"))
    assert len(shop.requests(twilio)) == sends + 1
