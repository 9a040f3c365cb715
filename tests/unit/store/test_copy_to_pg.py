"""`copy_to_postgres`: a migrated SQLite file with rows in every table, copied into a scratch PostgreSQL
database; the counts and every value match, identity sequences move past the copied ids, a target holding
data is refused, a failure half-way leaves the target empty, and a table the copy does not know stops it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from handoff.store import (
    api_tokens,
    canned,
    closed,
    conversations,
    history,
    jobs,
    migrator,
    notes,
    push,
    uploads,
    webhook_queue,
    webhooks,
)
from handoff.store.copy_to_pg import DERIVED, NOT_COPIED, CopyRefused, copy_plan, copy_to_postgres
from handoff.store.database import configure
from handoff.store.pg_adapter import PgConnection
from handoff.store.pg_adapter import configure as configure_pg

NOW = "2030-03-10T09:00:00.000Z"


@pytest.fixture
def source(db_path: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(db_path, isolation_level=None)
    configure(conn)
    yield conn
    conn.close()


def seed_every_table(conn: sqlite3.Connection) -> None:
    """At least one row in every table the copy moves (a test below fails while a table has none)."""
    tenant = conn.execute(
        "INSERT INTO tenants (name, widget_key, settings, created_at) VALUES ('Acme', 'wk-1', '{\"a\": \"100%\"}', ?)"
        " RETURNING id",
        (NOW,),
    ).fetchone()[0]
    conn.execute("INSERT INTO tenants (name, widget_key, created_at) VALUES ('Other', 'wk-2', ?)", (NOW,))
    conn.execute(
        "INSERT INTO channel_accounts (tenant_id, channel, address, config, updated_at, callback_base)"
        " VALUES (?, 'sms', '+15550000', '{\"auth_token\": \"enc:v1:sealed\"}', ?, 'https://x.example')",
        (tenant, NOW),
    )
    staff = conn.execute(
        "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (?, 'Sam@Example.com',"
        " 'Sam', 'hash', 'staff', ?) RETURNING id",
        (tenant, NOW),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO auth_sessions (id, user_id, refresh_jti, created_at, expires_at) VALUES ('s1', ?, 'j', ?, ?)",
        (staff, NOW, NOW),
    )
    web = conversations.upsert_contact(conn, tenant, "webchat", "visitor-1", name="Zoë Crème")
    first = conversations.open_conversation(conn, web)
    first = conversations.insert_message(conn, first, "visitor", "Where is my parcel? ∑ 'quotes' \\ tab\t").conversation
    conversations.insert_message(conn, first, "staff", "It ships today\nsecond line", author_id=staff)
    conn.execute("UPDATE conversations SET status = 'closed', closed_at = ? WHERE id = ?", (NOW, first["id"]))
    closed.index_for_search(conn, first["id"])
    sms = conversations.contact_for_message(conn, tenant, "sms", "+15550001", phone="+15550001")
    second = conversations.open_conversation(conn, sms)
    sent = conversations.insert_message(conn, second, "staff", "reply", author_id=staff, status="queued").message
    conn.execute(
        "INSERT INTO outbox (tenant_id, message_id, channel, next_attempt_at, created_at) VALUES (?, ?, 'sms', ?, ?)",
        (tenant, sent["id"], NOW, NOW),
    )
    conn.execute(
        "INSERT INTO provider_status (tenant_id, channel, provider_id, status, created_at) VALUES (?, 'sms', 'SM9',"
        " 'delivered', ?)",
        (tenant, NOW),
    )
    conn.execute(
        "INSERT INTO followups (tenant_id, contact_id, name, email, message, created_at) VALUES (?, ?, 'Zoë',"
        " 'z@example.com', 'call me', ?)",
        (tenant, web["id"], NOW),
    )
    history.import_transcripts(
        conn, tenant, [{"channel": "sms", "contact_name": "Old Customer", "transcript": "an old refund"}]
    )
    conn.execute("INSERT INTO tags (tenant_id, name, created_at) VALUES (?, 'vip', ?)", (tenant, NOW))
    conn.execute(
        "UPDATE conversations SET tags = '[\"vip\"]', snoozed_until = ? WHERE id = ?",
        ("2030-01-01T09:00:00.000Z", second["id"]),
    )
    conn.execute(
        "INSERT INTO events (tenant_id, actor_type, action, detail, created_at) VALUES (?, 'user', 'login', NULL, ?)",
        (tenant, NOW),
    )
    canned.insert_reply(conn, tenant, "hello", None, "Hi {{ contact.name }}")
    # Every byte value, NUL included: a file's bytes must come across exactly (bytea, not text).
    uploads.insert(conn, tenant, f"staff:{staff}", "photo.png", "image/png", bytes(range(256)) * 3)
    notes.insert_note(
        conn, second, "a private note", author_id=staff, author_name="Sam", external_id=None, client_id=None
    )
    conn.execute(
        "UPDATE conversation_metrics SET first_response_seconds = 1.5, first_responder_id = ? WHERE conversation_id = ?",
        (staff, first["id"]),
    )
    conn.execute(
        "INSERT INTO csat_surveys (conversation_id, tenant_id, contact_id, channel, agent_id, asked_at, rating, comment,"
        " rated_at) VALUES (?, ?, ?, 'webchat', ?, ?, 4, 'très bien', ?)",
        (first["id"], tenant, web["id"], staff, NOW, NOW),
    )
    conn.execute(
        "INSERT INTO alert_throttle (user_id, conversation_id, channel, sent_at) VALUES (?, ?, 'email', ?)",
        (staff, first["id"], NOW),
    )
    conn.execute(
        "INSERT INTO password_resets (user_id, nonce, created_at, expires_at) VALUES (?, 'n0nce', ?, ?)",
        (staff, NOW, NOW),
    )
    conn.execute("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?, 'h4sh')", (staff,))
    jobs.enqueue(conn, tenant, "email", {"to": "zoë@example.com", "n": 1}, order_key="email:1")
    webhooks.insert_endpoint(conn, tenant, "https://hooks.example/zoë", ["message.created"], "enc:v1:sealed")
    webhook_queue.queue_event(conn, tenant, "message.created", {"message": {"text": "Zoë"}}, first["id"])
    delivery = conn.execute("SELECT id FROM webhook_deliveries").fetchone()[0]
    webhooks.record_attempt(conn, delivery, status_code=500, error="answered 500", duration_ms=12, outcome="retry")
    api_tokens.insert_token(conn, tenant, staff, "CRM", "staff", "0" * 64, "hnd_abcd", "2030-01-01T00:00:00.000Z")
    push.put_keys(conn, "BPublicKey", "enc:v1:sealed")
    push.save(conn, tenant, staff, "https://push.example/abc", "BP256dh", "YXV0aA")
    # Gaps in the ids, as deletions leave them: the sequences must move past the largest, not the count.
    conn.execute("INSERT INTO events (id, actor_type, action, created_at) VALUES (500, 'system', 'gap', ?)", (NOW,))


def pg(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    configure_pg(conn)
    return conn


def all_rows(conn: Any, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    names = ", ".join(columns)
    return sorted((tuple(row) for row in conn.execute(f"SELECT {names} FROM {table}").fetchall()), key=repr)


def test_every_table_is_copied_with_every_value(db_path: str, source: sqlite3.Connection, fresh_pg_url: str) -> None:
    seed_every_table(source)
    report = copy_to_postgres(db_path, fresh_pg_url)
    empty = [table.name for table in report.tables if table.rows == 0]
    assert not empty, f"seed_every_table leaves {empty} empty: give each table a row so its copy is tested"
    with pg(fresh_pg_url) as target:
        for table in report.tables:
            assert all_rows(target, table.name, table.columns) == all_rows(source, table.name, table.columns)
        search = ("rowid", "body", "kind", "ref_id", "tenant_id")
        assert all_rows(target, "search_index", search) == all_rows(source, "search_index", search)
        assert {row[0] for row in all_rows(source, "search_index", ("kind",))} == {"conversation", "imported"}
        for word in ("parcel", "refund"):  # the derived tsvector serves the search
            found = target.execute(
                "SELECT count(*) FROM search_index WHERE document @@ to_tsquery('handoff_search', %s)", (word,)
            ).fetchone()
            assert found == (1,)
    assert report.counts["search_index"] == 2
    assert report.counts["messages"] == 4  # with the private note


def test_every_table_is_copied_or_named_as_not_copied(db_path: str, fresh_pg_url: str) -> None:
    """Whoever adds a table that must not be copied as it is learns here that it needs its entry."""
    migrator.migrate(fresh_pg_url)
    with sqlite3.connect(db_path) as source, psycopg.connect(fresh_pg_url) as target:
        planned = {table.name for table in copy_plan(source, target)}
        sqlite_tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        pg_tables = {r[0] for r in target.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert not planned & (set(NOT_COPIED) | set(DERIVED))
    assert pg_tables == planned | set(NOT_COPIED) | set(DERIVED)
    assert planned <= sqlite_tables


def test_a_table_neither_copied_nor_derived_stops_the_copy(
    db_path: str, source: sqlite3.Connection, fresh_pg_url: str
) -> None:
    source.execute("CREATE TABLE later_feature (id INTEGER PRIMARY KEY, note TEXT)")
    with pytest.raises(CopyRefused, match=r"later_feature.*NOT_COPIED or DERIVED"):
        copy_to_postgres(db_path, fresh_pg_url)


def test_identity_sequences_move_past_the_copied_ids(
    db_path: str, source: sqlite3.Connection, fresh_pg_url: str
) -> None:
    seed_every_table(source)
    copy_to_postgres(db_path, fresh_pg_url)
    with pg(fresh_pg_url) as target:
        identity = target.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES'"
        ).fetchall()
        assert len(identity) >= 10
        for (table,) in identity:
            largest = target.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            sequence = target.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
            assert target.execute(f"SELECT nextval('{sequence}')").fetchone()[0] == largest + 1, table
        # And through the store, as the server inserts: new ids, no collision with a copied row.
        with target.transaction():
            conn = PgConnection(target)
            tenant = conn.execute(
                "INSERT INTO tenants (name, widget_key, created_at) VALUES ('New', 'wk-new', ?) RETURNING id", (NOW,)
            ).fetchone()[0]
            contact = conversations.upsert_contact(conn, tenant, "webchat", "visitor-new")
            stored = conversations.insert_message(conn, conversations.open_conversation(conn, contact), "visitor", "hi")
    assert tenant > 2
    assert stored.message["id"] > max(r[0] for r in source.execute("SELECT id FROM messages"))


def test_a_target_holding_data_is_refused(db_path: str, source: sqlite3.Connection, fresh_pg_url: str) -> None:
    seed_every_table(source)
    copy_to_postgres(db_path, fresh_pg_url)
    with pytest.raises(CopyRefused, match="already holds data"):
        copy_to_postgres(db_path, fresh_pg_url)
    with pg(fresh_pg_url) as target:
        assert target.execute("SELECT count(*) FROM tenants").fetchone() == (2,)  # nothing copied twice


def test_a_database_of_something_else_is_refused_before_migrating(db_path: str, fresh_pg_url: str) -> None:
    with pg(fresh_pg_url) as target:
        target.execute("CREATE TABLE their_orders (id INTEGER); INSERT INTO their_orders VALUES (1)")
    with pytest.raises(CopyRefused, match="their_orders"):
        copy_to_postgres(db_path, fresh_pg_url)
    with pg(fresh_pg_url) as target:
        assert target.execute("SELECT to_regclass('tenants')").fetchone() == (None,)


BREAKAGES = {
    # PostgreSQL text cannot hold NUL: the messages COPY fails, after the tables before it went in.
    "nul byte": (
        "UPDATE messages SET text = ? WHERE id = (SELECT max(id) FROM messages)",
        ("bad \x00 byte",),
        "UPDATE messages SET text = 'fixed' WHERE text = ?",
        ("bad \x00 byte",),
    ),
    # A row whose parent is gone (written with foreign keys off): every row goes in, then putting the
    # foreign keys back fails.
    "orphan row": (
        "UPDATE followups SET viewed_by = 999 WHERE id = (SELECT max(id) FROM followups)",
        (),
        "UPDATE followups SET viewed_by = NULL",
        (),
    ),
}


def holding_rows(url: str) -> list[str]:
    with pg(url) as target:
        tables = [r[0] for r in target.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        assert "messages" in tables  # migrated: the schema stays
        return [
            t
            for t in tables
            if t != "schema_migrations" and target.execute(f"SELECT count(*) FROM {t}").fetchone() != (0,)
        ]


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_failure_mid_copy_leaves_the_target_empty_and_a_rerun_works(
    db_path: str, source: sqlite3.Connection, fresh_pg_url: str, breakage: str
) -> None:
    seed_every_table(source)
    breaks, broken, mends, mended = BREAKAGES[breakage]
    source.execute("PRAGMA foreign_keys = OFF")
    source.execute(breaks, broken)
    with pytest.raises(psycopg.Error):
        copy_to_postgres(db_path, fresh_pg_url)
    assert holding_rows(fresh_pg_url) == []
    source.execute(mends, mended)
    assert copy_to_postgres(db_path, fresh_pg_url).counts["messages"] == 4


def schema_of(url: str) -> set[tuple[str, ...]]:
    with pg(url) as target:
        indexes = target.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        constraints = target.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace"
        )
        return {tuple(row) for row in [*indexes.fetchall(), *constraints.fetchall()]}


def test_indexes_and_foreign_keys_are_back_as_migrated(
    db_path: str, source: sqlite3.Connection, fresh_pg_url: str, pg_databases: Any
) -> None:
    seed_every_table(source)
    copy_to_postgres(db_path, fresh_pg_url)
    reference = pg_databases.create()
    try:
        migrator.migrate(reference)
        assert schema_of(fresh_pg_url) == schema_of(reference)
        assert any("FOREIGN KEY" in row[2] for row in schema_of(fresh_pg_url))
    finally:
        pg_databases.drop(reference)


def test_a_source_behind_this_version_is_refused(tmp_path: Any, fresh_pg_url: str) -> None:
    path = str(tmp_path / "old.sqlite")
    migrator.migrate(path)
    with sqlite3.connect(path) as old:
        old.execute("DELETE FROM schema_migrations WHERE name = '0007_channel_callback_base'")
    with pytest.raises(CopyRefused, match="pending: 0007_channel_callback_base"):
        copy_to_postgres(path, fresh_pg_url)


def test_secrets_still_in_clear_are_refused(db_path: str, source: sqlite3.Connection, fresh_pg_url: str) -> None:
    seed_every_table(source)
    source.execute('UPDATE channel_accounts SET config = \'{"auth_token": "plain-token"}\'')
    with pytest.raises(CopyRefused, match="in clear"):
        copy_to_postgres(db_path, fresh_pg_url)
