"""Migrations on PostgreSQL: every named step has a PostgreSQL form, a fresh database gets them all once,
reruns are no-ops, concurrent migrators apply each step exactly once, a failing step leaves nothing."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import psycopg
import pytest

from handoff.store import migrator, migrator_pg
from handoff.store.migrations import MIGRATIONS
from handoff.store.migrations_pg import PG_MIGRATIONS, SAME
from tests.support import ROOT

NAMES = [name for name, _ in MIGRATIONS]
TABLES = {
    "tenants",
    "channel_accounts",
    "users",
    "auth_sessions",
    "contacts",
    "conversations",
    "messages",
    "followups",
    "history",
    "search_index",
    "events",
    "conversation_metrics",
    "outbox",
    "provider_status",
    "schema_migrations",
}


def test_every_migration_has_a_postgresql_form() -> None:
    """Runs without PostgreSQL: whoever appends a migration learns here that it needs its PostgreSQL form."""
    assert set(PG_MIGRATIONS) == set(NAMES)
    for name, step in MIGRATIONS:
        assert migrator_pg.pg_form(name, step)


def test_a_step_without_a_postgresql_form_stops_before_anything_is_applied(fresh_pg_url: str) -> None:
    with pytest.raises(LookupError, match="9999_new"):
        migrator_pg.migrate(fresh_pg_url, [*MIGRATIONS, ("9999_new", "CREATE TABLE later (id INTEGER)")])
    assert all(applied_at is None for _, applied_at in migrator.status(fresh_pg_url))


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_fresh_database_then_rerun(fresh_pg_url: str) -> None:
    assert migrator.migrate(fresh_pg_url) == NAMES
    assert tables(fresh_pg_url) >= TABLES
    assert migrator.migrate(fresh_pg_url) == []
    assert [name for name, applied_at in migrator.status(fresh_pg_url) if applied_at] == NAMES


def test_concurrent_migrators_apply_each_step_once(fresh_pg_url: str) -> None:
    with ProcessPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(migrator.migrate, [fresh_pg_url] * 3))
    applied = [name for result in results for name in result]
    assert sorted(applied) == NAMES  # every step applied, and by one process only
    with psycopg.connect(fresh_pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (len(NAMES),)


def test_failed_step_leaves_nothing_behind(fresh_pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrator.migrate(fresh_pg_url)
    broken = ("9999_broken", "CREATE TABLE half_done (id INTEGER);\nINSERT INTO no_such_table VALUES (1);")
    monkeypatch.setitem(PG_MIGRATIONS, "9999_broken", SAME)
    with pytest.raises(psycopg.errors.UndefinedTable):
        migrator_pg.migrate(fresh_pg_url, [*MIGRATIONS, broken])
    assert "half_done" not in tables(fresh_pg_url)
    assert dict(migrator_pg.status(fresh_pg_url, [*MIGRATIONS, broken]))["9999_broken"] is None


def test_schema_rules_that_must_hold(pg_url: str) -> None:
    migrator.migrate(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (1, 't', 'k', 'now')")
        add_user = "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (1, %s, 'n', 'h', 'staff', 'now')"
        conn.execute(add_user, ("ann@example.com",))
        with pytest.raises(psycopg.errors.UniqueViolation):  # emails are unique whatever their case
            conn.execute(add_user, ("Ann@Example.COM",))
        conn.execute(
            "INSERT INTO history (tenant_id, transcript, contact_name, imported_at) VALUES (1, 'Crème brûlée', 'Zoë', 'now')"
        )
        indexed = conn.execute(
            "SELECT rowid, kind, ref_id FROM search_index WHERE document @@ to_tsquery('handoff_search', 'creme & zoe')"
        ).fetchall()
        history_id = conn.execute("SELECT id FROM history").fetchone()[0]
        assert indexed == [(2 * history_id + 1, "imported", history_id)]
        conn.execute("DELETE FROM history")
        assert conn.execute("SELECT count(*) FROM search_index").fetchone() == (0,)


def test_cli_on_postgresql(fresh_pg_url: str) -> None:
    def cli(*args: str, env: dict[str, str] | None = None) -> str:
        command = [sys.executable, "migrate_schema.py", *args]
        environment = {"PATH": "/usr/bin:/bin", "DB_PATH": "/nonexistent/unused.sqlite", **(env or {})}
        return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True).stdout

    assert "pending" in cli("--status", "--database-url", fresh_pg_url)
    applied = cli(env={"DATABASE_URL": fresh_pg_url})
    assert "0001_initial" in applied and fresh_pg_url.split("@")[-1] in applied
    assert "applied 0 migration" in cli("--database-url", fresh_pg_url)
    assert "pending" not in cli("--status", env={"DATABASE_URL": fresh_pg_url})
