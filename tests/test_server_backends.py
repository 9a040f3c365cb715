"""Which database the server opens: SQLite without DATABASE_URL (psycopg never loaded), PostgreSQL with it
(JWT_SECRET then required). The end-to-end suites marked `pytestmark = BACKENDS` run on both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.pg import ScratchDatabases
from tests.support import ROOT, LiveServer, login, query


def test_sqlite_startup_never_imports_psycopg(tmp_path: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from handoff.config import Settings\n"
        "from handoff.crypto import SecretBox\n"
        "import server\n"
        f"settings = Settings.from_env({{'DB_PATH': {str(tmp_path / 'h.sqlite')!r}}}).with_signing_key()\n"
        "async def main():\n"
        "    db = await server.migrated_database(settings, SecretBox(settings.jwt_secret))\n"
        "    await db.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg')))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_postgresql_without_jwt_secret_refuses_to_start(tmp_path: Path, fresh_pg_url: str) -> None:
    live = LiveServer(tmp_path, DATABASE_URL=fresh_pg_url)
    with pytest.raises(RuntimeError, match="exited early"):
        live.start()
    assert "DATABASE_URL is set but JWT_SECRET is not" in live.log()


def test_postgresql_server_stores_in_postgresql_and_keeps_no_file(
    tmp_path: Path, pg_databases: ScratchDatabases
) -> None:
    url = pg_databases.create()
    live = LiveServer(tmp_path, DATABASE_URL=url, JWT_SECRET="s" * 48).start()
    try:
        assert httpx.get(f"{live.url}/health").json() == {"status": "ok"}
        assert login(live)["user"]["email"] == live.admin_email
        assert query(live, "SELECT email FROM users WHERE role = ?", "admin") == [(live.admin_email,)]
        assert "handoff ready (database postgresql://" in live.log()
        live.restart()  # migrations already applied: a second start finds them recorded
        assert login(live)["access_token"]
    finally:
        live.stop()
        pg_databases.drop(url)
    assert not list(tmp_path.glob("handoff.sqlite*"))
