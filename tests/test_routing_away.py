"""Outside business hours, on both databases: an SMS or Messenger customer gets the away message once per
conversation (never after STOP), in the tenant's language or its own text; escalation does not fire while
closed, and the waiting clock starts again at the next opening."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import BACKENDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.twilio_api import FakeTwilio
from tests.messenger_support import connect_page, psid
from tests.routing_support import ALWAYS_OPEN, NEVER_OPEN, new_chat, settings
from tests.sms_support import SmsShop, phone, sms_server, sms_shop
from tests.support import LiveServer, eventually, make_tenant, query

pytestmark = BACKENDS


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
    graph: FakeGraph,
) -> Iterator[LiveServer]:
    live = sms_server(
        make_server,
        tmp_path_factory.mktemp("away"),
        twilio,
        GRAPH_API_BASE=graph.base,
        ESCALATE_AFTER_SECONDS="0.5",
        AUTO_CLOSE_MINUTES="10",
    ).start()
    yield live
    live.stop()


@pytest.fixture
def shop(server: LiveServer, twilio: FakeTwilio) -> SmsShop:
    twilio.reset()
    return sms_shop(server, twilio)


def system_texts(server: LiveServer, sender: str) -> list[str]:
    rows = query(
        server,
        "SELECT m.text FROM messages m JOIN contacts c ON c.id = (SELECT contact_id FROM conversations"
        " WHERE id = m.conversation_id) WHERE c.external_id = ? AND m.sender = 'system' ORDER BY m.id",
        sender,
    )
    return [r[0] for r in rows]


def test_sms_away_message_once_per_conversation(server: LiveServer, twilio: FakeTwilio, shop: SmsShop) -> None:
    settings(shop.admin, business_hours=NEVER_OPEN, language="es")
    sender = phone()
    assert shop.text_in("Hola", sender).status_code == 200
    away = "Ahora no estamos disponibles. Déjanos un mensaje y te responderemos cuando abramos."
    assert system_texts(server, sender) == [away]  # stored before the webhook answered
    [sent] = twilio.wait_for_requests(1, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert sent.form["To"] == sender and sent.form["Body"] == away

    assert shop.text_in("¿Hay alguien?", sender).status_code == 200
    assert system_texts(server, sender) == [away]  # once per conversation

    # A new conversation gets it again, with the tenant's own text.
    settings(shop.admin, away_message="Closed until 9am.")
    conversation_id = shop.conversation_of(sender)["id"]
    assert shop.admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).status_code == 200
    assert shop.text_in("Still there?", sender).status_code == 200
    assert system_texts(server, sender)[-1] == "Closed until 9am."

    # Open again: nothing is sent.
    settings(shop.admin, business_hours=ALWAYS_OPEN)
    later = phone()
    assert shop.text_in("Hello", later).status_code == 200
    assert system_texts(server, later) == []


def test_no_away_message_on_stop_or_after_it(server: LiveServer, twilio: FakeTwilio, shop: SmsShop) -> None:
    settings(shop.admin, business_hours=NEVER_OPEN)
    sender = phone()
    assert shop.text_in("STOP", sender).status_code == 200
    assert shop.text_in("actually, one question", sender).status_code == 200
    assert query(server, "SELECT opted_out FROM contacts WHERE external_id = ?", sender) == [(1,)]
    assert system_texts(server, sender) == []
    assert (
        query(server, "SELECT COUNT(*) FROM outbox WHERE tenant_id = ?", shop.conversation_of(sender)["tenant_id"])[0][
            0
        ]
        == 0
    )
    assert shop.requests(twilio) == []


def test_messenger_away_message_once_in_the_window(server: LiveServer, graph: FakeGraph) -> None:
    graph.reset()
    page = connect_page(server, graph)
    settings(page.admin, business_hours=NEVER_OPEN, language="fr")
    user = psid()
    assert page.post([page.entry(page.says(user, "Bonjour"))]).status_code == 200
    away = "Nous sommes absents pour le moment. Laissez-nous un message, nous vous répondrons dès notre retour."
    assert system_texts(server, user) == [away]
    [sent] = graph.wait_for_requests(1, path="/v21.0/me/messages")
    assert sent.json()["recipient"] == {"id": user} and sent.json()["message"]["text"] == away
    assert page.post([page.entry(page.says(user, "Il y a quelqu'un ?"))]).status_code == 200
    assert system_texts(server, user) == [away]


def test_no_escalation_outside_hours(server: LiveServer) -> None:
    closed_admin, closed_key = make_tenant(server)
    settings(closed_admin, business_hours=NEVER_OPEN)
    _, open_key = make_tenant(server)
    waiting = new_chat(server, closed_key)
    answered_late = new_chat(server, open_key)  # the control: the timers run and escalate it
    eventually(lambda: query(server, "SELECT escalated FROM conversations WHERE id = ?", answered_late) == [(1,)])
    # The closed tenant's conversation is looked at by the same ticks: its clock moves a day ahead (no
    # opening hours at all), so it cannot escalate while closed.
    [(created_at,)] = query(server, "SELECT created_at FROM conversations WHERE id = ?", waiting)
    eventually(
        lambda: query(server, "SELECT awaiting_since FROM conversations WHERE id = ?", waiting)[0][0] > created_at
    )
    assert query(server, "SELECT escalated FROM conversations WHERE id = ?", waiting) == [(0,)]
    events = closed_admin.get("/api/v1/events", params={"action": "conversation.escalated"}).json()["events"]
    assert events == []
