"""Three real server processes on one PostgreSQL database and one Redis prefix, with each client talking to
the process a load balancer gave it: live messages and typing both ways, a visitor's tabs on two processes,
revocations closing sockets everywhere, and staff presence crossing processes. One cluster serves the module;
each test isolates itself with a tenant of its own. (A process killed mid-stream: test_multiprocess_crash.py.)"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.cluster import Cluster
from tests.support import (
    Api,
    LiveServer,
    Sock,
    add_user,
    eventually,
    login,
    make_tenant,
    message_row,
    query,
    staff_socket,
    visitor_session,
    visitor_socket,
)

Frame = dict[str, Any]
PRESENCE_TTL_SECONDS = 15.0  # the default
ROUNDS = 20  # a race between processes shows in some rounds, not every one


@pytest.fixture(scope="module")
def cluster(make_module_cluster: Callable[..., Cluster]) -> Cluster:
    return make_module_cluster(3)


def is_message(text: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "message" and f["message"]["text"] == text


def is_ack(client_id: str) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "ack" and f["client_id"] == client_id


def is_presence(online: bool) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "presence" and f["staff_online"] is online


def message_ids(frames: list[Frame]) -> list[int]:
    return [f["message"]["id"] for f in frames if f["type"] == "message"]


def close_of(sock: Sock) -> tuple[int, str]:
    """Read until the server closes the socket: the code and reason it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv(timeout=10)
    assert closed.value.rcvd is not None, "the connection dropped without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def staff_joined(server: LiveServer, token: str) -> tuple[Sock, Frame]:
    """A staff socket and the presence frame the server sends when it joins."""
    sock = Sock(connect(f"{server.ws_url}/admin-ws", open_timeout=5))
    sock.send({"type": "auth", "token": token})
    return sock, sock.recv_until(lambda f: f["type"] == "presence")


def me(server: LiveServer, token: str) -> int:
    return httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_visitor_on_one_process_and_staff_on_two_others_see_each_other_live(cluster: Cluster) -> None:
    p1, p2, p3 = cluster
    admin, key = make_tenant(p1)
    ann_api, ann = add_user(admin, name="Ann")
    tess_api, tess = add_user(admin, name="Tess")
    ann_sock, tess_sock = staff_socket(p2, ann_api.token or ""), staff_socket(p3, tess_api.token or "")
    visitor = visitor_socket(p1, visitor_session(p1, key))
    seen_by_visitor: list[Frame] = []

    visitor.send({"type": "message", "text": "Where is my parcel?", "client_id": "v-1"})
    ack = visitor.recv_until(is_ack("v-1"))
    for sock in (ann_sock, tess_sock):
        frame = sock.recv_until(is_message("Where is my parcel?"))
        assert frame["message"]["id"] == ack["message_id"] and frame["message"]["sender"] == "visitor"
        assert frame["conversation"]["unread_count"] == 1
    conversation_id = frame["conversation"]["id"]

    visitor.send({"type": "typing"})
    for sock in (ann_sock, tess_sock):
        typing = sock.recv_until(lambda f: f["type"] == "typing")
        assert typing == {"type": "typing", "conversation_id": conversation_id, "sender": "visitor"}
    ann_sock.send({"type": "typing", "conversation_id": conversation_id})
    seen_by_visitor += visitor.recv_through(lambda f: f["type"] == "typing")
    assert seen_by_visitor[-1] == {"type": "typing", "name": "Ann"}
    typing = tess_sock.recv_until(lambda f: f["type"] == "typing")
    assert typing["sender"] == "staff" and typing["user"] == {"id": ann["id"], "name": "Ann"}

    # Ann answers on her socket (process 2); Tess over HTTP on process 3.
    ann_sock.send({"type": "send", "conversation_id": conversation_id, "text": "On its way", "client_id": "a-1"})
    ann_ack = ann_sock.recv_until(is_ack("a-1"))
    seen_by_visitor += visitor.recv_through(is_message("On its way"))
    assert seen_by_visitor[-1]["message"]["id"] == ann_ack["message_id"]
    assert seen_by_visitor[-1]["message"]["author"]["name"] == "Ann"
    assert tess_sock.recv_until(is_message("On its way"))["message"]["id"] == ann_ack["message_id"]
    reply = tess_api.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Tracking: 42"})
    assert reply.status_code == 200, reply.text
    seen_by_visitor += visitor.recv_through(is_message("Tracking: 42"))
    assert ann_sock.recv_until(is_message("Tracking: 42"))["message"]["author"]["id"] == tess["id"]

    # Each reply reached the visitor once, and its own message never came back as an echo.
    assert message_ids(seen_by_visitor) == [ann_ack["message_id"], reply.json()["message_id"]]

    # The visitor's read receipt (process 1) reaches both staff members.
    read_id = reply.json()["message_id"]
    visitor.send({"type": "read", "message_id": read_id})
    for sock in (ann_sock, tess_sock):
        sock.recv_until(
            lambda f: f["type"] == "message" and f["message"]["id"] == read_id and f["message"]["status"] == "read"
        )
    for sock in (visitor, ann_sock, tess_sock):
        sock.close()


