"""bench/deployment.py, which `bench/run_all.py --backend postgresql --processes N` uses: Handoff as two
processes on a scratch database and Redis prefix of the benchmark's own, both gone after `stop()`."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import redis

from tests.pg import ADMIN_URL, ScratchDatabases
from tests.support import ROOT

sys.path.insert(0, str(ROOT / "bench"))  # the benchmark's modules import each other by bare name

import deployment


@pytest.fixture
def scratch_names(pg_databases: ScratchDatabases, redis_url: str) -> Iterator[list[str]]:
    """Database names this test's deployments used, dropped here too if a failed test left one behind."""
    names: list[str] = []
    yield names
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def test_two_processes_share_a_scratch_database_and_prefix_removed_at_stop(
    scratch_names: list[str], redis_url: str
) -> None:
    dep = deployment.start("handoff", processes=2, backend="postgresql", pg_url=ADMIN_URL, redis_url=redis_url)
    assert dep.scratch is not None
    scratch_names.append(dep.scratch.name)
    try:
        assert dep.scratch.name.startswith("handoff_bench_") and database_exists(dep.scratch.name)
        login = {"email": dep.first.email, "password": dep.first.password}
        token = httpx.post(f"{dep.base_urls[0]}/api/v1/auth/login", json=login).json()["access_token"]
        # One deployment: the second process accepts the first's token and reads the same tenant.
        tenant = httpx.get(f"{dep.base_urls[1]}/api/v1/tenant", headers={"Authorization": f"Bearer {token}"})
        assert tenant.status_code == 200, tenant.text
        with redis.Redis.from_url(redis_url) as client:
            assert list(client.scan_iter(match=f"{dep.scratch.prefix}*"))  # presence, written under the prefix
        dep.analyze()  # statistics, as autovacuum would gather them (it is off on the development machine)
        with psycopg.connect(dep.scratch.database_url) as conn:
            analyzed = conn.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'conversations'")
            row = analyzed.fetchone()
            assert row is not None and row[0] is not None
        lookup = dep.service_pids()  # what the generator samples for PostgreSQL's and Redis's CPU
        assert lookup is not None
        found = lookup()
        assert found["postgresql"] and found["redis"]
    finally:
        dep.stop()
    assert not database_exists(dep.scratch.name)
    with redis.Redis.from_url(redis_url) as client:
        assert not list(client.scan_iter(match=f"{dep.scratch.prefix}*"))


def test_several_processes_need_postgresql() -> None:
    with pytest.raises(ValueError, match="postgresql"):
        deployment.start("handoff", processes=2, backend="sqlite")
