"""Availability, auto-assignment and business hours against the real server, on both databases: the
fewest-open agent below their cap gets a new conversation, the rest wait oldest first until someone has
room; away agents get nothing and do not count as online for the widget; a reopened conversation goes back
to its last assignee when they are available; outside hours the widget hears `open_now: false`; the server's
own messages come in the widget's language."""

from __future__ import annotations

from tests.conftest import BACKENDS
from tests.routing_support import ALWAYS_OPEN, NEVER_OPEN, assignee, choose, new_chat, set_cap, settings
from tests.support import LiveServer, add_user, make_tenant, staff_socket, visitor_session

pytestmark = BACKENDS


def test_fewest_open_below_the_cap_then_a_queue_oldest_first(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    ann_api, ann = add_user(admin, name="Ann")
    bo_api, bo = add_user(admin, name="Bo")
    set_cap(admin, ann["id"], 1)
    set_cap(admin, bo["id"], 1)
    before = new_chat(server, key)  # auto-assignment off: stays unassigned
    ann_sock = staff_socket(server, ann_api.token or "")
    assert assignee(admin, before) is None
    settings(admin, auto_assign=True)  # turned on: what waits goes to whoever has room
    assert assignee(admin, before) == ann["id"]
    bo_sock = staff_socket(server, bo_api.token or "")
    second = new_chat(server, key)
    assert assignee(admin, second) == bo["id"]  # Ann is at her cap
    third, fourth = new_chat(server, key), new_chat(server, key)
    assert assignee(admin, third) is None and assignee(admin, fourth) is None  # both at their caps: waiting

    closed = admin.patch(f"/admin/api/conversations/{before}", {"status": "closed"})
    assert closed.status_code == 200, closed.text
    assert assignee(admin, third) == ann["id"]  # the oldest waiting one, to the agent with room
    assert assignee(admin, fourth) is None
    set_cap(admin, bo["id"], None)  # no cap: Bo takes the last one
    assert assignee(admin, fourth) == bo["id"]

    # Both without caps now, Ann with 1 open and Bo with 2: the next goes to Ann, then a tie (2 and 2) goes to
    # the one assigned least recently: Bo (fourth) was assigned after Ann (this one).
    set_cap(admin, ann["id"], None)
    assert assignee(admin, new_chat(server, key)) == ann["id"]
    assert assignee(admin, new_chat(server, key)) == bo["id"]

    events = admin.get("/api/v1/events", params={"action": "conversation.assigned"}).json()["events"]
    assigned = [(int(e["target"]["id"]), e["detail"]["assignee_id"]) for e in reversed(events)]
    assert assigned[:4] == [(before, ann["id"]), (second, bo["id"]), (third, ann["id"]), (fourth, bo["id"])]
    assert all(e["actor"]["type"] == "system" and e["detail"]["auto"] for e in events)
    ann_sock.close()
    bo_sock.close()


def test_away_agents_get_nothing_and_the_widget_sees_nobody(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    settings(admin, auto_assign=True)
    ann_api, ann = add_user(admin, name="Ann")
    ann_sock = staff_socket(server, ann_api.token or "")
    assert visitor_session(server, key)["staff_online"] is True

    assert choose(ann_api, "away") == {"id": ann["id"], "availability": "away", "available": False}
    presence = ann_sock.recv_until(lambda f: f["type"] == "presence" and f["availability"] == {str(ann["id"]): "away"})
    assert presence["staff_online"] is False and presence["online_user_ids"] == [ann["id"]]
    assert visitor_session(server, key)["staff_online"] is False
    waiting = new_chat(server, key)
    assert assignee(admin, waiting) is None
    [member] = [m for m in ann_api.get("/api/v1/team").json() if m["id"] == ann["id"]]
    assert (member["online"], member["available"], member["availability"]) == (True, False, "away")

    # Away is kept across sockets: a reconnect does not make her available.
    ann_sock.close()
    ann_sock = staff_socket(server, ann_api.token or "")
    assert assignee(admin, waiting) is None

    assert choose(ann_api, "online")["available"] is True  # back: the waiting conversation is hers at once
    assert assignee(admin, waiting) == ann["id"]
    ann_sock.recv_until(lambda f: f["type"] == "conversation_updated" and f["conversation"]["id"] == waiting)
    assert visitor_session(server, key)["staff_online"] is True

    assert ann_api.patch("/api/v1/auth/me", {"availability": "busy"}).status_code == 422
    assert admin.patch(f"/api/v1/users/{ann['id']}", {"max_open": -1}).status_code == 422
    changes = admin.get("/api/v1/events", params={"action": "user.availability"}).json()["events"]
    assert [e["detail"]["availability"] for e in changes] == ["online", "away"]
    ann_sock.close()


def test_a_reopened_conversation_returns_to_its_last_assignee_when_available(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    settings(admin, auto_assign=True)
    ann_api, ann = add_user(admin, name="Ann")
    bo_api, bo = add_user(admin, name="Bo")
    ann_sock = staff_socket(server, ann_api.token or "")
    chat = new_chat(server, key)
    assert assignee(admin, chat) == ann["id"]
    assert admin.patch(f"/admin/api/conversations/{chat}", {"status": "closed"}).status_code == 200
    bo_sock = staff_socket(server, bo_api.token or "")
    assert admin.patch(f"/admin/api/conversations/{chat}", {"status": "open"}).status_code == 200
    assert assignee(admin, chat) == ann["id"]  # Bo has fewer, but it returns to Ann

    assert admin.patch(f"/admin/api/conversations/{chat}", {"status": "closed"}).status_code == 200
    choose(ann_api, "away")
    assert admin.patch(f"/admin/api/conversations/{chat}", {"status": "open"}).status_code == 200
    assert assignee(admin, chat) == bo["id"]  # Ann is away: routed like a new one
    ann_sock.close()
    bo_sock.close()


def test_business_hours_and_the_widget_language(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    ann_api, _ = add_user(admin, name="Ann")
    ann_sock = staff_socket(server, ann_api.token or "")
    saved = settings(admin, business_hours=NEVER_OPEN, language="fr")
    assert saved["business_hours"] == {"timezone": "Europe/Paris", "week": {}}
    session = visitor_session(server, key)
    assert (session["open_now"], session["staff_online"]) == (False, False)  # Ann is online, but it is closed
    assert session["settings"]["away_message"].startswith("Nous sommes absents")
    settings(admin, away_message="Back on Monday!")
    assert visitor_session(server, key)["settings"]["away_message"] == "Back on Monday!"

    settings(admin, business_hours=ALWAYS_OPEN)
    session = visitor_session(server, key)
    assert (session["open_now"], session["staff_online"]) == (True, True)

    chat = new_chat(server, key)
    assert admin.patch(f"/admin/api/conversations/{chat}", {"status": "closed"}).status_code == 200
    messages = admin.get(f"/admin/api/conversations/{chat}/messages").json()["messages"]
    assert messages[-1]["sender"] == "system" and messages[-1]["text"] == "Cette conversation a été fermée."

    for bad in (
        {"timezone": "Mars/Olympus", "week": {}},
        {"timezone": "Europe", "week": {}},  # a directory of zones, not a zone
        {"week": {"mon": [["17:00", "09:00"]]}},
        {"week": {"mon": [["09:00", "25:00"]]}},
        {"week": {"someday": [["09:00", "17:00"]]}},
    ):
        response = admin.patch("/api/v1/tenant", {"settings": {"business_hours": bad}})
        assert response.status_code == 422 and "detail" in response.json(), bad
    assert admin.patch("/api/v1/tenant", {"settings": {"timezone": "America"}}).status_code == 422
    ann_sock.close()


def test_three_agents_caps_away_and_no_socket_then_the_queue_drains_when_one_comes_online(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    settings(admin, auto_assign=True)
    (ann_api, ann), (bo_api, bo), (cy_api, cy) = (add_user(admin, name=n) for n in ("Ann", "Bo", "Cy"))
    set_cap(admin, ann["id"], 2)
    set_cap(admin, bo["id"], 1)
    set_cap(admin, cy["id"], 3)
    ann_sock = staff_socket(server, ann_api.token or "")
    bo_sock = staff_socket(server, bo_api.token or "")
    choose(bo_api, "away")  # signed in but away; Cy has no socket at all

    chats = [new_chat(server, key, f"question {n}") for n in range(4)]
    assert [assignee(admin, c) for c in chats] == [ann["id"], ann["id"], None, None]  # Ann's cap is 2

    cy_sock = staff_socket(server, cy_api.token or "")  # Cy signs in: what waits is hers, oldest first
    for waiting in chats[2:]:
        cy_sock.recv_until(lambda f, w=waiting: f["type"] == "conversation_updated" and f["conversation"]["id"] == w)
    assert [assignee(admin, c) for c in chats] == [ann["id"], ann["id"], cy["id"], cy["id"]]
    assert choose(bo_api, "online")["available"] is True  # back, but nothing waits: Bo gets nothing
    assert all(assignee(admin, c) != bo["id"] for c in chats)
    for sock in (ann_sock, bo_sock, cy_sock):
        sock.close()
