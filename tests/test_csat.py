"""Customer satisfaction against the real server on both databases: the widget's rating after a staff close,
SMS and Messenger questions through the outbox and rating replies, one rating per conversation, no survey
for auto-closed conversations, and the figures in the analytics summary and CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from handoff.store.database import iso
from tests.conftest import BACKENDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.twilio_api import FakeTwilio
from tests.messenger_support import connect_page, psid
from tests.sms_support import PUBLIC, open_conversation, sms_shop
from tests.support import Api, LiveServer, eventually, execute, make_tenant, query, visitor_session, visitor_socket

pytestmark = BACKENDS
QUESTION = "How would you rate our help today? Reply with a number from 1 (poor) to 5 (excellent)."


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
    graph: FakeGraph,
) -> Iterator[LiveServer]:
    live = make_server(
        tmp_path_factory.mktemp("csat"),
        TWILIO_API_BASE=twilio.url,
        GRAPH_API_BASE=graph.base,
        PUBLIC_BASE_URL=PUBLIC,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
    ).start()
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def _fresh_fakes(twilio: FakeTwilio, graph: FakeGraph) -> None:
    twilio.reset()
    graph.reset()


def surveying(admin: Api) -> None:
    response = admin.patch("/api/v1/tenant", {"settings": {"csat": True}})
    assert response.status_code == 200 and response.json()["settings"]["csat"] is True, response.text


def close(admin: Api, conversation_id: int) -> None:
    response = admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    assert response.status_code == 200, response.text


def rate(session: dict[str, Any], server: LiveServer, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    return httpx.post(f"{server.url}/api/v1/widget/csat", json=body, headers=headers)


def web_conversation(server: LiveServer, admin: Api, key: str) -> tuple[dict[str, Any], int]:
    session = visitor_session(server, key)
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    sent = httpx.post(f"{server.url}/webchat", json={"text": "my parcel is late"}, headers=headers)
    assert sent.status_code == 200, sent.text
    conversation_id = sent.json()["conversation_id"]
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "on its way"}).status_code == 200
    return session, conversation_id


def today_range() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat(), "tz": "UTC"}


def test_widget_rating_after_a_staff_close_once_only(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    surveying(admin)
    session, conversation_id = web_conversation(server, admin, key)
    sock = visitor_socket(server, session)
    sock.send({"type": "resume", "after": 0})
    sock.recv_until(lambda f: f["type"] == "conversation")  # the socket is authenticated and listening
    close(admin, conversation_id)
    prompt = sock.recv_until(lambda f: f["type"] == "csat")
    assert prompt == {"type": "csat", "conversation_id": conversation_id}

    assert rate(session, server, {"conversation_id": conversation_id, "rating": 6}).status_code == 422
    stored = rate(session, server, {"conversation_id": conversation_id, "rating": 4, "comment": " quick, thanks "})
    assert stored.status_code == 201, stored.text
    assert stored.json() == {"conversation_id": conversation_id, "rating": 4}
    again = rate(session, server, {"conversation_id": conversation_id, "rating": 1})
    assert again.status_code == 409 and again.json()["detail"] == "this conversation has already been rated"

    survey = admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()
    assert (survey["rating"], survey["comment"], survey["channel"]) == (4, "quick, thanks", "webchat")
    # another visitor, or staff of another tenant, cannot rate or read it
    stranger = visitor_session(server, key)
    assert rate(stranger, server, {"conversation_id": conversation_id, "rating": 5}).status_code == 404
    other, _ = make_tenant(server)
    assert other.get(f"/admin/api/conversations/{conversation_id}/csat").status_code == 404


def test_no_survey_when_the_setting_is_off_or_the_conversation_closed_by_itself(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session, conversation_id = web_conversation(server, admin, key)
    close(admin, conversation_id)  # the setting is off
    assert rate(session, server, {"conversation_id": conversation_id, "rating": 5}).status_code == 404

    surveying(admin)
    idle_session, idle_id = web_conversation(server, admin, key)
    long_ago = iso(datetime.now(UTC) - timedelta(hours=2))
    execute(server, "UPDATE conversations SET last_message_at = ? WHERE id = ?", long_ago, idle_id)
    eventually(lambda: query(server, "SELECT status FROM conversations WHERE id = ?", idle_id) == [("closed",)])
    # the survey would have been written in the transaction that closed it
    assert query(server, "SELECT count(*) FROM csat_surveys WHERE conversation_id = ?", idle_id) == [(0,)]
    assert rate(idle_session, server, {"conversation_id": idle_id, "rating": 5}).status_code == 404


def test_a_bulk_close_surveys_too(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    surveying(admin)
    session, conversation_id = web_conversation(server, admin, key)
    bulk = admin.post("/admin/api/conversations/bulk", {"ids": [conversation_id], "status": "closed"})
    assert bulk.status_code == 200, bulk.text
    assert rate(session, server, {"conversation_id": conversation_id, "rating": 2}).status_code == 201


def test_sms_question_and_rating_reply(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    surveying(shop.admin)
    sender, conversation_id = open_conversation(shop)
    assert shop.reply(conversation_id, "Sorted!").status_code == 200
    close(shop.admin, conversation_id)
    sends = twilio.wait_for_requests(2, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert sends[-1].form["Body"] == QUESTION and sends[-1].form["To"] == sender

    assert shop.text_in(" 4/5 ", sender).status_code == 200
    thanks = twilio.wait_for_requests(3, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert thanks[-1].form["Body"] == "Thank you for your rating!"
    assert shop.conversation_of(sender)["status"] == "closed"  # no new conversation
    assert shop.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()["rating"] == 4

    # a second rating is an ordinary message: it opens a conversation
    assert shop.text_in("5", sender).status_code == 200
    rows = query(server, "SELECT status FROM conversations WHERE contact_id = (SELECT contact_id FROM conversations"
                 " WHERE id = ?) ORDER BY id", conversation_id)  # fmt: skip
    assert rows == [("closed",), ("open",)]
    assert shop.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()["rating"] == 4


def test_sms_non_rating_reply_and_stopped_contact(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    surveying(shop.admin)
    sender, conversation_id = open_conversation(shop)
    close(shop.admin, conversation_id)
    twilio.wait_for_requests(1, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert shop.text_in("4 but it took ages", sender).status_code == 200
    contact = "(SELECT contact_id FROM conversations WHERE id = ?)"
    assert query(server, f"SELECT count(*) FROM conversations WHERE contact_id = {contact}", conversation_id) == [(2,)]
    assert shop.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()["rating"] is None

    stopped, stopped_id = open_conversation(shop)
    assert shop.text_in("STOP", stopped).status_code == 200
    eventually(lambda: query(server, "SELECT opted_out FROM contacts WHERE external_id = ?", stopped) == [(1,)])
    close(shop.admin, stopped_id)
    # never asked after STOP: no survey, no outbox row
    assert query(server, "SELECT count(*) FROM csat_surveys WHERE conversation_id = ?", stopped_id) == [(0,)]
    assert query(
        server, "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.conversation_id = ?",
        stopped_id,
    ) == [(0,)]  # fmt: skip


def test_messenger_question_and_rating_reply(server: LiveServer, graph: FakeGraph) -> None:
    page = connect_page(server, graph)
    surveying(page.admin)
    user, conversation_id = page.open_conversation()
    close(page.admin, conversation_id)
    [question] = graph.wait_for_requests(1, path="/v21.0/me/messages")
    assert question.json()["message"]["text"] == QUESTION and question.json()["recipient"]["id"] == user
    assert page.post([page.entry(page.says(user, "5 stars"))]).status_code == 200
    sent = graph.wait_for_requests(2, path="/v21.0/me/messages")
    assert sent[-1].json()["message"]["text"] == "Thank you for your rating!"
    assert page.conversation_of(user)["status"] == "closed"
    assert page.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()["rating"] == 5

    # outside the 24-hour window nobody is asked
    late = psid()
    assert page.post([page.entry(page.says(late, "hello"))]).status_code == 200
    late_id = page.conversation_of(late)["id"]
    old = iso(datetime.now(UTC) - timedelta(days=2))
    execute(server, "UPDATE conversations SET last_customer_message_at = ? WHERE id = ?", old, late_id)
    close(page.admin, late_id)
    assert query(server, "SELECT count(*) FROM csat_surveys WHERE conversation_id = ?", late_id) == [(0,)]


def test_rating_reply_after_24_hours_is_a_new_conversation(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    surveying(shop.admin)
    sender, conversation_id = open_conversation(shop)
    close(shop.admin, conversation_id)
    old = iso(datetime.now(UTC) - timedelta(hours=25))
    execute(server, "UPDATE csat_surveys SET asked_at = ? WHERE conversation_id = ?", old, conversation_id)
    assert shop.text_in("3", sender).status_code == 200
    assert shop.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()["rating"] is None
    contact = "(SELECT contact_id FROM conversations WHERE id = ?)"
    assert query(server, f"SELECT count(*) FROM conversations WHERE contact_id = {contact}", conversation_id) == [(2,)]


def test_analytics_figures_and_csv_column(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    admin = shop.admin
    surveying(admin)
    ratings = []
    for rating in (5, 2):
        session, conversation_id = web_conversation(server, admin, admin_key(admin))
        close(admin, conversation_id)
        assert rate(session, server, {"conversation_id": conversation_id, "rating": rating}).status_code == 201
        ratings.append(conversation_id)
    sender, sms_id = open_conversation(shop)
    assert shop.reply(sms_id, "done").status_code == 200
    close(admin, sms_id)
    twilio.wait_for_requests(2, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert shop.text_in("4", sender).status_code == 200

    figures = admin.get("/api/v1/analytics/summary", params=today_range()).json()["csat"]
    assert figures["responses"] == 3 and figures["average"] == pytest.approx(3.67)
    assert figures["by_channel"]["webchat"] == {"responses": 2, "average": 3.5}
    assert figures["by_channel"]["sms"] == {"responses": 1, "average": 4.0}
    assert figures["by_channel"]["messenger"] == {"responses": 0, "average": None}
    [agent] = figures["by_agent"]
    assert agent["responses"] == 3 and agent["average"] == pytest.approx(3.67)

    exported = admin.get("/api/v1/analytics/export.csv", params=today_range()).text
    rows = {row["conversation_id"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert [rows[str(cid)]["rating"] for cid in (*ratings, sms_id)] == ["5", "2", "4"]


def admin_key(admin: Api) -> str:
    return str(admin.get("/api/v1/tenant").json()["widget_key"])
