"""Every socket frame's constructor gives the documented shape, and visitors are told nothing internal."""

from __future__ import annotations

import orjson

from handoff.live import events
from handoff.live.sockets import encode

MESSAGE = {"id": 12, "conversation_id": 3, "channel": "webchat", "sender": "visitor", "text": "hi"}
CONVERSATION = {
    "id": 3,
    "tenant_id": 1,
    "channel": "webchat",
    "status": "open",
    "escalated": True,
    "tags": ["vip", "refund"],
    "assignee": {"id": 4, "name": "Sam"},
    "contact": {"id": 8, "email": "kim@example.com"},
}


def test_message_with_and_without_its_conversation() -> None:
    assert events.message(MESSAGE) == {"type": "message", "message": MESSAGE}
    assert events.message(MESSAGE, CONVERSATION) == {
        "type": "message",
        "message": MESSAGE,
        "conversation": CONVERSATION,
    }


def test_conversation_events_for_staff_carry_the_whole_conversation() -> None:
    assert events.conversation_updated(CONVERSATION) == {"type": "conversation_updated", "conversation": CONVERSATION}
    assert events.escalation(CONVERSATION) == {"type": "escalation", "conversation": CONVERSATION}


def test_visitor_conversation_exposes_only_id_status_and_escalated() -> None:
    event = events.visitor_conversation(CONVERSATION)
    assert event == {"type": "conversation", "conversation": {"id": 3, "status": "open", "escalated": True}}
    text = encode(event)
    for internal in ("tags", "vip", "assignee", "Sam", "contact", "kim@example.com", "tenant_id"):
        assert internal not in text


def test_followup() -> None:
    row = {"id": 5, "email": "kim@example.com", "text": "call me"}
    assert events.followup(row) == {"type": "followup", "followup": row}


def test_typing_to_staff_and_to_the_visitor() -> None:
    assert events.visitor_typing(3) == {"type": "typing", "conversation_id": 3, "sender": "visitor"}
    assert events.staff_typing(3, 4, "Sam") == {
        "type": "typing",
        "conversation_id": 3,
        "sender": "staff",
        "user": {"id": 4, "name": "Sam"},
    }
    assert events.agent_typing("Sam") == {"type": "typing", "name": "Sam"}  # no ids for the visitor


def test_presence_for_staff_lists_who_and_for_visitors_only_whether() -> None:
    presence = events.staff_presence(True, [4, 7], {"4": "online", "7": "away"})
    assert presence == {
        "type": "presence",
        "staff_online": True,
        "online_user_ids": [4, 7],
        "availability": {"4": "online", "7": "away"},
    }
    assert events.visitor_presence(False) == {"type": "presence", "staff_online": False}


def test_ack_and_error() -> None:
    assert events.ack("c-1", 12) == {"type": "ack", "client_id": "c-1", "message_id": 12}
    assert events.ack(None, 12) == {"type": "ack", "client_id": None, "message_id": 12}
    assert events.error("too long", "c-1") == {"type": "error", "detail": "too long", "client_id": "c-1"}
    without = events.error("frame is not valid JSON")
    assert without == {"type": "error", "detail": "frame is not valid JSON"}
    assert "client_id" not in without and "client_id" not in orjson.loads(encode(without))


def test_events_encode_to_the_json_sent_on_the_wire() -> None:
    event = events.message({**MESSAGE, "text": "naïve — ✓"}, CONVERSATION)
    assert orjson.loads(encode(event)) == event
    assert isinstance(encode(event), str)
