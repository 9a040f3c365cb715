"""Contacts as people against the real server: search and page them, edit them, and merge a web visitor with
an SMS number so both addresses keep writing into one thread; merges are audited, announced, tenant-scoped
and safe to run twice at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio
from tests.pg_races import Racers, row_held
from tests.sms_support import SmsShop, phone, sms_server, sms_shop
from tests.support import LiveServer, eventually, make_tenant, query, staff_socket, visitor_session, visitor_socket

pytestmark = BACKENDS
PATH = "/admin/api/contacts"


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio
) -> Iterator[LiveServer]:
    live = sms_server(make_server, tmp_path_factory.mktemp("contacts"), twilio).start()
    yield live
    live.stop()


def visitor_says(server: LiveServer, session: dict[str, Any], text: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def contact_with(shop: SmsShop, external_id: str) -> dict[str, Any]:
    found = [c for c in shop.admin.get(PATH, params={"q": external_id}).json()["contacts"]]
    assert len(found) == 1, found
    return found[0]


def web_and_sms(server: LiveServer, twilio: FakeTwilio) -> tuple[SmsShop, dict[str, Any], str]:
    shop = sms_shop(server, twilio)
    key = shop.admin.get("/api/v1/tenant").json()["widget_key"]
    session = visitor_session(server, key, name="Vera Visitor", email="vera@example.com")
    visitor_says(server, session, "hello from the web")
    number = phone()
    assert shop.text_in("hello by text", number).status_code == 200
    return shop, session, number


def test_search_page_edit_and_tenant_scope(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    other_admin, _ = make_tenant(server)
    for i in range(3):
        visitor_says(server, visitor_session(server, key, name=f"Person {i}", email=f"p{i}@example.com"), f"hi {i}")
    page1 = admin.get(PATH, params={"limit": 2}).json()
    assert [c["name"] for c in page1["contacts"]] == ["Person 2", "Person 1"]
    page2 = admin.get(PATH, params={"limit": 2, "before": page1["next_before"]}).json()
    assert [c["name"] for c in page2["contacts"]] == ["Person 0"] and page2["next_before"] is None
    assert [c["name"] for c in admin.get(PATH, params={"q": "P1@EXAMPLE"}).json()["contacts"]] == ["Person 1"]
    assert admin.get(PATH, params={"q": "%"}).json()["contacts"] == []
    assert other_admin.get(PATH).json()["contacts"] == []
    contact = page1["contacts"][0]
    detail = admin.get(f"{PATH}/{contact['id']}").json()
    assert [c["last_text"] for c in detail["conversations"]] == ["hi 2"]
    assert detail["identities"] == [
        {"id": contact["id"], "channel": "webchat", "external_id": contact["external_id"], "opted_out": False}
    ]
    edited = admin.patch(f"{PATH}/{contact['id']}", {"name": " Pat ", "phone": "+1 555 0100", "note": "VIP"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["phone"], edited.json()["note"]) == ("Pat", "+1 555 0100", "VIP")
    assert admin.patch(f"{PATH}/{contact['id']}", {"note": ""}).json()["note"] is None
    # Bad input is a 4xx with a detail and changes nothing; another tenant's contact is a 404.
    for bad in ({}, {"email": "not-an-email"}, {"phone": "call me"}, {"name": "x" * 121}):
        response = admin.patch(f"{PATH}/{contact['id']}", bad)
        assert response.status_code == 422 and response.json()["detail"], bad
    assert admin.get(f"{PATH}/{contact['id']}").json()["name"] == "Pat"
    assert other_admin.get(f"{PATH}/{contact['id']}").status_code == 404
    assert other_admin.patch(f"{PATH}/{contact['id']}", {"name": "hijack"}).status_code == 404
    assert admin.get(f"{PATH}/99999999").status_code == 404
    assert admin.get(PATH, params={"limit": 0}).status_code == 422
    assert httpx.get(f"{server.url}{PATH}").status_code == 401


def test_merge_web_visitor_and_sms_number_into_one_thread(server: LiveServer, twilio: FakeTwilio) -> None:
    shop, session, number = web_and_sms(server, twilio)
    admin = shop.admin
    visitor, texter = contact_with(shop, session["visitor_id"]), contact_with(shop, number)
    kept = admin.get(f"{PATH}/{visitor['id']}").json()["conversations"][0]
    merged_away = admin.get(f"{PATH}/{texter['id']}").json()["conversations"][0]
    staff = staff_socket(server, admin.token or "")
    merged = admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": texter["id"]})
    assert merged.status_code == 200, merged.text
    person = merged.json()
    assert {i["external_id"] for i in person["identities"]} == {session["visitor_id"], number}
    assert {c["id"] for c in person["conversations"]} == {kept["id"], merged_away["id"]}
    # Both were open: the SMS one closes, pointing at the kept thread, and staff are told.
    status = {c["id"]: c["status"] for c in person["conversations"]}
    assert status == {kept["id"]: "open", merged_away["id"]: "closed"}
    updated = staff.recv_until(lambda f: f["type"] == "conversation_updated")
    assert updated["conversation"]["id"] == merged_away["id"] and updated["conversation"]["status"] == "closed"
    # The merged contact is gone from the list and searchable by either address.
    assert contact_with(shop, number)["id"] == visitor["id"]
    assert admin.get(f"{PATH}/{texter['id']}").status_code == 404
    # The number's next SMS and the visitor's next message land in the kept thread.
    assert shop.text_in("texting again", number).status_code == 200
    assert visitor_says(server, session, "and the web again")["conversation_id"] == kept["id"]
    texts = [m["text"] for m in admin.get(f"/admin/api/conversations/{kept['id']}/messages").json()["messages"]]
    assert texts[-2:] == ["texting again", "and the web again"]
    # STOP sent into the web thread still opts the number out (not the visitor).
    assert shop.text_in("STOP", number).status_code == 200
    opted = {i["external_id"]: i["opted_out"] for i in admin.get(f"{PATH}/{visitor['id']}").json()["identities"]}
    assert opted == {session["visitor_id"]: False, number: True}
    audit = query(
        server,
        "SELECT actor_type, detail FROM events WHERE action = 'contact.merged' AND target_id = ?",
        str(visitor["id"]),
    )
    assert len(audit) == 1 and audit[0][0] == "user" and str(texter["id"]) in audit[0][1]
    # Merging into itself, with a merged-away contact, or across tenants is a 4xx that changes nothing.
    assert admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": visitor["id"]}).status_code == 422
    assert admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": texter["id"]}).status_code == 404
    assert admin.post(f"{PATH}/{texter['id']}/merge", {"other_id": visitor["id"]}).status_code == 404
    stranger, stranger_key = make_tenant(server)
    outsider = visitor_says(server, visitor_session(server, stranger_key, name="Out"), "x")
    outsider_contact = stranger.get(PATH).json()["contacts"][0]
    assert admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": outsider_contact["id"]}).status_code == 404
    assert stranger.post(f"{PATH}/{outsider_contact['id']}/merge", {"other_id": visitor["id"]}).status_code == 404
    assert stranger.get(f"/admin/api/conversations/{outsider['conversation_id']}").status_code == 200
    assert admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": "x"}).status_code == 422
    staff.close()


def test_merge_keeps_the_only_open_thread_and_replies_go_to_its_address(server: LiveServer, twilio: FakeTwilio) -> None:
    shop, session, number = web_and_sms(server, twilio)
    visitor, texter = contact_with(shop, session["visitor_id"]), contact_with(shop, number)
    web_thread = shop.admin.get(f"{PATH}/{visitor['id']}").json()["conversations"][0]
    assert shop.admin.patch(f"/admin/api/conversations/{web_thread['id']}", {"status": "closed"}).status_code == 200
    sms_thread = shop.admin.get(f"{PATH}/{texter['id']}").json()["conversations"][0]
    person = shop.admin.post(f"{PATH}/{visitor['id']}/merge", {"other_id": texter["id"]}).json()
    assert {c["id"]: c["status"] for c in person["conversations"]} == {
        web_thread["id"]: "closed",
        sms_thread["id"]: "open",
    }
    # The inbox shows the thread of the number (no name of its own) under the person's name.
    listed = {c["id"]: c["contact"] for c in shop.admin.get("/admin/api/convos").json()["conversations"]}
    assert listed[sms_thread["id"]]["name"] == "Vera Visitor" and listed[sms_thread["id"]]["phone"] == number
    # Only the SMS thread was open: the visitor's next message joins it, and it still replies by SMS.
    assert visitor_says(server, session, "web into the sms thread")["conversation_id"] == sms_thread["id"]
    assert shop.reply(sms_thread["id"], "answer by text").status_code == 200
    sent = eventually(lambda: [r for r in shop.requests(twilio) if r.form.get("Body") == "answer by text"])
    assert sent[0].form["To"] == number


def test_a_merged_away_visitors_widget_lands_in_the_surviving_thread(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    alice = visitor_session(server, key, name="Alice")
    bob = visitor_session(server, key)  # the same person on another browser, not yet known to be
    kept = visitor_says(server, alice, "hi, Alice here")["conversation_id"]
    gone = visitor_says(server, bob, "hi again")["conversation_id"]
    alice_id, bob_id = (contact_with_id(admin, s["visitor_id"]) for s in (alice, bob))
    assert admin.post(f"{PATH}/{alice_id}/merge", {"other_id": bob_id}).status_code == 200
    # Bob's widget, reconnecting, is shown the surviving thread: its state and its messages.
    tab = visitor_socket(server, bob)
    tab.send({"type": "resume", "after": 0})
    replayed = tab.recv_through(lambda f: f["type"] == "conversation")
    assert replayed[-1]["conversation"] == {"id": kept, "status": "open", "escalated": False}
    texts = [f["message"]["text"] for f in replayed if f["type"] == "message"]
    assert "hi, Alice here" in texts and "hi again" in texts
    # What Bob writes lands there, and the team's answer reaches Bob's widget live and when polled.
    assert visitor_says(server, bob, "from the other browser")["conversation_id"] == kept
    answer = admin.post("/admin/api/send", {"conversation_id": kept, "text": "got you both"})
    assert answer.status_code == 200, answer.text
    live = tab.recv_until(lambda f: f["type"] == "message" and f["message"]["id"] == answer.json()["message_id"])
    assert live["message"]["text"] == "got you both" and "conversation" not in live
    headers = {"Authorization": f"Bearer {bob['visitor_token']}"}
    polled = httpx.get(f"{server.url}/api/v1/widget/messages", headers=headers).json()["messages"]
    assert polled[-1]["id"] == answer.json()["message_id"]
    assert {c["id"]: c["contact"]["name"] for c in admin.get("/admin/api/convos").json()["conversations"]} == {
        kept: "Alice"
    }
    assert admin.get(f"/admin/api/conversations/{gone}").json()["status"] == "closed"
    tab.close()


def contact_with_id(admin: Any, external_id: str) -> int:
    [found] = admin.get(PATH, params={"q": external_id}).json()["contacts"]
    return int(found["id"])


def test_two_merges_at_once_leave_one_person(server: LiveServer, twilio: FakeTwilio) -> None:
    shop, session, number = web_and_sms(server, twilio)
    a, b = contact_with(shop, session["visitor_id"]), contact_with(shop, number)
    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(shop.admin.post, f"{PATH}/{a['id']}/merge", {"other_id": b["id"]})
        two = pool.submit(shop.admin.post, f"{PATH}/{b['id']}/merge", {"other_id": a["id"]})
        codes = sorted([one.result().status_code, two.result().status_code])
    assert codes == [200, 404]
    people = shop.admin.get(PATH, params={"q": number}).json()["contacts"]
    assert len(people) == 1
    person = shop.admin.get(f"{PATH}/{people[0]['id']}").json()
    assert {i["external_id"] for i in person["identities"]} == {session["visitor_id"], number}
    assert [c["status"] for c in person["conversations"]].count("open") == 1


def test_a_merged_person_merged_again_brings_all_its_addresses(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    sessions = [visitor_session(server, key, name=f"Same {i}") for i in range(3)]
    threads = [visitor_says(server, s, f"hi {i}")["conversation_id"] for i, s in enumerate(sessions)]
    ids = [c["id"] for c in reversed(admin.get(PATH).json()["contacts"])]
    assert admin.post(f"{PATH}/{ids[1]}/merge", {"other_id": ids[2]}).status_code == 200
    person = admin.post(f"{PATH}/{ids[0]}/merge", {"other_id": ids[1]}).json()
    assert [i["id"] for i in person["identities"]] == ids
    assert [c["status"] for c in person["conversations"]].count("open") == 1
    assert [c["id"] for c in admin.get(PATH).json()["contacts"]] == [ids[0]]
    # Every address now writes into the one open thread, the first contact's.
    for i, session in enumerate(sessions):
        assert visitor_says(server, session, f"again {i}")["conversation_id"] == threads[0]


def test_merges_racing_on_postgresql_wait_for_the_row_lock(server: LiveServer, twilio: FakeTwilio) -> None:
    """Both merges have read nothing yet when the test releases them: they queue on the contact row lock,
    and the second finds its pair already merged."""
    if not server.database_url:
        pytest.skip("SQLite runs one write at a time")
    shop, session, number = web_and_sms(server, twilio)
    a, b = contact_with(shop, session["visitor_id"]), contact_with(shop, number)
    third = visitor_session(server, shop.admin.get("/api/v1/tenant").json()["widget_key"], name="Third")
    visitor_says(server, third, "me too")
    c = contact_with(shop, third["visitor_id"])
    with row_held(server.database_url, "contacts", b["id"]) as hold:  # the contact both merges want
        racers = Racers(
            lambda: shop.admin.post(f"{PATH}/{a['id']}/merge", {"other_id": b["id"]}).status_code,
            lambda: shop.admin.post(f"{PATH}/{c['id']}/merge", {"other_id": b["id"]}).status_code,
        )
        hold(2)
        codes = racers.results()
    assert sorted(codes) == [200, 404]
    rows = query(
        server, "SELECT id, person_id FROM contacts WHERE id IN (?, ?, ?) ORDER BY id", a["id"], b["id"], c["id"]
    )
    persons = {person for _, person in rows if person is not None}
    assert len(persons) == 1 and persons <= {a["id"], c["id"]}
    open_threads = query(
        server,
        "SELECT count(*) FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id"
        " WHERE ct.person_id = ? AND cv.status = 'open'",
        persons.pop(),
    )
    assert open_threads == [(1,)]
