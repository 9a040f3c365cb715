"""Migrations: fresh database, idempotent re-run, status listing, and all-or-nothing steps."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import migrate_schema
from handoff.store import migrator
from handoff.store.migrations import MIGRATIONS
from tests.support import ROOT

REQUIRED_TABLES = {
    "tenants",
    "users",
    "conversations",
    "messages",
    "followups",
    "history",
    "events",
    "conversation_metrics",
    "contacts",
    "auth_sessions",
    "outbox",
    "channel_accounts",
}


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def test_fresh_database_gets_every_table_and_records_each_migration(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    applied = migrate_schema.migrate(str(db))
    assert applied == [name for name, _ in MIGRATIONS]
    assert tables(db) >= REQUIRED_TABLES
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        recorded = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert recorded == [name for name, _ in MIGRATIONS]


def test_rerun_is_a_no_op(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    migrate_schema.migrate(db)
    assert migrate_schema.migrate(db) == []
    assert all(applied_at for _, applied_at in migrate_schema.status(db))


def test_uniqueness_that_must_hold(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    migrate_schema.migrate(str(db))
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (1, 't', 'k', 'now')")
        conn.execute(
            "INSERT INTO contacts (id, tenant_id, channel, external_id, created_at, last_seen_at)"
            " VALUES (1, 1, 'sms', '+15550001', 'now', 'now')"
        )
        conn.execute(
            "INSERT INTO conversations (id, tenant_id, contact_id, channel, created_at, last_message_at)"
            " VALUES (1, 1, 1, 'sms', 'now', 'now')"
        )
        with pytest.raises(sqlite3.IntegrityError):  # one open conversation per contact
            conn.execute(
                "INSERT INTO conversations (tenant_id, contact_id, channel, created_at, last_message_at)"
                " VALUES (1, 1, 'sms', 'now', 'now')"
            )
        insert = (
            "INSERT INTO messages (tenant_id, conversation_id, channel, sender, text, external_id, created_at)"
            " VALUES (1, 1, 'sms', 'visitor', 'hi', 'SM1', 'now')"
        )
        conn.execute(insert)
        with pytest.raises(sqlite3.IntegrityError):  # a retried MessageSid cannot be stored twice
            conn.execute(insert)


def test_failed_step_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "h.sqlite")
    migrate_schema.migrate(db)
    broken = ("9999_broken", "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);")
    monkeypatch.setattr(migrator, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError):
        migrate_schema.migrate(db)
    assert "half_done" not in tables(Path(db))
    assert dict(migrate_schema.status(db))["9999_broken"] is None


def test_cli_status_and_apply(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    env = {"DB_PATH": db, "PATH": "/usr/bin:/bin"}
    pending = subprocess.run(
        [sys.executable, "migrate_schema.py", "--status"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "pending" in pending and "0001_initial" in pending
    applied = subprocess.run(
        [sys.executable, "migrate_schema.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "0001_initial" in applied
    again = subprocess.run(
        [sys.executable, "migrate_schema.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "applied 0 migration" in again
    status = subprocess.run(
        [sys.executable, "migrate_schema.py", "--status"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "pending" not in status
