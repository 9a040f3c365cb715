"""Saved replies (canned responses) against the real server: admins manage them, any staff member lists
and renders them, shortcuts are unique per tenant, and a template that leaves the allowed language (or
reaches for Python internals) is refused when saved, never rendered."""

from __future__ import annotations

import httpx

from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, make_tenant, visitor_session

pytestmark = BACKENDS
PATH = "/api/v1/canned-responses"


def delete(api: object, path: str) -> httpx.Response:
    client = api.http  # type: ignore[attr-defined]
    return client.delete(path, headers=api.headers())  # type: ignore[attr-defined,no-any-return]


def test_admins_manage_staff_list_and_shortcuts_are_unique_per_tenant(server: LiveServer) -> None:
    admin, _ = make_tenant(server, "Acme")
    agent, _ = add_user(admin, name="Ann")
    other_admin, _ = make_tenant(server)
    created = admin.post(PATH, {"shortcut": "/Hello", "title": "Greeting", "text": "Hi {{ contact.name }}!"})
    assert created.status_code == 201, created.text
    reply = created.json()
    assert (reply["shortcut"], reply["title"], reply["text"]) == ("hello", "Greeting", "Hi {{ contact.name }}!")
    assert admin.post(PATH, {"shortcut": "hello", "text": "again"}).status_code == 409
    assert admin.post(PATH, {"shortcut": "refund", "text": "Refunds take 5 days."}).status_code == 201
    # The same shortcut in another tenant is fine, and neither sees the other's.
    assert other_admin.post(PATH, {"shortcut": "hello", "text": "Bonjour"}).status_code == 201
    listed = agent.get(PATH).json()["canned_responses"]
    assert [r["shortcut"] for r in listed] == ["hello", "refund"]
    assert [r["shortcut"] for r in agent.get(PATH, params={"q": "ref"}).json()["canned_responses"]] == ["refund"]
    assert [r["shortcut"] for r in agent.get(PATH, params={"q": "5 days"}).json()["canned_responses"]] == ["refund"]
    assert agent.get(PATH, params={"q": "%"}).json()["canned_responses"] == []
    # Staff may not manage them.
    assert agent.post(PATH, {"shortcut": "mine", "text": "x"}).status_code == 403
    assert agent.patch(f"{PATH}/{reply['id']}", {"text": "x"}).status_code == 403
    assert delete(agent, f"{PATH}/{reply['id']}").status_code == 403
    # Edit: a taken shortcut is 409, another tenant's id is 404, and nothing changed.
    refund = listed[1]
    assert admin.patch(f"{PATH}/{refund['id']}", {"shortcut": "hello"}).status_code == 409
    assert other_admin.patch(f"{PATH}/{refund['id']}", {"text": "hijack"}).status_code == 404
    assert delete(other_admin, f"{PATH}/{refund['id']}").status_code == 404
    edited = admin.patch(f"{PATH}/{refund['id']}", {"title": "Refunds", "text": "Refunds take 3 days."})
    assert edited.status_code == 200 and edited.json()["text"] == "Refunds take 3 days."
    assert edited.json()["shortcut"] == "refund" and edited.json()["title"] == "Refunds"
    assert admin.patch(f"{PATH}/{refund['id']}", {}).status_code == 422
    assert delete(admin, f"{PATH}/{refund['id']}").status_code == 204
    assert delete(admin, f"{PATH}/{refund['id']}").status_code == 404
    assert [r["shortcut"] for r in admin.get(PATH).json()["canned_responses"]] == ["hello"]


def test_templates_outside_the_sandbox_are_refused_when_saved(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    good = admin.post(PATH, {"shortcut": "good", "text": "fine"}).json()
    refused = [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ contact.__dict__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ ''.join }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "{{ 'x' * 100000 }}",
        "{{ contact.name|center(100000) }}",
        "{% set x = 1 %}",
        "{% include 'secrets.txt' %}",
        "Hi {{ contact.name ",
        "{% if %}",
    ]
    for text in refused:
        response = admin.post(PATH, {"shortcut": "bad", "text": text})
        assert response.status_code == 422, (text, response.text)
        assert response.json()["detail"], text
    for text in refused[:3]:
        assert admin.patch(f"{PATH}/{good['id']}", {"text": text}).status_code == 422
    assert admin.post(PATH, {"shortcut": "has space", "text": "x"}).status_code == 422
    assert admin.post(PATH, {"shortcut": "long", "text": "x" * 4001}).status_code == 422
    assert [r["shortcut"] for r in admin.get(PATH).json()["canned_responses"]] == ["good"]
    assert admin.get(PATH).json()["canned_responses"][0]["text"] == "fine"


def test_render_fills_in_the_contact_agent_and_tenant(server: LiveServer) -> None:
    admin, key = make_tenant(server, "Acme Shoes")
    agent, _ = add_user(admin, name="Ann")
    other_admin, _ = make_tenant(server)
    session = visitor_session(server, key, name="Kim", email="kim@example.com")
    sent = httpx.post(
        f"{server.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    ).json()
    text = (
        "Hi {{ contact.name }} ({{ contact.email }}{{ contact.phone }}), {{ agent.name }} from {{ tenant.name }}"
        "{% if contact.phone %} will call{% else %} will write{% endif %}."
        " {{ nobody.knows }}{{ unknown }}{{ contact.phone|default('no phone') }} {{ contact.name|upper }}"
    )
    reply = admin.post(PATH, {"shortcut": "intro", "text": text}).json()
    rendered = agent.post(f"{PATH}/{reply['id']}/render", {"conversation_id": sent["conversation_id"]})
    assert rendered.status_code == 200, rendered.text
    assert rendered.json() == {"text": "Hi Kim (kim@example.com), Ann from Acme Shoes will write. no phone KIM"}
    # Another tenant's reply or conversation is 404 either way.
    theirs = other_admin.post(PATH, {"shortcut": "x", "text": "x"}).json()
    assert agent.post(f"{PATH}/{theirs['id']}/render", {"conversation_id": sent["conversation_id"]}).status_code == 404
    assert (
        other_admin.post(f"{PATH}/{theirs['id']}/render", {"conversation_id": sent["conversation_id"]}).status_code
        == 404
    )
    assert agent.post(f"{PATH}/{reply['id']}/render", {"conversation_id": "x"}).status_code == 422
    # A contact's long name cannot make a reply longer than a message may be.
    big = admin.post(PATH, {"shortcut": "big", "text": "x" * 3980 + "{{ contact.name }}"})
    assert big.status_code == 201, big.text
    session2 = visitor_session(server, key, name="Kimberly Longname-Smithson")
    sent2 = httpx.post(
        f"{server.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {session2['visitor_token']}"}
    ).json()
    too_long = agent.post(f"{PATH}/{big.json()['id']}/render", {"conversation_id": sent2["conversation_id"]})
    assert too_long.status_code == 422 and "longer" in too_long.json()["detail"]
