"""Copy a SQLite deployment's data into a fresh PostgreSQL database (`migrate_schema.py --copy-to`).

Generic over the schema: the tables and their columns are read from both databases, so a table a new
migration adds is copied without a change here. A table the copy must not move row by row is named in
NOT_COPIED or DERIVED with the reason; a table in neither, or one whose columns differ between the two
databases, stops the copy before anything is written.

Order of work: refuse a target that holds data (the copy never merges); migrate the target; then, in ONE
PostgreSQL transaction (so a failure leaves the target's tables empty and a rerun is safe) and over one
SQLite read snapshot: drop the foreign keys and secondary indexes, COPY every table in foreign-key order,
rebuild the derived full-text index, build the indexes and put the foreign keys back (validating them),
move the identity sequences past the largest copied id, and count every table on both sides. A count that
differs rolls the transaction back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from handoff.store import migrator_pg
from handoff.store.channels import plaintext_accounts
from handoff.store.migrations import MIGRATIONS

BATCH_ROWS = 5000
# Another fixed 64-bit number than the migrator's: two copies started at once into one target queue here,
# and the second then finds the first one's rows and refuses.
COPY_LOCK = 0x68616E646F6663  # "handofc"

# Tables that are not copied, and why.
NOT_COPIED = {"schema_migrations": "the target's migrator records its own migrations"}
# Tables rebuilt on the target rather than copied as they are (see `_rebuild_search_index`).
DERIVED = {
    "search_index": "full-text index: FTS5 on SQLite, a table with a generated tsvector on PostgreSQL;"
    " imported history is indexed by the target's trigger as its rows arrive, closed conversations'"
    " bodies are copied from the FTS5 table and PostgreSQL derives their tsvector",
}

# table, rows done, rows in all
Progress = Callable[[str, int, int], None]


class CopyRefused(Exception):
    """The copy cannot start: the target holds data, or the source or the schemas are not as expected.
    Nothing was written to the target's tables."""


class CountMismatch(Exception):
    """After the copy a table's row count differs between the two databases; the copy was rolled back."""


@dataclass(frozen=True)
class TableCopy:
    name: str
    columns: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class CopyReport:
    tables: tuple[TableCopy, ...]
    counts: dict[str, int]  # every copied or derived table: its rows, the same on both sides

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)


def copy_to_postgres(db_path: str, url: str, progress: Progress | None = None) -> CopyReport:
    """Copy the SQLite file at `db_path` into the PostgreSQL database at `url` (see the module's doc)."""
    report = progress or (lambda table, done, total: None)
    with _sqlite_snapshot(db_path) as source:
        _check_source(source)
        _refuse_unless_empty(url)  # before migrating: never add our tables to a database holding other data
        migrator_pg.migrate(url, MIGRATIONS)
        with psycopg.connect(url) as target:  # one transaction: committed on return, rolled back on error
            target.execute("SELECT pg_advisory_xact_lock(%s)", (COPY_LOCK,))
            _refuse_unless_empty_conn(target)
            plan = copy_plan(source, target)
            foreign_keys, indexes = _drop_foreign_keys(target), _drop_indexes(target)
            for table in plan:
                _copy_table(source, target, table, report)
            _rebuild_search_index(source, target, report)
            _restore_indexes(target, indexes)
            _restore_foreign_keys(target, foreign_keys)
            _move_identity_sequences(target)
            counts = _verify_counts(source, target, [t.name for t in plan] + sorted(DERIVED))
    return CopyReport(tables=tuple(plan), counts=counts)


@contextmanager
def _sqlite_snapshot(db_path: str) -> Iterator[sqlite3.Connection]:
    """A read-only connection inside one read transaction: every table is read as of the same moment."""
    # A file: URI (percent-encoded, so any file name works) to open it read-only: the copy never writes there.
    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts at the first read
        yield conn
    finally:
        conn.close()


