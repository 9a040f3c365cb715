"""Who a conversation's events reach besides staff: its web visitor, or every web identity of a merged person
(a merged-away visitor's widget included), carried as a routing key that is never sent to anyone."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store import people

# Routing only, never sent: the web visitors of a merged person, set by `with_visitors` in the write.
WEB_VISITORS = "_web_visitors"


def with_visitors(conn: sqlite3.Connection, conversation: dict[str, Any], person_id: int | None) -> dict[str, Any]:
    """A merged person's thread reaches every web identity's widget (a merged-away visitor included)."""
    if person_id is not None:
        conversation[WEB_VISITORS] = people.web_visitors(conn, person_id)
    return conversation


def visitors_of(conversation: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """(the visitor ids a conversation's events go to, the conversation without its routing key)."""
    if WEB_VISITORS in conversation:
        shown = {k: v for k, v in conversation.items() if k != WEB_VISITORS}
        return list(conversation[WEB_VISITORS]), shown
    webchat = conversation["channel"] == "webchat"
    return ([conversation["contact"]["external_id"]] if webchat else []), conversation
