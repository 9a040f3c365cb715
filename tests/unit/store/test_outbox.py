"""handoff.store.outbox: the delivery queue's rows and the status reports waiting for a provider id."""

from __future__ import annotations

import sqlite3

from handoff.store import outbox
from handoff.store.database import now_iso
from tests.unit.store import seed

LEASE_END = "2030-06-01T00:00:00.000Z"


def queue(conn: sqlite3.Connection, tenant_id: int, conversation: sqlite3.Row, due: str | None = None) -> int:
    """A queued staff message and its outbox row; returns the outbox id."""
    message_id = seed.staff_message(conn, conversation)
    outbox.enqueue(conn, tenant_id, message_id, conversation["channel"], due or now_iso())
    found = conn.execute("SELECT id FROM outbox WHERE message_id = ?", (message_id,)).fetchone()
    return int(found["id"])


def head_ids(conn: sqlite3.Connection) -> list[int]:
    return [row["id"] for row in outbox.due_heads(conn)]


def test_enqueue_makes_a_pending_row_due_now(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    outbox_id = queue(conn, tenant_id, seed.conversation(conn, tenant_id, "+15550001"), due="2030-01-01T00:00:00.000Z")
    row = seed.row(conn, "outbox", outbox_id)
    assert (row["state"], row["attempts"], row["channel"]) == ("pending", 0, "sms")
    assert row["next_attempt_at"] == row["created_at"] == "2030-01-01T00:00:00.000Z"


def test_due_heads_offer_only_the_oldest_pending_row_of_each_conversation(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    first, second = seed.conversation(conn, tenant_id, "+15550001"), seed.conversation(conn, tenant_id, "+15550002")
    a1 = queue(conn, tenant_id, first, due=seed.ago(30))
    a2 = queue(conn, tenant_id, first, due=seed.ago(60))  # due earlier, but queued after a1: waits for it
    b1 = queue(conn, tenant_id, second, due=seed.ago(10))
    assert head_ids(conn) == [a1, b1]

    outbox.mark_done(conn, a1, 0, now_iso())
    assert head_ids(conn) == [a2, b1]  # soonest due first

    outbox.mark_failed(conn, a2, 0, "invalid number")
    assert head_ids(conn) == [b1]


def test_a_row_being_retried_holds_back_the_next_reply_of_its_conversation(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    first, second = seed.conversation(conn, tenant_id, "+15550001"), seed.conversation(conn, tenant_id, "+15550002")
    a1 = queue(conn, tenant_id, first)
    queue(conn, tenant_id, first)
    b1 = queue(conn, tenant_id, second)
    outbox.schedule_retry(conn, a1, 0, "2030-01-01T00:00:00.000Z", "503 from the platform")
    # a1 is now the latest due, and a2 (due now) is still not offered: it would overtake a1.
    assert head_ids(conn) == [b1, a1]
    assert [row["next_attempt_at"] for row in outbox.due_heads(conn)][1] == "2030-01-01T00:00:00.000Z"


def test_claim_counts_an_attempt_only_on_a_pending_row_that_is_due(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    outbox_id = queue(conn, tenant_id, seed.conversation(conn, tenant_id, "+15550001"), due=seed.ago(1))

    claimed = outbox.claim(conn, outbox_id, now_iso(), LEASE_END)
    assert claimed is not None
    assert (claimed["id"], claimed["attempts"], claimed["tenant_id"]) == (outbox_id, 1, tenant_id)

    outbox.schedule_retry(conn, outbox_id, 1, "2030-01-01T00:00:00.000Z", "timeout")
    assert outbox.claim(conn, outbox_id, now_iso(), LEASE_END) is None  # not due yet
    assert seed.row(conn, "outbox", outbox_id)["attempts"] == 1
    again = outbox.claim(conn, outbox_id, "2030-01-01T00:00:00.000Z", LEASE_END)  # due at exactly that time
    assert again is not None and again["attempts"] == 2

    outbox.mark_done(conn, outbox_id, 2, now_iso())
    assert outbox.claim(conn, outbox_id, "2031-01-01T00:00:00.000Z", LEASE_END) is None  # done rows never are
    assert outbox.claim(conn, outbox_id + 1000, now_iso(), LEASE_END) is None


def test_a_claim_leases_the_row_until_its_outcome_or_the_lease_end(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    outbox_id = queue(conn, tenant_id, seed.conversation(conn, tenant_id, "+15550001"), due=seed.ago(1))
    lease_end = seed.ago(-60)
    assert outbox.claim(conn, outbox_id, now_iso(), lease_end) is not None
    leased = seed.row(conn, "outbox", outbox_id)
    assert (leased["next_attempt_at"], leased["leased_until"]) == (lease_end, lease_end)
    assert outbox.claim(conn, outbox_id, now_iso(), seed.ago(-120)) is None  # held: nobody else gets it
    assert outbox.due_heads(conn)[0]["next_attempt_at"] == lease_end  # offered again only once it ends

    taken = outbox.claim(conn, outbox_id, lease_end, seed.ago(-120))  # the lease ran out: taken over
    assert taken is not None and taken["attempts"] == 2
    # The first attempt's outcome is not recorded: the row is the second attempt's.
    assert outbox.mark_done(conn, outbox_id, 1, now_iso()) is False
    assert outbox.schedule_retry(conn, outbox_id, 1, LEASE_END, "late") is False
    assert outbox.mark_failed(conn, outbox_id, 1, "late") is False
    assert outbox.postpone(conn, outbox_id, 1, LEASE_END) is False
    assert outbox.postpone(conn, outbox_id, None, LEASE_END) is False  # held: a crash before a claim leaves it
    assert seed.row(conn, "outbox", outbox_id)["state"] == "pending"
    assert outbox.mark_done(conn, outbox_id, 2, now_iso()) is True
    done = seed.row(conn, "outbox", outbox_id)
    assert (done["state"], done["leased_until"], done["last_error"]) == ("done", None, None)


def test_release_leases_makes_leased_rows_due_and_leaves_retries_alone(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    leased, retrying, done = (
        queue(conn, tenant_id, seed.conversation(conn, tenant_id, f"+1555000{n}"), due=seed.ago(1)) for n in range(3)
    )
    for outbox_id in (leased, retrying, done):
        assert outbox.claim(conn, outbox_id, now_iso(), LEASE_END) is not None
    outbox.schedule_retry(conn, retrying, 1, LEASE_END, "503")
    outbox.mark_done(conn, done, 1, now_iso())
    now = now_iso()
    assert outbox.release_leases(conn, now) == 1
    assert (seed.row(conn, "outbox", leased)["next_attempt_at"], seed.row(conn, "outbox", leased)["leased_until"]) == (
        now,
        None,
    )
    assert seed.row(conn, "outbox", retrying)["next_attempt_at"] == LEASE_END
    assert outbox.claim(conn, leased, now, LEASE_END) is not None


def test_outcomes_are_recorded_on_the_row(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "+15550001")
    retried, crashed, failed = (queue(conn, tenant_id, conversation) for _ in range(3))

    outbox.schedule_retry(conn, retried, 0, "2030-01-01T00:00:00.000Z", "429")
    again = seed.row(conn, "outbox", retried)
    assert (again["next_attempt_at"], again["last_error"], again["state"]) == (
        "2030-01-01T00:00:00.000Z",
        "429",
        "pending",
    )
    outbox.mark_done(conn, retried, 0, "2029-12-31T23:59:59.000Z")
    done = seed.row(conn, "outbox", retried)
    assert (done["state"], done["last_error"], done["sent_at"]) == ("done", None, "2029-12-31T23:59:59.000Z")

    outbox.postpone(conn, crashed, 0, "2030-02-01T00:00:00.000Z")
    postponed = seed.row(conn, "outbox", crashed)
    assert (postponed["next_attempt_at"], postponed["last_error"], postponed["state"]) == (
        "2030-02-01T00:00:00.000Z",
        None,
        "pending",
    )

    outbox.mark_failed(conn, failed, 0, "21211 invalid 'To'")
    given_up = seed.row(conn, "outbox", failed)
    assert (given_up["state"], given_up["last_error"]) == ("failed", "21211 invalid 'To'")


def test_progress_round_trips_and_defaults_to_empty(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    outbox_id = queue(conn, tenant_id, seed.conversation(conn, tenant_id, "psid-1", channel="messenger"))
    message_id = seed.row(conn, "outbox", outbox_id)["message_id"]
    assert outbox.progress(conn, message_id) == {}
    assert outbox.progress(conn, message_id + 1000) == {}
    outbox.save_progress(conn, message_id, {"parts": 2, "first_mid": "m_1"})
    assert outbox.progress(conn, message_id) == {"parts": 2, "first_mid": "m_1"}


def test_remembered_statuses_are_taken_once_per_tenant_and_forgotten_when_old(conn: sqlite3.Connection) -> None:
    ours, theirs = seed.tenant(conn, "ours"), seed.tenant(conn, "theirs")
    outbox.remember_status(conn, ours, "sms", "SM1", "delivered", None, seed.ago(10))
    outbox.remember_status(conn, ours, "sms", "SM1", "sent", None, seed.ago(20))
    outbox.remember_status(conn, theirs, "sms", "SM1", "failed", "30003", seed.ago(10))
    outbox.remember_status(conn, ours, "messenger", "SM1", "read", None, seed.ago(10))

    taken = outbox.take_statuses(conn, ours, "sms", "SM1")
    assert sorted((row["status"], row["error"]) for row in taken) == [("delivered", None), ("sent", None)]
    assert outbox.take_statuses(conn, ours, "sms", "SM1") == []  # taken means removed
    assert [tuple(row) for row in outbox.take_statuses(conn, theirs, "sms", "SM1")] == [("failed", "30003")]

    outbox.remember_status(conn, ours, "sms", "SM2", "delivered", None, seed.ago(3 * 86400))
    outbox.forget_statuses_before(conn, seed.ago(86400))
    assert outbox.take_statuses(conn, ours, "sms", "SM2") == []
    assert len(outbox.take_statuses(conn, ours, "messenger", "SM1")) == 1  # a recent one stays