def _check_source(source: sqlite3.Connection) -> None:
    recorded = "schema_migrations" in _sqlite_tables(source)
    applied = [row[0] for row in source.execute("SELECT name FROM schema_migrations ORDER BY name")] if recorded else []
    known = [name for name, _ in MIGRATIONS]
    if applied != known:
        pending = [name for name in known if name not in applied]
        unknown = [name for name in applied if name not in known]
        raise CopyRefused(
            "the SQLite file is not at this version's schema"
            + (f" (pending: {', '.join(pending)}; run `python migrate_schema.py --db FILE` first)" if pending else "")
            + (f" (applied by a newer version: {', '.join(unknown)})" if unknown else "")
        )
    if plaintext_accounts(source):
        raise CopyRefused(
            "the SQLite file holds channel secrets in clear (written by an older version): run"
            " `python migrate_schema.py --db FILE` with its key file or JWT_SECRET first, which seals them"
        )


def _sqlite_tables(source: sqlite3.Connection) -> list[str]:
    """Ordinary and virtual tables in creation order, without SQLite's own and the virtual tables' shadow
    tables (FTS5 keeps its index in `<name>_data`, `<name>_idx`, ...)."""
    rows = source.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid").fetchall()
    virtual = [name for name, text in rows if (text or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [
        name
        for name, _ in rows
        if not name.startswith("sqlite_") and not any(name.startswith(v + "_") for v in virtual)
    ]


def _pg_tables(target: psycopg.Connection[Any]) -> list[str]:
    rows = target.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in rows]


def _refuse_unless_empty(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as target:
        _refuse_unless_empty_conn(target)


def _refuse_unless_empty_conn(target: psycopg.Connection[Any]) -> None:
    holding = [
        table
        for table in _pg_tables(target)
        if table not in NOT_COPIED
        and target.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))).fetchone()
        == (True,)
    ]
    if holding:
        raise CopyRefused(
            f"the target database already holds data (in {', '.join(holding)}): --copy-to only fills an empty"
            " database, so nothing was copied"
        )


def copy_plan(source: sqlite3.Connection, target: psycopg.Connection[Any]) -> list[TableCopy]:
    """Every table to copy, parents before children, with the columns to copy and its row count.
    Raises CopyRefused when a table or a column is on one side only."""
    sqlite_tables = _sqlite_tables(source)
    pg_tables = _pg_tables(target)
    skipped = set(NOT_COPIED) | set(DERIVED)
    unaccounted = sorted((set(sqlite_tables) ^ set(pg_tables)) - skipped)
    if unaccounted:
        raise CopyRefused(
            f"table(s) not in both databases: {', '.join(unaccounted)}. A table that is not copied must be named in"
            " NOT_COPIED or DERIVED (handoff/store/copy_to_pg.py) with its reason"
        )
    plan = []
    for table in _foreign_key_order(source, [t for t in sqlite_tables if t not in skipped]):
        columns = tuple(row[1] for row in source.execute(f'PRAGMA table_info("{table}")'))
        pg_columns = _pg_columns(target, table)
        if set(columns) != set(pg_columns):
            raise CopyRefused(
                f"table {table}: the columns differ (only in SQLite: {sorted(set(columns) - set(pg_columns))},"
                f" only in PostgreSQL: {sorted(set(pg_columns) - set(columns))})"
            )
        plan.append(TableCopy(table, columns, _sqlite_count(source, table)))
    return plan


def _pg_columns(target: psycopg.Connection[Any], table: str) -> list[str]:
    """The columns a copy writes: generated ones (the search document) PostgreSQL computes itself."""
    rows = target.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s"
        " AND is_generated = 'NEVER'",
        (table,),
    )
    return [row[0] for row in rows]


