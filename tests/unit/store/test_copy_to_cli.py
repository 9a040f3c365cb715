"""`python migrate_schema.py --copy-to URL` as an operator runs it: per-table progress on stderr, the
summary and which JWT_SECRET to set on stdout (never the key itself), exit 2 for a refusal and 1 when the
counts differ, with the target left empty."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg

from handoff.store import migrator
from handoff.store.copy_to_pg import copy_plan
from tests.support import ROOT
from tests.unit.store.test_copy_to_pg import seed_every_table

KEY = "the-sqlite-deployments-key-" + "x" * 40


def run_copy(db_path: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "migrate_schema.py", "--db", db_path, "--copy-to", url]
    environment = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def seeded(db_path: str) -> None:
    """Rows in every table, and the key file beside the database as the server leaves it."""
    with sqlite3.connect(db_path, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        seed_every_table(conn)
    Path(f"{db_path}.jwt-secret").write_text(KEY)


def test_progress_per_table_summary_and_which_key_to_set(db_path: str, fresh_pg_url: str) -> None:
    seeded(db_path)
    done = run_copy(db_path, fresh_pg_url)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db_path) as source, psycopg.connect(fresh_pg_url) as target:
        plan = copy_plan(source, target)
    lines = done.stderr.splitlines()
    for table in plan:  # not a terminal: one line per table, once it is done
        assert [line.split() for line in lines if line.split()[0] == table.name] == [
            [table.name, f"{table.rows:,}", "/", f"{table.rows:,}", "rows", "100%"]
        ]
    assert any(line.startswith("search_index ") and line.endswith("100%") for line in lines)
    assert "row counts verified on both sides" in done.stdout
    assert f'JWT_SECRET="$(cat {db_path}.jwt-secret)"' in done.stdout
    assert KEY not in done.stdout + done.stderr
    assert "127.0.0.1" in done.stdout


def test_a_target_holding_data_exits_2(db_path: str, fresh_pg_url: str) -> None:
    seeded(db_path)
    assert run_copy(db_path, fresh_pg_url).returncode == 0
    again = run_copy(db_path, fresh_pg_url)
    assert again.returncode == 2
    assert "copy refused: the target database already holds data" in again.stderr
    with psycopg.connect(fresh_pg_url) as target:
        assert target.execute("SELECT count(*) FROM tenants").fetchone() == (2,)


def test_a_missing_file_exits_2(tmp_path: Path, fresh_pg_url: str) -> None:
    missing = run_copy(str(tmp_path / "nothing.sqlite"), fresh_pg_url)
    assert missing.returncode == 2
    assert "no SQLite file at" in missing.stderr
    with psycopg.connect(fresh_pg_url) as target:
        assert target.execute("SELECT to_regclass('tenants')").fetchone() == (None,)


def test_counts_that_differ_exit_1_and_leave_the_target_empty(db_path: str, fresh_pg_url: str) -> None:
    seeded(db_path)
    migrator.migrate(fresh_pg_url)
    with psycopg.connect(fresh_pg_url, autocommit=True) as target:
        # The target silently drops audit rows as they arrive: the final count must catch it.
        target.execute(
            "CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;"
            " CREATE TRIGGER lose_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION drop_row()"
        )
    failed = run_copy(db_path, fresh_pg_url)
    assert failed.returncode == 1
    assert "events: 2 in SQLite, 0 in PostgreSQL" in failed.stderr
    assert "nothing was kept in the target" in failed.stderr
    with psycopg.connect(fresh_pg_url) as target:
        assert target.execute("SELECT count(*) FROM tenants").fetchone() == (0,)


def test_a_deployment_run_with_jwt_secret_is_told_to_keep_it(db_path: str, fresh_pg_url: str) -> None:
    done = run_copy(db_path, fresh_pg_url, JWT_SECRET=KEY)
    assert done.returncode == 0, done.stderr
    assert "JWT_SECRET set to the JWT_SECRET this SQLite deployment runs with" in done.stdout
    assert KEY not in done.stdout + done.stderr
