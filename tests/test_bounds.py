"""No input, however large a number or strange a value, gets a 5xx, and no socket frame drops its socket: every
integer in a path, a query, a JSON body or a socket frame is bounded to what SQLite stores (1 to 2^63-1 for
ids, 0 and up for `after`)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, Sock, make_tenant, staff_socket, visitor_session, visitor_socket

# PostgreSQL types every parameter (BIGINT ids, dates): a bound missed there would be its 5xx, not SQLite's.
pytestmark = BACKENDS
MAX = 2**63 - 1
# The first value that does not fit, the largest unsigned 64-bit one, and one far beyond both.
TOO_LARGE = [MAX + 1, 2**64 - 1, 132216028671981689843816673594071580672]


@pytest.fixture(scope="module")
def shop(server: LiveServer) -> tuple[Api, str]:
    return make_tenant(server)


def is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(s.get("type") == "integer" for s in schema.get("anyOf", []))


def integer_parameters(server: LiveServer) -> list[tuple[str, str, str, str]]:
    """(method, path, parameter, where) for every integer path or query parameter in the OpenAPI document."""
    spec = httpx.get(f"{server.url}/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if is_integer(param["schema"]):
                    found.append((method.upper(), path, param["name"], param["in"]))
    return found


def test_every_integer_path_and_query_parameter_is_bounded(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    visitor = visitor_session(server, key)
    params = integer_parameters(server)
    assert ("GET", "/api/v1/events", "before", "query") in params  # the one from the report
    assert len(params) >= 10
    for method, path, name, where in params:
        token = visitor["visitor_token"] if path.startswith("/api/v1/widget/") else admin.token
        for value in TOO_LARGE:
            url = path.replace(f"{{{name}}}", str(value)) if where == "path" else path
            url = url.replace("{", "").replace("}", "")  # any other path parameter: its own name, never found
            response = httpx.request(
                method,
                f"{server.url}{url}",
                params={name: value} if where == "query" else None,
                headers={"Authorization": f"Bearer {token}"},
                json={} if method in ("POST", "PATCH") else None,
            )
            assert response.status_code == 422, (method, path, name, value, response.status_code, response.text)
            assert isinstance(response.json()["detail"], str)
    # The largest value SQLite stores is still a valid cursor.
    assert admin.get("/api/v1/events", params={"before": MAX}).status_code == 200


def test_integers_hidden_in_strings_are_bounded(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, _ = shop
    for value in TOO_LARGE:
        assert admin.get("/admin/api/convos", params={"assignee": str(value)}).status_code == 422
        cursor = f"2026-01-01T00:00:00.000Z_{value}"
        assert admin.get("/admin/api/convos", params={"before": cursor}).status_code == 422
    assert admin.get("/admin/api/convos", params={"assignee": str(MAX)}).json()["conversations"] == []


def test_integers_in_json_bodies_are_bounded(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, _ = shop
    for value in [*TOO_LARGE, 0, -1]:
        for method, path, body in (
            ("POST", "/admin/api/send", {"conversation_id": value, "text": "hi"}),
            ("PATCH", "/admin/api/conversations/1", {"assignee_id": value}),
            ("POST", "/admin/api/mark-followup-viewed", {"id": value}),
        ):
            response = admin.http.request(method, path, json=body, headers=admin.headers())
            assert response.status_code == 422, (path, value, response.text)


def test_visitor_frames_with_out_of_range_integers_get_error_frames(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    sock = visitor_socket(server, visitor_session(server, key))
    sock.send({"type": "message", "text": "first", "client_id": "c0"})
    sock.recv_until(lambda f: f["type"] == "ack")
    bad = [
        *({"type": "resume", "after": v} for v in [*TOO_LARGE, -1, 1.5, "7", True, None]),
        *({"type": "read", "message_id": v} for v in [*TOO_LARGE, 0, -1, "7", True]),
    ]
    for frame in bad:
        sock.send(frame)
        error = sock.recv_until(lambda f: f["type"] in ("error", "message", "conversation"))
        assert error["type"] == "error" and error["detail"], (frame, error)
    sock.send({"type": "resume", "after": MAX})  # the largest cursor: nothing after it, but fine
    assert sock.recv_until(lambda f: f["type"] in ("error", "conversation"))["type"] == "conversation"
    sock.send({"type": "message", "text": "still open", "client_id": "c1"})
    assert sock.recv_until(lambda f: f["type"] == "ack")["client_id"] == "c1"
    sock.close()


def test_staff_frames_with_out_of_range_integers_get_error_frames(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    session = visitor_session(server, key)
    said = httpx.post(
        f"{server.url}/webchat", json={"text": "hello"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    ).json()
    conversation_id, message_id = said["conversation_id"], said["message_id"]
    assert admin.token
    sock: Sock = staff_socket(server, admin.token)
    bad = [
        *({"type": "typing", "conversation_id": v} for v in [*TOO_LARGE, 0, True]),
        *({"type": "read", "conversation_id": v, "message_id": message_id} for v in TOO_LARGE),
        *({"type": "read", "conversation_id": conversation_id, "message_id": v} for v in [*TOO_LARGE, 0, False]),
        *({"type": "send", "conversation_id": v, "text": "x", "client_id": "bad"} for v in TOO_LARGE),
    ]
    for frame in bad:
        sock.send(frame)
        error = sock.recv_until(lambda f: f["type"] in ("error", "ack"))
        assert error["type"] == "error" and error["detail"], (frame, error)
    sock.send({"type": "send", "conversation_id": conversation_id, "text": "still open", "client_id": "ok"})
    ack = sock.recv_until(lambda f: f["type"] in ("error", "ack"))
    assert ack["type"] == "ack" and ack["client_id"] == "ok" and ack["message_id"] > message_id
    sock.close()


def test_days_at_the_ends_of_the_calendar_are_refused_or_answered(server: LiveServer, shop: tuple[Api, str]) -> None:
    """Dates are strings that become numbers too: a day with no next day, or one a time zone shifts out of
    the calendar, is a 4xx (or a plain answer), never an overflow."""
    admin, _ = shop
    for path in ("/api/v1/analytics/summary", "/api/v1/analytics/export.csv", "/admin/api/history"):
        for params in (
            {"from": "9999-12-01", "to": "9999-12-31"},
            {"from": "0001-01-01", "to": "0001-01-02", "tz": "America/Los_Angeles"},
            {"from": "0001-01-01", "to": "0001-01-02", "tz": "Pacific/Kiritimati"},
        ):
            response = admin.get(path, params=params)
            assert response.status_code < 500, (path, params, response.text)
    assert admin.get("/admin/api/history", params={"to": "9999-12-31"}).status_code == 200
    refused = admin.get("/api/v1/analytics/summary", params={"from": "9999-12-01", "to": "9999-12-31"})
    assert refused.status_code == 422 and "between" in refused.json()["detail"]