def _foreign_key_order(source: sqlite3.Connection, tables: list[str]) -> list[str]:
    """`tables` with every table after the tables its foreign keys reference (creation order otherwise)."""
    parents = {
        table: {row[2] for row in source.execute(f'PRAGMA foreign_key_list("{table}")')} - {table} for table in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        # A reference to a table outside `tables` (not copied) puts no constraint on the order.
        ready = [t for t in tables if t not in ordered and parents[t] & set(tables) <= set(ordered)]
        if not ready:
            raise CopyRefused(f"foreign keys form a cycle among: {', '.join(t for t in tables if t not in ordered)}")
        ordered.append(ready[0])
    return ordered


def _sqlite_count(source: sqlite3.Connection, table: str) -> int:
    return int(source.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def _copy_rows(
    target: psycopg.Connection[Any],
    table: str,
    columns: tuple[str, ...],
    rows: sqlite3.Cursor,
    total: int,
    report: Progress,
) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    done = 0
    report(table, done, total)
    with target.cursor() as cursor, cursor.copy(statement) as copy:
        while batch := rows.fetchmany(BATCH_ROWS):
            for row in batch:
                copy.write_row(row)
            done += len(batch)
            report(table, done, total)


def _copy_table(
    source: sqlite3.Connection, target: psycopg.Connection[Any], table: TableCopy, report: Progress
) -> None:
    names = ", ".join(f'"{c}"' for c in table.columns)
    rows = source.execute(f'SELECT {names} FROM "{table.name}" ORDER BY rowid')
    _copy_rows(target, table.name, table.columns, rows, table.rows, report)


def _rebuild_search_index(source: sqlite3.Connection, target: psycopg.Connection[Any], report: Progress) -> None:
    """Imported history is already indexed (the target's trigger ran for every copied history row); the
    closed conversations' entries are copied from the FTS5 table, which keeps each body as indexed."""
    columns = ("rowid", "body", "kind", "ref_id", "tenant_id")
    condition = "kind <> 'imported'"
    total = int(source.execute(f"SELECT count(*) FROM search_index WHERE {condition}").fetchone()[0])
    rows = source.execute(f"SELECT {', '.join(columns)} FROM search_index WHERE {condition} ORDER BY rowid")
    _copy_rows(target, "search_index", columns, rows, total, report)


def _drop_foreign_keys(target: psycopg.Connection[Any]) -> list[tuple[str, str, str]]:
    """Checked row by row, foreign keys take about half of a COPY's time; put back after the copy, each is
    validated in one pass over its table. Dropped inside the copy's transaction: a rollback restores them."""
    constraints = target.execute(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
        " ORDER BY t.relname, c.conname"
    ).fetchall()
    for table, name, _ in constraints:
        target.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    return [(str(table), str(name), str(definition)) for table, name, definition in constraints]


def _restore_foreign_keys(target: psycopg.Connection[Any], constraints: list[tuple[str, str, str]]) -> None:
    """Put the foreign keys back as they were; a copied row that breaks one fails the copy here."""
    for table, name, definition in constraints:
        target.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table),
                sql.Identifier(name),
                sql.SQL(definition),  # the database's own text
            )
        )


def _drop_indexes(target: psycopg.Connection[Any]) -> list[str]:
    """The secondary indexes (not those behind a primary key or a UNIQUE constraint): one build from the
    copied rows is several times cheaper than an insert into each per row. Returns their definitions."""
    indexes = target.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('public.%I', i.indexname)::regclass)"
        " ORDER BY i.indexname"
    ).fetchall()
    for name, _ in indexes:
        target.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [str(definition) for _, definition in indexes]


def _restore_indexes(target: psycopg.Connection[Any], definitions: list[str]) -> None:
    """Build the indexes again; a unique one that the copied rows break fails the copy here."""
    for definition in definitions:
        target.execute(sql.SQL(definition))  # the database's own text  # type: ignore[arg-type]


def _move_identity_sequences(target: psycopg.Connection[Any]) -> None:
    """Copied rows carry their ids, which leaves each identity sequence at its start: move it past the
    largest id so the next insert gets a new one. (setval is not transactional: after a rollback the
    sequences stay moved on the empty tables, which is harmless, and a rerun sets them again.)"""
    identity_columns = target.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identity_columns:
        target.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({}), 0) + 1, false) FROM {}").format(
                sql.Identifier(column), sql.Identifier(table)
            ),
            (sql.Identifier("public", table).as_string(target), column),
        )


def _verify_counts(source: sqlite3.Connection, target: psycopg.Connection[Any], tables: list[str]) -> dict[str, int]:
    counts, differing = {}, []
    for table in tables:
        here = _sqlite_count(source, table)
        row = target.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        there = int(row[0]) if row else -1
        counts[table] = here
        if here != there:
            differing.append(f"{table}: {here} in SQLite, {there} in PostgreSQL")
    if differing:
        raise CountMismatch("row counts differ after the copy, rolled back: " + "; ".join(differing))
    return counts
