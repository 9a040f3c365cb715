from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import browser, context  # noqa: F401  (the shared chromium; a context per test)
from tests.pg import ADMIN_URL, ScratchDatabases, set_aside_when_unreachable, summary_line, unreachable
from tests.support import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server per test module; tests isolate themselves with their own tenants."""
    live = LiveServer(tmp_path_factory.mktemp("server")).start()
    yield live
    live.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server with a brand-new database for tests that need one to themselves."""
    live = LiveServer(tmp_path)
    yield live
    live.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    set_aside_when_unreachable(config, items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    line = summary_line(config)
    if line:
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[ScratchDatabases]:
    """The PostgreSQL server (TEST_PG_ADMIN_URL, default 127.0.0.1:5432): fails the run in CI when it is
    down, skips the tests that need it elsewhere. Whatever the run created is dropped at its end."""
    scratch = ScratchDatabases(ADMIN_URL)
    if not scratch.reachable():
        unreachable(ADMIN_URL)
    yield scratch
    scratch.drop_all()


@pytest.fixture(scope="module")
def pg_url(pg_databases: ScratchDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test module, dropped after it."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


@pytest.fixture
def fresh_pg_url(pg_databases: ScratchDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)
