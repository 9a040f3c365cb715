from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import browser, context  # noqa: F401  (the shared chromium; a context per test)
from tests.fakes.graph_api import FakeGraph
from tests.fakes.twilio_api import FakeTwilio
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


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    """A loopback Twilio REST API per test module (a server under test reaches it through TWILIO_API_BASE)."""
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    """A loopback Graph API per test module (GRAPH_API_BASE=graph.base)."""
    fake = FakeGraph().start()
    yield fake
    fake.stop()
