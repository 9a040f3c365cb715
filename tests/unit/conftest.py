"""Fixtures for unit tests that need a database but no server: a migrated temporary SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.store.database import configure
from handoff.store.migrator import migrate


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    """A fresh database file with every migration applied."""
    path = str(tmp_path / "unit.sqlite")
    migrate(path)
    return path


@pytest.fixture
def conn(db_path: str) -> Iterator[sqlite3.Connection]:
    """A connection configured as the app's are (rows by name, foreign keys on), in autocommit mode."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    configure(connection)
    yield connection
    connection.close()
