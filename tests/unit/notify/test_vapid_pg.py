"""Processes starting together on one PostgreSQL database make one VAPID key pair between them: the second
to ask waits on the first's lock and then finds its pair."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import psycopg

from handoff.crypto import SecretBox
from handoff.notify import vapid
from handoff.store import migrator
from handoff.store.pg_adapter import PgConnection, configure
from tests.support import eventually

BOX = SecretBox("unit-test-" + "k" * 32)


@contextlib.contextmanager
def connection(url: str, autocommit: bool = False) -> Iterator[Any]:
    with psycopg.connect(url, autocommit=autocommit) as raw:
        configure(raw)
        yield PgConnection(raw)


def waiting_on_locks(url: str) -> int:
    with connection(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        return int(row[0])


def test_two_starts_at_once_make_one_key_pair(fresh_pg_url: str) -> None:
    migrator.migrate(fresh_pg_url)
    found: list[vapid.VapidKeys] = []

    def second_process() -> None:
        with connection(fresh_pg_url) as conn:
            found.append(vapid.ensure(conn, BOX))
            conn.raw.commit()

    with connection(fresh_pg_url) as first:
        made = vapid.ensure(first, BOX)  # made, not committed yet: the lock is held
        racer = threading.Thread(target=second_process)
        racer.start()
        eventually(lambda: waiting_on_locks(fresh_pg_url) >= 1)  # the second one waits for the first
        first.raw.commit()
    racer.join()
    assert found == [made]
    with connection(fresh_pg_url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM push_vapid").fetchone()[0] == 1
