from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.store.migrator import migrate
from tests.browser import browser, context  # noqa: F401  (the shared chromium; a context per test)
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


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    """A new SQLite file with every migration applied, for unit tests of the store and the domain."""
    path = str(tmp_path / "handoff.sqlite")
    migrate(path)
    return path
