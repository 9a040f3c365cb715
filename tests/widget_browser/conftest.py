"""Fixtures for the widget browser tests: one server per module (tests/conftest.py), a tenant of its own per
test with staff online or not. The page, in a fresh browser context, comes from tests/conftest.py too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import LiveServer
from tests.widget_browser.helpers import Shop


@pytest.fixture
def shop(server: LiveServer) -> Iterator[Shop]:
    """A tenant whose staff are online (a staff socket is connected), so the widget opens on the chat."""
    shop = Shop(server).go_online()
    yield shop
    shop.close()


@pytest.fixture
def offline_shop(server: LiveServer) -> Iterator[Shop]:
    """A tenant with nobody online: the widget opens on the follow-up form."""
    shop = Shop(server)
    yield shop
    shop.close()
