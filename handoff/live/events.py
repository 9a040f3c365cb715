"""Every frame the server sends on a socket, each built by one typed constructor.

Staff sockets get `message` (private notes too), `conversation_updated`, `escalation`, `followup`, `typing`,
`presence`, and `mention` (only the mentioned members' sockets);
visitor sockets get `message` (never a private note), `conversation` (status only), `typing`, `presence`;
either gets `ack` and `error` in answer to a frame it sent. `Hub.publish` is the one way an event leaves.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# The JSON shapes of stored objects, made in the store (`message_json`, conversation and follow-up rows).
MessageJson = dict[str, Any]
ConversationJson = dict[str, Any]
FollowupJson = dict[str, Any]


class MessageEvent(TypedDict):
    type: Literal["message"]
    message: MessageJson
    conversation: NotRequired[ConversationJson]  # staff only: the conversation as it is after the message


class MentionEvent(TypedDict):
    type: Literal["mention"]
    message: MessageJson  # the private note that mentions the member
    conversation: ConversationJson
    by: TypingUser  # who wrote the note


class ConversationEvent(TypedDict):
    type: Literal["conversation_updated", "escalation"]
    conversation: ConversationJson


class VisitorConversationEvent(TypedDict):
    type: Literal["conversation"]
    conversation: dict[str, Any]  # id, status, escalated: nothing internal such as tags or the assignee


class CsatEvent(TypedDict):
    """To a web visitor: staff closed this conversation and ask for a rating (the widget's prompt)."""

    type: Literal["csat"]
    conversation_id: int


class FollowupEvent(TypedDict):
    type: Literal["followup"]
    followup: FollowupJson


class TypingUser(TypedDict):
    id: int
    name: str


class TypingEvent(TypedDict, total=False):
    type: Literal["typing"]
    conversation_id: int
    sender: Literal["visitor", "staff"]
    user: TypingUser
    name: str


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    staff_online: bool
    online_user_ids: NotRequired[list[int]]


class AckEvent(TypedDict):
    type: Literal["ack"]
    client_id: str | None
    message_id: int


class ErrorEvent(TypedDict):
    type: Literal["error"]
    detail: str
    client_id: NotRequired[str | None]


Event = (
    MessageEvent
    | MentionEvent
    | ConversationEvent
    | VisitorConversationEvent
    | CsatEvent
    | FollowupEvent
    | TypingEvent
    | PresenceEvent
    | AckEvent
    | ErrorEvent
)


def message(msg: MessageJson, conversation: ConversationJson | None = None) -> MessageEvent:
    """A new or changed message (staff upsert by id, so status changes travel as this event too)."""
    if conversation is None:
        return {"type": "message", "message": msg}
    return {"type": "message", "message": msg, "conversation": conversation}


def mention(note: MessageJson, conversation: ConversationJson, by_id: int, by_name: str) -> MentionEvent:
    """To the members a private note mentions (`Hub.publish(..., users=...)`)."""
    return {"type": "mention", "message": note, "conversation": conversation, "by": {"id": by_id, "name": by_name}}


def conversation_updated(conversation: ConversationJson) -> ConversationEvent:
    return {"type": "conversation_updated", "conversation": conversation}


def escalation(conversation: ConversationJson) -> ConversationEvent:
    return {"type": "escalation", "conversation": conversation}


def visitor_conversation(conversation: ConversationJson) -> VisitorConversationEvent:
    """What a web visitor may know of their conversation's state."""
    state = {k: conversation[k] for k in ("id", "status", "escalated")}
    if state["status"] == "snoozed":  # snooze is the team's business: for the customer it is still open
        state["status"] = "open"
    return {"type": "conversation", "conversation": state}


def csat(conversation_id: int) -> CsatEvent:
    return {"type": "csat", "conversation_id": conversation_id}


def followup(row: FollowupJson) -> FollowupEvent:
    return {"type": "followup", "followup": row}


def visitor_typing(conversation_id: int) -> TypingEvent:
    """To staff: the visitor of this conversation is typing."""
    return {"type": "typing", "conversation_id": conversation_id, "sender": "visitor"}


def staff_typing(conversation_id: int, user_id: int, name: str) -> TypingEvent:
    """To the rest of the team: this agent is typing in this conversation."""
    return {
        "type": "typing",
        "conversation_id": conversation_id,
        "sender": "staff",
        "user": {"id": user_id, "name": name},
    }


def agent_typing(name: str) -> TypingEvent:
    """To the visitor: an agent (named) is typing."""
    return {"type": "typing", "name": name}


def staff_presence(staff_online: bool, online_user_ids: list[int]) -> PresenceEvent:
    return {"type": "presence", "staff_online": staff_online, "online_user_ids": online_user_ids}


def visitor_presence(staff_online: bool) -> PresenceEvent:
    return {"type": "presence", "staff_online": staff_online}


def ack(client_id: str | None, message_id: int) -> AckEvent:
    """The message with this client id is committed (sent again for a resent client id)."""
    return {"type": "ack", "client_id": client_id, "message_id": message_id}


def error(detail: str, client_id: str | None = None) -> ErrorEvent:
    if client_id is None:
        return {"type": "error", "detail": detail}
    return {"type": "error", "detail": detail, "client_id": client_id}
