"""Fixtures for the admin SPA browser tests: one server per module (started after the SPA is built), a
tenant of its own per test. The page, in a fresh browser context, comes from tests/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.admin_browser.helpers import Shop, ensure_spa_built
from tests.fakes.twilio_api import FakeTwilio
from tests.support import Api, LiveServer, admin_api, login

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def spa_built() -> None:
    ensure_spa_built()


@pytest.fixture(scope="module")
def live(
    spa_built: None,
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
) -> Iterator[LiveServer]:
    """Started after the build, so the server mounts dist at /admin-app/; on the module's backend (a module
    with `pytestmark = BACKENDS` runs on PostgreSQL too)."""
    server = make_server(tmp_path_factory.mktemp("admin-browser"), TWILIO_API_BASE=twilio.url).start()
    yield server
    server.stop()


@pytest.fixture
def shop(live: LiveServer) -> Iterator[Shop]:
    platform = admin_api(live)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    password = "pw-" + uuid.uuid4().hex
    name = f"Shop {uuid.uuid4().hex[:6]}"
    created = platform.post("/api/v1/tenants", {"name": name, "admin_email": email, "admin_password": password})
    assert created.status_code == 201, created.text
    platform.close()
    signed = login(live, email, password)
    api = Api(live, signed["access_token"])
    yield Shop(api, created.json()["widget_key"], email, password, signed["user"]["id"], signed["user"]["name"])
    api.close()