def test_a_visitors_tabs_on_two_processes_each_get_every_message_once(cluster: Cluster) -> None:
    p1, p2, p3 = cluster
    admin, key = make_tenant(p1)
    session = visitor_session(p1, key)
    tab1, tab2 = visitor_socket(p1, session), visitor_socket(p2, session)
    for tab in (tab1, tab2):  # both joined: their first frame is the presence the server sends on auth
        tab.recv_until(lambda f: f["type"] == "presence")
    frames1: list[Frame] = []
    frames2: list[Frame] = []

    tab1.send({"type": "message", "text": "from tab one", "client_id": "t1"})
    one = tab1.recv_until(is_ack("t1"))["message_id"]
    frames2 += tab2.recv_through(is_message("from tab one"))
    tab2.send({"type": "message", "text": "from tab two", "client_id": "t2"})
    frames2 += tab2.recv_through(is_ack("t2"))
    two = frames2[-1]["message_id"]
    frames1 += tab1.recv_through(is_message("from tab two"))

    conversation_id = Api(p3, admin.token).get("/admin/api/convos").json()["conversations"][0]["id"]
    replies = []
    for text in ("reply from process 3", "the last one"):
        sent = Api(p3, admin.token).post("/admin/api/send", {"conversation_id": conversation_id, "text": text})
        assert sent.status_code == 200, sent.text
        replies.append(sent.json()["message_id"])
    frames1 += tab1.recv_through(is_message("the last one"))
    frames2 += tab2.recv_through(is_message("the last one"))

    # Frames arrive in the order queued, so nothing is still to come before "the last one": each tab got
    # the other tab's message and both replies, once each, and never its own message back.
    assert message_ids(frames1) == [two, *replies]
    assert message_ids(frames2) == [one, *replies]

    closed = Api(p2, admin.token).patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    assert closed.status_code == 200, closed.text
    for tab in (tab1, tab2):  # the conversation's state reaches both tabs too
        state = tab.recv_until(lambda f: f["type"] == "conversation")
        assert state["conversation"] == {"id": conversation_id, "status": "closed", "escalated": False}
    tab1.close()
    tab2.close()


def over_socket(sock: Sock, frame: Frame) -> int | str:
    """Send a message frame; the id its ack names, or the error."""
    sock.send(frame)
    answer = sock.recv_until(lambda f: f["type"] in ("ack", "error") and f.get("client_id") == frame["client_id"])
    return int(answer["message_id"]) if answer["type"] == "ack" else str(answer["detail"])


def over_http(url: str, token: str, body: Frame) -> int | str:
    """POST a message; the id the answer names, or the answer."""
    answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    return int(answer.json()["message_id"]) if answer.status_code == 200 else f"{answer.status_code} {answer.text}"


def at_once(*senders: Callable[[], int | str]) -> list[int | str]:
    """Run the senders on threads released together; their answers, in order."""
    start = threading.Barrier(len(senders))
    answers: list[int | str] = [""] * len(senders)

    def run(index: int, send: Callable[[], int | str]) -> None:
        start.wait()
        answers[index] = send()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_one_client_id_sent_at_once_on_three_processes_is_stored_once(cluster: Cluster) -> None:
    """A message whose socket frame and HTTP retries reach three processes at the same moment (a flaky
    network, a load balancer spreading them), from a visitor and from staff: all three are answered with
    the one stored message. Before the fix, the process that lost the race answered 500 in some rounds."""
    p1, p2, p3 = cluster
    admin, key = make_tenant(p1)
    session = visitor_session(p1, key)
    visitor = visitor_socket(p1, session)
    visitor.recv_until(lambda f: f["type"] == "presence")
    staff = staff_socket(p1, admin.token or "")
    token, visitor_token = admin.token or "", session["visitor_token"]
    run = uuid.uuid4().hex[:8]  # client ids of this test alone: other tests share the database
    for attempt in range(ROUNDS):
        said = {"text": f"visitor, round {attempt}", "client_id": f"v-{run}-{attempt}"}
        answers = at_once(
            partial(over_socket, visitor, {"type": "message", **said}),
            partial(over_http, f"{p2.url}/webchat", visitor_token, said),
            partial(over_http, f"{p3.url}/webchat", visitor_token, said),
        )
        stored = query(p1, "SELECT id FROM messages WHERE client_id = ? AND sender = 'visitor'", said["client_id"])
        assert answers == [stored[0][0]] * 3 and len(stored) == 1, f"round {attempt}: {answers}, {stored}"
        conversation_id = message_row(p1, stored[0][0])["conversation_id"]
        reply = {
            "conversation_id": conversation_id,
            "text": f"staff, round {attempt}",
            "client_id": f"s-{run}-{attempt}",
        }
        answers = at_once(
            partial(over_socket, staff, {"type": "send", **reply}),
            partial(over_http, f"{p2.url}/admin/api/send", token, reply),
            partial(over_http, f"{p3.url}/admin/api/send", token, reply),
        )
        stored = query(p1, "SELECT id FROM messages WHERE client_id = ? AND sender = 'staff'", reply["client_id"])
        assert answers == [stored[0][0]] * 3 and len(stored) == 1, f"round {attempt}: {answers}, {stored}"
    visitor.close()
    staff.close()


