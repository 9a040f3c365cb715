"""Read-then-write races between server processes on one PostgreSQL database (SQLite runs one write at a
time; PostgreSQL does not). Each test makes its race happen every run with `tests.pg_races.writes_held`:
every racer has done its reads before any of them writes."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

import migrate_schema
from tests import redis_scratch
from tests.cluster import Cluster
from tests.fakes.graph_api import FakeGraph
from tests.fakes.twilio_api import FakeTwilio
from tests.messenger_support import connect_page, new_mid, psid
from tests.pg import ScratchDatabases
from tests.pg_races import Racers, row_held, writes_held
from tests.sms_support import PUBLIC, SmsShop, new_sid, phone, sms_shop
from tests.support import Api, LiveServer, eventually, login, make_tenant, query, visitor_session, visitor_socket


@pytest.fixture(scope="module")
def cluster(
    pg_databases: ScratchDatabases,
    redis_url: str,
    twilio: FakeTwilio,
    graph: FakeGraph,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """Two processes on one database and Redis prefix for the whole module (each test has a tenant of its own)."""
    prefix, url = redis_scratch.new_prefix(), pg_databases.create()
    fakes = {"TWILIO_API_BASE": twilio.url, "GRAPH_API_BASE": graph.base}
    two = Cluster(tmp_path_factory.mktemp("cluster"), url, redis_url, prefix, 2, **fakes)
    two.servers[0].env["PUBLIC_BASE_URL"] = two.servers[1].env["PUBLIC_BASE_URL"] = PUBLIC
    try:
        yield two.start()
    finally:
        two.stop()
        pg_databases.drop(url)
        redis_scratch.delete_prefix(redis_url, prefix)


def test_three_processes_starting_on_an_empty_database_create_one_admin(fresh_pg_url: str, tmp_path: Path) -> None:
    migrate_schema.migrate(fresh_pg_url)  # migrations are already serialised; the race is in the first start
    env = {"DATABASE_URL": fresh_pg_url, "JWT_SECRET": "test-" + secrets.token_urlsafe(32)}
    env["ADMIN_PASSWORD"] = "admin-" + uuid.uuid4().hex[:12]
    servers = []
    for index in range(3):
        (tmp_path / f"process-{index}").mkdir()
        servers.append(LiveServer(tmp_path / f"process-{index}", **env))
    try:
        with writes_held(fresh_pg_url, "tenants", "users") as release:
            racers = Racers(*(live.start for live in servers))
            release(3)  # all three found no user and are about to create the default tenant and its admin
        started = racers.results()
        failed = [re.findall(r"\w+Error: [^\\]*", str(o))[-1:] for o in started if not isinstance(o, LiveServer)]
        assert not failed, failed
        assert query(servers[0], "SELECT id, name FROM tenants") == [(1, "Default")]
        assert query(servers[0], "SELECT tenant_id, email, role FROM users") == [(1, "admin@example.com", "admin")]
        for live in servers:  # the one admin signs in on every process
            assert login(live, "admin@example.com", env["ADMIN_PASSWORD"])["user"]["role"] == "admin"
    finally:
        for live in servers:
            live.stop()


def test_two_settings_patches_on_two_processes_both_stay(cluster: Cluster) -> None:
    first, _ = make_tenant(cluster[0])
    second = Api(cluster[1], first.token)
    with writes_held(cluster.database_url, "tenants") as release:
        racers = Racers(
            lambda: first.patch("/api/v1/tenant", {"settings": {"greeting": "Hello from one"}}),
            lambda: second.patch("/api/v1/tenant", {"settings": {"color": "#ff0000"}}),
        )
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    settings = first.get("/api/v1/tenant").json()["settings"]
    assert (settings["greeting"], settings["color"]) == ("Hello from one", "#ff0000")


def sms_shops(cluster: Cluster, twilio: FakeTwilio) -> tuple[SmsShop, SmsShop]:
    """One SMS shop, whose webhooks can be delivered to either process."""
    on_first = sms_shop(cluster[0], twilio)
    return on_first, dataclasses.replace(on_first, server=cluster[1])


def conversations_of(shop: SmsShop, sender: str) -> list[tuple[int, str]]:
    return query(
        shop.server,
        "SELECT c.id, c.status FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
        " WHERE ct.external_id = ? ORDER BY c.id",
        sender,
    )


@pytest.mark.parametrize("returning", [False, True], ids=["first-texts", "texts-after-a-closed-conversation"])
def test_two_texts_at_once_on_two_processes_open_one_conversation(
    cluster: Cluster, twilio: FakeTwilio, returning: bool
) -> None:
    first, second = sms_shops(cluster, twilio)
    sender = phone()
    if returning:  # a customer whose last conversation was closed: nothing to write for the contact
        assert first.text_in("Earlier", sender).status_code == 200
        earlier = first.conversation_of(sender)["id"]
        assert first.admin.patch(f"/admin/api/conversations/{earlier}", {"status": "closed"}).status_code == 200
    # A long text arrives as two webhooks, here on two processes at once.
    with writes_held(cluster.database_url, "conversations") as release:
        racers = Racers(lambda: first.text_in("Part one", sender), lambda: second.text_in("Part two", sender))
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    assert query(first.server, "SELECT count(*) FROM contacts WHERE external_id = ?", sender) == [(1,)]
    rows = conversations_of(first, sender)
    assert [status for _, status in rows] == ["closed", "open"] if returning else ["open"]
    texts = query(first.server, "SELECT text FROM messages WHERE conversation_id = ? ORDER BY id", rows[-1][0])
    assert sorted(texts) == [("Part one",), ("Part two",)]


def test_one_text_delivered_to_two_processes_at_once_is_stored_once(cluster: Cluster, twilio: FakeTwilio) -> None:
    first, second = sms_shops(cluster, twilio)
    sender = phone()
    assert first.text_in("Hi", sender).status_code == 200
    sid = new_sid()  # Twilio retries a webhook it thinks failed; the retry may reach another process
    with writes_held(cluster.database_url, "messages") as release:
        racers = Racers(lambda: first.text_in("Once", sender, sid), lambda: second.text_in("Once", sender, sid))
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    assert query(first.server, "SELECT count(*) FROM messages WHERE text = 'Once' AND external_id = ?", sid) == [(1,)]


def test_one_staff_reply_resent_to_another_process_at_once_is_stored_once(cluster: Cluster) -> None:
    admin, key = make_tenant(cluster[0])
    session = visitor_session(cluster[0], key)
    sent = httpx.post(
        f"{cluster[0].url}/webchat",
        json={"text": "Hi"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    reply = {"conversation_id": sent.json()["conversation_id"], "text": "Hello!", "client_id": "reply-1"}
    other = Api(cluster[1], admin.token)  # the app resent it over a new connection, on another process
    with writes_held(cluster.database_url, "messages") as release:
        racers = Racers(lambda: admin.post("/admin/api/send", reply), lambda: other.post("/admin/api/send", reply))
        release(2)
    answers = racers.results()
    assert [r.status_code for r in answers] == [200, 200]
    assert len({r.json()["message_id"] for r in answers}) == 1
    stored = query(cluster[0], "SELECT count(*) FROM messages WHERE external_id LIKE '%:reply-1'")
    assert stored == [(1,)]


@pytest.mark.parametrize("second_closer", ["staff", "visitor"])
def test_a_conversation_closed_on_two_processes_at_once_is_closed_once(cluster: Cluster, second_closer: str) -> None:
    admin, key = make_tenant(cluster[0])
    session = visitor_session(cluster[0], key)
    visitor = {"Authorization": f"Bearer {session['visitor_token']}"}
    sent = httpx.post(f"{cluster[0].url}/webchat", json={"text": "Hello"}, headers=visitor)
    assert sent.status_code == 200, sent.text
    conversation_id = sent.json()["conversation_id"]
    if second_closer == "staff":
        other = Api(cluster[1], admin.token)
        second = partial(other.patch, f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    else:  # the visitor ends the chat in the widget, served by the other process
        second = partial(httpx.post, f"{cluster[1].url}/handoff/close", headers=visitor)
    with writes_held(cluster.database_url, "messages") as release:
        racers = Racers(
            partial(admin.patch, f"/admin/api/conversations/{conversation_id}", {"status": "closed"}), second
        )
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    closing = query(
        cluster[0], "SELECT count(*) FROM messages WHERE conversation_id = ? AND sender = 'system'", conversation_id
    )
    assert closing == [(1,)]


def test_one_refresh_token_presented_on_two_processes_at_once_is_reuse(cluster: Cluster) -> None:
    token = login(cluster[0])["refresh_token"]
    payload = token.split(".")[1]
    session_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sid"]
    with writes_held(cluster.database_url, "auth_sessions") as release:
        racers = Racers(
            *(
                partial(httpx.post, f"{live.url}/api/v1/auth/refresh", json={"refresh_token": token})
                for live in cluster.servers
            )
        )
        release(2)
    # As on one process: the first rotates the token, the second presents a dead one and the session dies.
    assert sorted(r.status_code for r in racers.results()) == [200, 401]
    revoked = query(cluster[0], "SELECT revoked_reason FROM auth_sessions WHERE id = ?", session_id)
    assert revoked == [("refresh token reused",)]


def test_two_businesses_saving_one_number_at_once_on_two_processes(cluster: Cluster, twilio: FakeTwilio) -> None:
    number = phone()
    admins = []
    for live in cluster.servers:
        admin, _ = make_tenant(live)
        sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        twilio.add_account(sid, token, number)  # both accounts hold it: the later save takes it, as on SQLite
        admins.append((admin, {"channels": {"sms": {"account_sid": sid, "auth_token": token, "number": number}}}))
    with writes_held(cluster.database_url, "channel_accounts") as release:
        racers = Racers(*(partial(admin.patch, "/api/v1/tenant", body) for admin, body in admins))
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    assert len(query(cluster[0], "SELECT tenant_id FROM channel_accounts WHERE address = ?", number)) == 1


def test_one_messenger_echo_delivered_to_two_processes_at_once_is_stored_once(
    cluster: Cluster, graph: FakeGraph
) -> None:
    first = connect_page(cluster[0], graph)
    second = dataclasses.replace(first, server=cluster[1])
    user, mid = psid(), new_mid()
    assert first.post([first.entry(first.says(user, "Hello"))]).status_code == 200
    echo = first.entry(first.echo(user, "Answered from the Page inbox", mid))  # Meta may deliver it twice
    with writes_held(cluster.database_url, "messages") as release:
        racers = Racers(lambda: first.post([echo]), lambda: second.post([echo]))
        release(2)
    assert [r.status_code for r in racers.results()] == [200, 200]
    assert query(cluster[0], "SELECT count(*) FROM messages WHERE external_id = ?", mid) == [(1,)]


def test_read_marks_from_two_tabs_on_two_processes_never_go_back(cluster: Cluster) -> None:
    admin, key = make_tenant(cluster[0])
    session = visitor_session(cluster[0], key)
    auth = {"Authorization": f"Bearer {session['visitor_token']}"}
    sent = httpx.post(f"{cluster[0].url}/webchat", json={"text": "Hi"}, headers=auth).json()
    conversation_id = sent["conversation_id"]
    replies = [admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": t}) for t in ("A", "B")]
    older, newer = (int(r.json()["message_id"]) for r in replies)
    tabs = [visitor_socket(live, session) for live in cluster.servers]  # one tab on each process
    with row_held(cluster.database_url, "conversations", conversation_id) as hold:
        tabs[0].send({"type": "read", "message_id": newer})
        hold.wait_for(1)  # the newer mark is first in the row's queue
        tabs[1].send({"type": "read", "message_id": older})  # a tab that had not seen the last reply yet
        hold(2)
    for tab in tabs:  # each tab's frames are handled in order: a resume's answer comes after its read
        tab.send({"type": "resume", "after": newer})
        tab.recv_through(lambda f: f["type"] == "conversation")
        tab.close()
    marks = query(cluster[0], "SELECT visitor_read_message_id FROM conversations WHERE id = ?", conversation_id)
    assert marks == [(newer,)]


def test_a_delivery_report_racing_the_send_that_records_its_id_is_applied(cluster: Cluster, twilio: FakeTwilio) -> None:
    """Twilio can call back before our send has stored the SID. Here the report reaches one process while the
    other is recording the SID: both have read (no message holds the SID yet) before either writes."""
    first, second = sms_shops(cluster, twilio)
    sender, sid = phone(), new_sid()
    assert first.text_in("Where is my order?", sender).status_code == 200
    conversation_id = first.conversation_of(sender)["id"]
    twilio.next_sids.append(sid)
    twilio.hold(1)
    reply = first.reply(conversation_id, "It ships today")
    assert reply.status_code == 200, reply.text
    message_id = reply.json()["message_id"]
    twilio.wait_held(1)
    try:
        # The worst order: the report has looked for the SID and waits to keep itself; the send records the
        # SID and looks for kept reports before the report's keeping commits.
        with writes_held(cluster.database_url, "provider_status") as keeping:
            with writes_held(cluster.database_url, "messages") as recording:
                twilio.release()  # the send gets its SID and goes to record it: stopped at its first write
                racers = Racers(lambda: second.status(sid, "delivered", sender))
                recording(2)  # the send is stopped at the SID (or its lock), the report at keeping itself
            keeping(2)
        assert racers.results()[0].status_code in (200, 204)
    finally:
        twilio.release()
    assert eventually(lambda: message_status(first.server, message_id) == "delivered", timeout=10)
    assert query(first.server, "SELECT count(*) FROM provider_status WHERE provider_id = ?", sid) == [(0,)]


def message_status(server: LiveServer, message_id: int) -> str:
    return str(query(server, "SELECT status FROM messages WHERE id = ?", message_id)[0][0])
