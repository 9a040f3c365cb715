"""Scratch PostgreSQL databases for tests: each created under a unique name and dropped afterwards, so runs
on the machine that also serves development (and other runs at the same time) never meet."""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

import psycopg
import pytest

from tests import services

# The server's maintenance database; scratch databases are created beside it.
ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


class ScratchDatabases:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3)

    def reachable(self) -> bool:
        try:
            with self._admin():
                return True
        except psycopg.OperationalError:
            return False

    def create(self) -> str:
        name = f"handoff_test_{secrets.token_hex(6)}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return urlsplit(self.admin_url)._replace(path=f"/{name}").geturl()

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        if name not in self.created:  # only ever what this run created
            return
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(urlsplit(self.admin_url)._replace(path=f"/{name}").geturl())


def skip_message(admin_url: str) -> str:
    return f"skipped: PostgreSQL not reachable at {address(admin_url)}"


def unreachable(admin_url: str) -> None:
    """CI must never skip silently: there every test that needs PostgreSQL fails; elsewhere it is skipped."""
    if os.environ.get("CI"):
        pytest.fail(f"CI requires PostgreSQL, not reachable at {address(admin_url)}", pytrace=False)
    pytest.skip(skip_message(admin_url))


SKIPPED = pytest.StashKey[int]()


def set_aside_when_unreachable(config: pytest.Config, items: list[pytest.Item]) -> None:
    services.set_aside(config, items, "pg_databases", ScratchDatabases(ADMIN_URL).reachable, SKIPPED)


def summary_line(config: pytest.Config) -> str | None:
    return services.summary(config, SKIPPED, skip_message(ADMIN_URL))
