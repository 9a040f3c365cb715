"""Which database a deployment runs on: SQLite (the default, a file) or PostgreSQL (`DATABASE_URL`).

Store functions stay the same for both; the few that need another SQL spelling branch on `dialect(conn)`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from handoff.store.database import Database

if TYPE_CHECKING:
    from handoff.config import Settings

Dialect = Literal["sqlite", "postgresql"]
T = TypeVar("T")


class Store(Protocol):
    """What the app holds as its database, whichever backend: store functions (synchronous, given a
    connection with `sqlite3.Connection`'s surface) run inside `write` (committed when it returns), `read`, or
    `read_report` (long reads kept off the inbox's path). `Database` (SQLite) and `PostgresDatabase` both are."""

    async def close(self) -> None: ...

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, retry: bool = False) -> T: ...

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    async def read_report(self, fn: Callable[[sqlite3.Connection], T]) -> T: ...


_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def dialect(conn: Any) -> Dialect:
    """The SQL dialect of a store connection: the PostgreSQL adapter says "postgresql"; a plain
    `sqlite3.Connection` has no `dialect` attribute, and is "sqlite"."""
    found: Dialect = getattr(conn, "dialect", "sqlite")
    return found


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """A database URL safe to log: the password replaced (it may also sit in a `password=` parameter)."""
    return re.sub(r"(password=)[^&\s]*", r"\1***", _PASSWORD.sub(r"\1***@", url))


async def open_database(settings: Settings) -> Store:
    """The deployment's database, opened: PostgreSQL when `DATABASE_URL` is set, else the SQLite file."""
    if settings.database_url:
        # Imported here so a SQLite deployment never loads the pool.
        from handoff.store.postgres import PostgresDatabase

        size = settings.database_pool_size
        pg = PostgresDatabase(settings.database_url, writers=size, readers=max(2, size // 2))
        await pg.open()
        return pg
    db = Database(settings.db_path)
    await db.open()
    return db
