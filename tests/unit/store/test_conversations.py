"""The conversation store's SQL against a real migrated SQLite file: contacts, conversations, the one way a
message is stored (and the clocks and counters it moves), the JSON shapes, transcripts and the search index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from handoff.store import closed, transcripts
from handoff.store import conversations as store
from handoff.store.database import configure
from tests.unit.helpers import add_tenant, add_user


@pytest.fixture
def conn(db_path: str) -> Iterator[sqlite3.Connection]:
    """A connection configured as the app's are; store functions run on it as they do inside a write."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    configure(connection)
    yield connection
    connection.close()


def started(conn: sqlite3.Connection, tenant_id: int, key: str, channel: str = "webchat") -> sqlite3.Row:
    """A contact with an open conversation; returns the conversation row."""
    return store.open_conversation(conn, store.contact_for_message(conn, tenant_id, channel, key))


def id_of(found: sqlite3.Row | None) -> int | None:
    return None if found is None else int(found["id"])


def row(conn: sqlite3.Connection, conversation_id: int) -> sqlite3.Row:
    found: sqlite3.Row = conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return found


# ---- contacts -------------------------------------------------------------------------------------


def test_a_contact_is_written_only_when_new_or_changed(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    first = store.contact_for_message(conn, tid, "sms", "+15550001", phone="+15550001")
    conn.execute("UPDATE contacts SET last_seen_at = 'untouched' WHERE id = ?", (first["id"],))
    same = store.contact_for_message(conn, tid, "sms", "+15550001", phone="+15550001")
    seen = conn.execute("SELECT last_seen_at FROM contacts WHERE id = ?", (first["id"],)).fetchone()[0]
    assert same["id"] == first["id"] and seen == "untouched"  # the hot path wrote nothing

    named = store.contact_for_message(conn, tid, "sms", "+15550001", name="Kim")
    assert named["id"] == first["id"] and named["last_seen_at"] != "untouched"
    assert (named["name"], named["phone"]) == ("Kim", "+15550001")  # a detail not given keeps its value
    again = store.upsert_contact(conn, tid, "sms", "+15550001", email="kim@example.com")
    assert (again["name"], again["email"], again["phone"]) == ("Kim", "kim@example.com", "+15550001")

    other_tenant = store.contact_for_message(conn, add_tenant(conn), "sms", "+15550001")
    assert other_tenant["id"] != first["id"]  # the same number at another business is another contact
    assert id_of(store.find_contact(conn, tid, "sms", "+15550001")) == first["id"]
    assert store.find_contact(conn, tid, "messenger", "+15550001") is None


def test_contact_json_reads_plain_and_joined_rows_alike(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    contact = store.upsert_contact(conn, tid, "webchat", "v1", name="Kim", email="kim@example.com")
    conversation = store.open_conversation(conn, contact)
    joined = conn.execute(f"{store.CONVERSATION_SELECT} WHERE c.id = ?", (conversation["id"],)).fetchone()
    expected = {
        "id": contact["id"],
        "channel": "webchat",
        "name": "Kim",
        "email": "kim@example.com",
        "phone": None,
        "opted_out": False,
        "external_id": "v1",
        "verified": False,
    }
    assert store.contact_json(contact) == store.contact_json(joined, "contact_") == expected


# ---- conversations and messages -------------------------------------------------------------------


def test_one_open_conversation_per_contact(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    contact = store.contact_for_message(conn, tid, "webchat", "v1")
    assert store.open_conversation_of(conn, contact["id"]) is None
    first = store.open_conversation(conn, contact)
    assert (first["status"], first["channel"], first["tenant_id"]) == ("open", "webchat", tid)
    assert (
        conn.execute("SELECT count(*) FROM conversation_metrics WHERE conversation_id = ?", (first["id"],)).fetchone()[
            0
        ]
        == 1
    )
    assert id_of(store.open_conversation_of(conn, contact["id"])) == first["id"]
    # One opened meanwhile (by another process's transaction) is the one: no second row, no second metrics row.
    assert id_of(store.open_conversation(conn, contact)) == first["id"]
    assert conn.execute("SELECT count(*) FROM conversation_metrics").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):  # the unique index that makes it so
        conn.execute(
            "INSERT INTO conversations (tenant_id, contact_id, channel, created_at, last_message_at)"
            " VALUES (?, ?, 'webchat', '', '')",
            (tid, contact["id"]),
        )
    conn.execute("UPDATE conversations SET status = 'closed' WHERE id = ?", (first["id"],))
    second = store.open_conversation(conn, contact)
    assert id_of(store.latest_conversation_of(conn, contact["id"])) == second["id"] != first["id"]


def test_customer_messages_start_the_clock_and_count_unread(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    conversation = started(conn, tid, "v1")
    first = store.insert_message(conn, conversation, "visitor", "hello", client_id="c1", external_id="v1:c1")
    assert first.message == {
        "id": first.message["id"],
        "conversation_id": conversation["id"],
        "channel": "webchat",
        "sender": "visitor",
        "text": "hello",
        "created_at": first.message["created_at"],
        "client_id": "c1",
    }
    after_first = first.conversation
    assert after_first["last_message_id"] == first.message["id"] and after_first["unread_count"] == 1
    stored = row(conn, conversation["id"])  # the UPDATE returns only what is shown and read next (SHOWN)
    assert after_first["awaiting_since"] == stored["last_customer_message_at"] == first.message["created_at"]

    second = store.insert_message(conn, after_first, "visitor", "anyone?")
    assert second.conversation["unread_count"] == 2
    assert second.conversation["awaiting_since"] == first.message["created_at"]  # waiting since the first
    stored = row(conn, conversation["id"])  # what came back is what is stored, in SHOWN's columns
    returned = dict(zip(second.conversation.keys(), second.conversation, strict=True))
    assert returned == {key: stored[key] for key in store.SHOWN.split(", ")}


def test_a_staff_reply_answers_everything_before_it(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    agent = add_user(conn, tid, "Sam")
    conversation = started(conn, tid, "v1")
    waiting = store.insert_message(conn, conversation, "visitor", "hello").conversation
    conn.execute("UPDATE conversations SET escalated = 1 WHERE id = ?", (conversation["id"],))

    reply = store.insert_message(
        conn, row(conn, waiting["id"]), "staff", "Hi!", author_id=agent, author_name="Sam", status="sent"
    )
    assert reply.message["author"] == {"id": agent, "name": "Sam"} and reply.message["status"] == "sent"
    answered = reply.conversation
    assert answered["awaiting_since"] is None and answered["escalated"] == 0 and answered["unread_count"] == 0
    assert answered["staff_read_message_id"] == reply.message["id"]
    metrics = conn.execute(
        "SELECT first_response_at, first_responder_id, first_response_seconds FROM conversation_metrics"
        " WHERE conversation_id = ?",
        (conversation["id"],),
    ).fetchone()
    assert metrics["first_response_at"] == reply.message["created_at"] and metrics["first_responder_id"] == agent
    assert metrics["first_response_seconds"] >= 0

    other = add_user(conn, tid, "Alex")
    store.insert_message(conn, answered, "staff", "Anything else?", author_id=other, author_name="Alex")
    again = conn.execute(
        "SELECT first_response_at, first_responder_id FROM conversation_metrics WHERE conversation_id = ?",
        (conversation["id"],),
    ).fetchone()
    assert tuple(again) == (metrics["first_response_at"], agent)  # the first response is recorded once


def test_a_system_message_moves_only_the_last_message(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    waiting = store.insert_message(conn, started(conn, tid, "v1"), "visitor", "hello").conversation
    note = store.insert_message(conn, waiting, "system", "Closed.")
    after = note.conversation
    assert after["last_message_id"] == note.message["id"]
    assert (after["awaiting_since"], after["unread_count"]) == (waiting["awaiting_since"], 1)
    assert "status" not in note.message and "author" not in note.message


def test_the_stored_message_and_the_loaded_one_are_the_same_object(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    agent = add_user(conn, tid, "Sam")
    conversation = started(conn, tid, "+15550002", channel="sms")
    media = [{"url": "https://example.test/a.jpg", "content_type": "image/jpeg"}]
    inbound = store.insert_message(conn, conversation, "visitor", "", attachments=media, status="received")
    outbound = store.insert_message(
        conn, inbound.conversation, "staff", "On its way", author_id=agent, author_name="Sam", status="queued"
    )
    for stored in (inbound, outbound):
        assert store.load_message(conn, stored.message["id"]) == stored.message
    assert inbound.message["attachments"] == media and "status" not in inbound.message  # `received` is implied
    conn.execute(
        "UPDATE messages SET status = 'failed', error = '30003: Unreachable' WHERE id = ?", (outbound.message["id"],)
    )
    failed = store.load_message(conn, outbound.message["id"])
    assert failed is not None and (failed["status"], failed["error"]) == ("failed", "30003: Unreachable")
    assert store.load_message(conn, 10**9) is None


def test_load_conversation_is_scoped_to_its_tenant(conn: sqlite3.Connection) -> None:
    tid, other = add_tenant(conn), add_tenant(conn)
    agent = add_user(conn, tid, "Sam")
    conversation = started(conn, tid, "v1")
    conn.execute(
        "UPDATE conversations SET assignee_id = ?, tags = '[\"vip\"]' WHERE id = ?", (agent, conversation["id"])
    )
    last = store.insert_message(conn, row(conn, conversation["id"]), "visitor", "hello").message

    loaded = store.load_conversation(conn, tid, conversation["id"])
    assert loaded is not None
    assert loaded["id"] == conversation["id"] and loaded["tenant_id"] == tid
    assert loaded["assignee"] == {"id": agent, "name": "Sam"} and loaded["tags"] == ["vip"]
    assert loaded["last_message"] == last and loaded["contact"]["external_id"] == "v1"
    assert loaded["escalated"] is False and loaded["unread_count"] == 1
    assert store.load_conversation(conn, other, conversation["id"]) is None  # another tenant's id: not found
    assert store.load_conversation(conn, tid, 10**9) is None

    known = {**last, "text": "the caller's copy"}
    reused = store.load_conversation(conn, tid, conversation["id"], known)
    assert reused is not None and reused["last_message"] is known  # the caller's copy of the last message

    contact = store.find_contact(conn, tid, "webchat", "v1")
    assert contact is not None
    plain = store.conversation_of(conn, row(conn, conversation["id"]), contact, last)
    assert plain == loaded  # a plain row plus its contact makes the same object as the joined query
    joined = conn.execute(f"{store.CONVERSATION_SELECT} WHERE c.id = ?", (conversation["id"],)).fetchall()
    assert store.conversations_json(conn, joined) == [loaded]


def test_external_ids_are_unique_per_tenant_and_channel(conn: sqlite3.Connection) -> None:
    tid, other = add_tenant(conn), add_tenant(conn)
    stored = store.insert_message(conn, started(conn, tid, "+15550003", "sms"), "visitor", "hi", external_id="SM1")
    assert id_of(store.find_by_external_id(conn, tid, "sms", "SM1")) == stored.message["id"]
    assert store.find_by_external_id(conn, other, "sms", "SM1") is None
    assert store.find_by_external_id(conn, tid, "messenger", "SM1") is None
    store.insert_message(conn, started(conn, other, "+15550003", "sms"), "visitor", "hi", external_id="SM1")  # allowed


def test_transcript_after_spans_a_contacts_conversations_in_order(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    first = started(conn, tid, "v1")
    ids = [store.insert_message(conn, row(conn, first["id"]), "visitor", f"m{n}").message["id"] for n in range(3)]
    conn.execute("UPDATE conversations SET status = 'closed' WHERE id = ?", (first["id"],))
    second = store.open_conversation(conn, store.contact_for_message(conn, tid, "webchat", "v1"))
    ids += [store.insert_message(conn, row(conn, second["id"]), "visitor", f"m{n}").message["id"] for n in (3, 4)]
    store.insert_message(conn, started(conn, tid, "v2"), "visitor", "someone else")
    contact_id = first["contact_id"]

    assert [m["text"] for m in transcripts.transcript_after(conn, contact_id, 0)] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m["id"] for m in transcripts.transcript_after(conn, contact_id, ids[1])] == ids[2:]
    assert [m["id"] for m in transcripts.transcript_after(conn, contact_id, ids[0], limit=2)] == ids[1:3]
    assert transcripts.transcript_after(conn, contact_id, ids[-1]) == []
    assert closed.message_counts(conn, first["id"]) == (3, 0)


def test_search_index_holds_one_copy_of_a_transcript_until_unindexed(conn: sqlite3.Connection) -> None:
    tid = add_tenant(conn)
    contact = store.upsert_contact(conn, tid, "webchat", "v1", name="Kim Lee", email="kim@example.com")
    conversation = store.open_conversation(conn, contact)
    store.insert_message(conn, conversation, "visitor", "Where is my parcel?")

    def found(term: str) -> list[int]:
        return [r[0] for r in conn.execute("SELECT ref_id FROM search_index WHERE search_index MATCH ?", (term,))]

    closed.index_for_search(conn, conversation["id"])
    assert found("parcel") == [conversation["id"]] and found("kim") == [conversation["id"]]
    store.insert_message(conn, row(conn, conversation["id"]), "staff", "It left this morning")
    closed.index_for_search(conn, conversation["id"])  # closed again after a reopen: replaced, not added
    assert found("parcel") == [conversation["id"]] and found("morning") == [conversation["id"]]
    closed.unindex(conn, conversation["id"])
    assert found("parcel") == []
