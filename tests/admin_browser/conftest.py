"""Fixtures for the admin SPA browser tests: one server per module (started after the SPA is built), a
tenant of its own per test. The page, in a fresh browser context, comes from tests/conftest.py."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.admin_browser.helpers import FRONTEND, Shop, spa_is_stale
from tests.support import Api, LiveServer, admin_api, login

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def spa_built() -> None:
    """`npm run build` when dist is missing or stale (`npm ci` first only when node_modules is missing)."""
    if not spa_is_stale():
        return
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)


@pytest.fixture(scope="module")
def live(spa_built: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Started after the build, so the server mounts dist at /admin-app/."""
    server = LiveServer(tmp_path_factory.mktemp("admin-browser")).start()
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
