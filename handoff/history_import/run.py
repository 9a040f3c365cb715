"""Import a file of past conversations into one tenant's History, on SQLite or PostgreSQL, committing in
batches: memory stays bounded by one conversation and one batch whatever the file's size, and an import
stopped half way keeps its committed batches (a re-run skips them: imports are idempotent per external id)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from handoff.history_import.formats import Bad, Malformed, Meter, Record, read_csv, read_jsonl
from handoff.history_import.progress import ImportProgress
from handoff.store import history, tenants
from handoff.store.backend import is_postgres_url
from handoff.store.database import configure

BATCH_CONVERSATIONS = 200
BATCH_CHARACTERS = 8_000_000
FORMATS: dict[str, Callable[[IO[bytes], Meter], Iterator[Record | Bad]]] = {"jsonl": read_jsonl, "csv": read_csv}
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class Refused(Exception):
    """Nothing can be imported (no such file, format or tenant)."""


@dataclass
class Summary:
    imported: int = 0
    already: int = 0
    bad: int = 0
    rows: int = 0
    malformed: str | None = None


def format_of(path: str, given: str | None) -> str:
    name = given or EXTENSIONS.get(Path(path).suffix.lower())
    if name not in FORMATS:
        raise Refused(f"cannot tell the format of {path}: name it .jsonl or .csv, or pass --format jsonl|csv")
    return name


class Target:
    """One connection to the deployment's database, with explicit batches (transactions)."""

    def __init__(self, target: str) -> None:
        self.postgres = is_postgres_url(target)
        if self.postgres:
            import psycopg

            from handoff.store.pg_adapter import PgConnection
            from handoff.store.pg_adapter import configure as configure_pg

            self.raw: Any = psycopg.connect(target)
            configure_pg(self.raw)
            self.conn: Any = PgConnection(self.raw)
        else:
            self.raw = sqlite3.connect(target, isolation_level=None)
            configure(self.raw)
            self.conn = self.raw

    def begin(self) -> None:
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.raw.commit() if self.postgres else self.conn.execute("COMMIT")

    def close(self) -> None:
        if self.postgres or self.conn.in_transaction:
            self.raw.rollback()
        self.raw.close()


def import_history(
    path: str, target: str, tenant_id: int, fmt: str | None, errors: TextIO, progress_stream: TextIO
) -> Summary:
    """Import `path` for `tenant_id` into the migrated database `target`; bad records are written to `errors`
    (with their line numbers) and skipped; a malformed file stops the import (`Summary.malformed`)."""
    reader = FORMATS[format_of(path, fmt)]
    file = Path(path)
    if not file.is_file():
        raise Refused(f"no such file: {path}")
    db = Target(target)
    try:
        if not tenants.exists(db.conn, tenant_id):
            raise Refused(f"no tenant with id {tenant_id}")
        with file.open("rb") as stream:
            return _run(db, reader(stream, meter := Meter()), meter, tenant_id, path, errors,
                        ImportProgress(progress_stream, file.stat().st_size))  # fmt: skip
    finally:
        db.close()


def _run(
    db: Target,
    records: Iterator[Record | Bad],
    meter: Meter,
    tenant_id: int,
    path: str,
    errors: TextIO,
    progress: ImportProgress,
) -> Summary:
    summary = Summary()
    in_batch = characters = 0
    db.begin()
    try:
        for record in records:
            if isinstance(record, Bad):
                summary.bad += 1
                errors.write(f"{path}:{record.line}: {record.reason}\n")
                continue
            item = record.item()
            if history.import_conversation(db.conn, tenant_id, item):
                summary.imported += 1
            else:
                summary.already += 1
            in_batch, characters = in_batch + 1, characters + len(item["transcript"])
            if in_batch >= BATCH_CONVERSATIONS or characters >= BATCH_CHARACTERS:
                db.commit()
                db.begin()
                in_batch = characters = 0
            progress(meter.bytes, meter.rows, summary.imported + summary.already)
    except Malformed as problem:
        summary.malformed = str(problem)
    db.commit()  # the records read before a malformed part are kept: a re-run skips them
    summary.rows = meter.rows
    progress(meter.bytes, meter.rows, summary.imported + summary.already, final=True)
    return summary
