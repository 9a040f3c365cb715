"""Helpers for the routing tests: a visitor who writes, a conversation's assignee, tenants' hours."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Api, LiveServer, visitor_session

# Closed every day of the week: outside hours whenever the test runs.
NEVER_OPEN: dict[str, Any] = {"timezone": "Europe/Paris", "week": {}}
ALWAYS_OPEN: dict[str, Any] = {
    "timezone": "Pacific/Auckland",
    "week": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def new_chat(server: LiveServer, key: str, text: str = "hello") -> int:
    """A new visitor writes: their new conversation's id (the server routes it before it answers)."""
    session = visitor_session(server, key)
    response = httpx.post(
        f"{server.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["conversation_id"])


def assignee(api: Api, conversation_id: int) -> int | None:
    response = api.get(f"/admin/api/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    found = response.json()["assignee"]
    return None if found is None else int(found["id"])


def settings(admin: Api, **changes: Any) -> dict[str, Any]:
    response = admin.patch("/api/v1/tenant", {"settings": changes})
    assert response.status_code == 200, response.text
    return dict(response.json()["settings"])


def set_cap(admin: Api, user_id: int, cap: int | None) -> None:
    response = admin.patch(f"/api/v1/users/{user_id}", {"max_open": cap})
    assert response.status_code == 200, response.text
    assert response.json()["max_open"] == cap


def choose(api: Api, availability: str) -> dict[str, Any]:
    response = api.patch("/api/v1/auth/me", {"availability": availability})
    assert response.status_code == 200, response.text
    return dict(response.json())
