"""The away-visitor email on a scaled-out deployment: a staff reply is emailed to a web visitor only when they
have gone away, and a visitor whose socket is open on another process has not, though the process that
stores the reply holds no socket of theirs (each process marks its connected visitors seen, every
PRESENCE_TTL_SECONDS, in the shared database)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cluster import Cluster
from tests.email_support import emails_to, webchat
from tests.fakes.smtp import FakeSmtp
from tests.support import Api, eventually, execute, make_tenant, query, visitor_session, visitor_socket

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
LONG_AGO = "2020-01-01T00:00:00.000Z"


def last_seen(cluster: Cluster, visitor_id: str) -> str:
    return str(query(cluster[0], "SELECT last_seen_at FROM contacts WHERE external_id = ?", visitor_id)[0][0])


def conversation_of(admin: Api, name: str) -> int:
    return next(c["id"] for c in admin.get("/admin/api/convos").json()["conversations"] if c["contact"]["name"] == name)


def test_a_visitor_connected_to_another_process_is_not_emailed(
    make_cluster: Callable[..., Cluster], smtp: FakeSmtp
) -> None:
    cluster = make_cluster(2, SMTP_URL=smtp.url, PRESENCE_TTL_SECONDS="1")
    p1, p2 = cluster
    admin, key = make_tenant(p1, "Two Places")
    here = visitor_session(p2, key, name="Hana", email="hana@example.com")
    gone = visitor_session(p2, key, name="Gus", email="gus@example.com")
    sock = visitor_socket(p2, here)  # Hana's socket is held by process 2
    sock.send({"type": "message", "text": "still reading", "client_id": "h1"})
    sock.recv_until(lambda f: f["type"] == "ack")
    webchat(p2, gone, "bye")  # over HTTP: Gus never has a socket open
    for visitor in (here, gone):  # both last seen long ago, as if they had sent nothing for an hour
        execute(p1, "UPDATE contacts SET last_seen_at = ? WHERE external_id = ?", LONG_AGO, visitor["visitor_id"])
    # Process 2 marks Hana seen again, since her socket is open there; Gus has none anywhere.
    eventually(lambda: last_seen(cluster, here["visitor_id"]) > LONG_AGO)
    for name in ("Hana", "Gus"):
        reply = {"conversation_id": conversation_of(admin, name), "text": f"an answer for {name}"}
        assert admin.post("/admin/api/send", reply).is_success  # stored by process 1
    # The email is decided inside the reply's write, before its answer.
    assert emails_to(p1, "hana@example.com") == []
    assert [j["payload"]["context"]["text"] for j in emails_to(p1, "gus@example.com")] == ["an answer for Gus"]
    assert last_seen(cluster, gone["visitor_id"]) == LONG_AGO
    sock.close()