def test_a_logout_and_a_disabled_account_close_staff_sockets_on_every_process(cluster: Cluster) -> None:
    p1, p2, p3 = cluster
    admin, _ = make_tenant(p1)
    member_api, member = add_user(admin, name="Mo")
    laptop = [staff_socket(server, member_api.token or "") for server in cluster]
    phone_token = login(p2, member["email"], member["password"])["access_token"]
    phone = [staff_socket(server, phone_token) for server in (p2, p3)]

    assert member_api.post("/api/v1/auth/logout").status_code == 204  # on process 1
    for sock in laptop:
        assert close_of(sock) == (4401, "logged out")
    # Each process dropped the token it had cached (the drop travels ahead of the close).
    assert [me(server, member_api.token or "") for server in cluster] == [401, 401, 401]
    assert [me(server, phone_token) for server in cluster] == [200, 200, 200]

    disabled = Api(p3, admin.token).patch(f"/api/v1/users/{member['id']}", {"disabled": True})
    assert disabled.status_code == 200, disabled.text
    for sock in phone:  # still open after the logout: they close now, for the disabled account
        assert close_of(sock) == (4401, "account disabled")
    assert [me(server, phone_token) for server in cluster] == [401, 401, 401]


def test_staff_presence_crosses_processes(cluster: Cluster) -> None:
    p1, p2, p3 = cluster
    admin, key = make_tenant(p1)
    admin_id = admin.get("/api/v1/auth/me").json()["id"]
    teammate_api, teammate = add_user(admin, name="Tess")
    assert visitor_session(p1, key)["staff_online"] is False
    visitor = visitor_socket(p1, visitor_session(p1, key))
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is False

    on_p2 = staff_socket(p2, admin.token or "")
    visitor.recv_until(is_presence(True))
    assert visitor_session(p1, key)["staff_online"] is True  # the widget's session, answered by process 1
    on_p3, joined = staff_joined(p3, teammate_api.token or "")
    both = sorted([admin_id, teammate["id"]])
    assert joined["online_user_ids"] == both  # process 3 already knew of the admin on process 2
    on_p2.recv_until(lambda f: f["type"] == "presence" and f["online_user_ids"] == both)

    def team_online() -> dict[int, bool]:
        return {m["id"]: m["online"] for m in Api(p1, admin.token).get("/api/v1/team").json()}

    eventually(lambda: team_online() == {admin_id: True, teammate["id"]: True})

    on_p2.close()
    on_p3.recv_until(lambda f: f["type"] == "presence" and f["online_user_ids"] == [teammate["id"]])
    on_p3.close()
    frames = visitor.recv_through(is_presence(False))
    # After "online", the widget heard only "offline": a second staff member coming and going is no news.
    assert [f["staff_online"] for f in frames if f["type"] == "presence"] == [False]
    assert visitor_session(p1, key)["staff_online"] is False
    visitor.close()


def test_a_process_stopping_cleanly_takes_its_staff_out_of_presence_at_once(cluster: Cluster) -> None:
    """Last in the module: it restarts process 3. A clean stop announces its staff's departure rather than
    leaving them to expire with its presence TTL (15 s here, so the frame proves the announcement)."""
    p1, p3 = cluster[0], cluster[2]
    admin, key = make_tenant(p1)
    visitor = visitor_socket(p1, visitor_session(p1, key))
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is False
    staff = staff_socket(p3, admin.token or "")
    visitor.recv_until(is_presence(True))
    p3.stop()  # SIGTERM: uvicorn closes its sockets and runs the shutdown
    assert close_of(staff)[0] == 1012
    visitor.recv_until(is_presence(False), timeout=PRESENCE_TTL_SECONDS * 2 / 3)
    p3.start()
    staff = staff_socket(p3, admin.token or "")  # the restarted process joins the deployment again
    visitor.recv_until(is_presence(True))
    visitor.send({"type": "message", "text": "anyone back?", "client_id": "back"})
    assert staff.recv_until(is_message("anyone back?"))["message"]["sender"] == "visitor"
    staff.close()
    visitor.close()


def test_a_file_uploaded_on_one_process_is_served_and_attached_by_the_others(cluster: Cluster) -> None:
    p1, p2, p3 = cluster
    admin, key = make_tenant(p1)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    uploaded = httpx.post(
        f"{p1.url}/api/v1/uploads",
        files={"file": ("p.png", data, "image/png")},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert uploaded.status_code == 201, uploaded.text
    # The bytes are in the shared database and every process signs with the same key.
    for process in (p2, p3):
        assert httpx.get(process.url + uploaded.json()["url"]).content == data
    session = visitor_session(p1, key)
    hello = httpx.post(
        f"{p1.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    sent = httpx.post(
        f"{p3.url}/admin/api/send",
        json={
            "conversation_id": hello.json()["conversation_id"],
            "text": "",
            "attachment_ids": [uploaded.json()["id"]],
        },
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert sent.status_code == 200, sent.text
    assert httpx.get(p2.url + sent.json()["message"]["attachments"][0]["url"]).content == data
