"""Make a psycopg 3 connection look like the `sqlite3.Connection` the store functions are written against.

Store functions call `conn.execute(sql, params)` with `?` placeholders and read rows by column name and by
index (`sqlite3.Row`). `PgConnection` keeps that surface: it rewrites placeholders to psycopg's (`?` to
`%s`, `:name` to `%(name)s`, and every `%` to `%%`; a `?` or `:name` inside a string literal, quoted
identifier, comment or dollar-quoted body is left alone), yields `PgRow`s that index like `sqlite3.Row`, and loads values the
way SQLite hands them back (numeric results as int or float, never Decimal; Python bools bound as 0/1).

There is deliberately no `lastrowid`: PostgreSQL has none, and emulating it (`SELECT lastval()`) is wrong
after any insert with an explicit id. Store code reads generated ids with `INSERT ... RETURNING id`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import psycopg
from psycopg import pq
from psycopg.abc import Buffer
from psycopg.adapt import Dumper, Loader
from psycopg.rows import RowMaker, tuple_row

Params = Sequence[Any] | Mapping[str, Any]

# One alternation, tried left to right at each position: the "skip" groups are copied (only `%` doubled), so
# a `?` or `:name` inside a literal, an identifier or a comment is never taken for a parameter.
_TOKENS = re.compile(
    r"""
      (?P<skip>
          (?<![\w$])[eE]'(?:[^'\\]|\\.|'')*'      # E'...' string: backslash escapes
        | '(?:[^']|'')*'                          # '...' string: '' is a quote
        | "(?:[^"]|"")*"                          # "quoted identifier"
        | --[^\n]*                                # line comment
        | /\*.*?\*/                               # block comment
        | \$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$   # $$dollar-quoted$$ body
        | ::                                      # a cast, not a named parameter
      )
    | (?P<qmark>\?)
    | (?P<percent>%)
    | :(?P<named>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.DOTALL,
)


@lru_cache(maxsize=2048)
def to_psycopg(sql: str) -> str:
    """`sql` with SQLite placeholders (`?`, `:name`) as psycopg's (`%s`, `%(name)s`); cached per text."""

    def replace(match: re.Match[str]) -> str:
        if match.group("skip") is not None:
            return match.group(0).replace("%", "%%")  # psycopg reads `%` everywhere, literals included
        if match.group("qmark") is not None:
            return "%s"
        if match.group("percent") is not None:
            return "%%"
        return f"%({match.group('named')})s"

    return _TOKENS.sub(replace, sql)


class PgRow:
    """A result row read like `sqlite3.Row`: `row["col"]`, `row[0]`, `dict(row)`, `a, b = row`."""

    __slots__ = ("_index", "_keys", "_values")

    def __init__(self, keys: tuple[str, ...], index: dict[str, int], values: Sequence[Any]) -> None:
        self._keys = keys
        self._index = index  # shared by every row of one result
        self._values = tuple(values)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                # sqlite3.Row matches names case-insensitively; PostgreSQL folds unquoted names to lower case.
                position = self._index.get(key.lower())
                if position is None:
                    raise IndexError(f"no such column: {key}") from None
                return self._values[position]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._keys)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PgRow):
            return NotImplemented
        return self._keys == other._keys and self._values == other._values

    def __hash__(self) -> int:
        return hash((self._keys, self._values))

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._keys, self._values, strict=True))!r})"


def pg_row(cursor: psycopg.Cursor[Any]) -> RowMaker[PgRow]:
    """psycopg row factory: the column index is built once per result, not once per row."""
    # The names straight from the result: `cursor.description` builds a Column object per column per call.
    result = cursor.pgresult
    names = [result.fname(i) for i in range(result.nfields)] if result is not None else []
    keys = tuple(bytes(name).decode() if name is not None else "" for name in names)
    index: dict[str, int] = {}
    for position, name in enumerate(keys):
        index.setdefault(name, position)  # a repeated name reads the first column, as in sqlite3.Row
        index.setdefault(name.lower(), position)

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(keys, index, values)

    return make


class NumberLoader(Loader):
    """numeric as SQLite would return it: `sum(int)` an int, `round(x, 3)` or `avg` a float (Decimal is not
    JSON-serialisable and compares unequal to the float the same query gives on SQLite)."""

    def load(self, data: Buffer) -> int | float:
        text = bytes(data).decode()
        return float(text) if any(c in text for c in ".eEN") else int(text)


class BoolAsIntDumper(Dumper):
    """Python bools bound as 0/1: flags are INTEGER columns on both databases, as SQLite stores them."""

    oid = psycopg.postgres.types["int2"].oid

    def dump(self, obj: Any) -> Buffer:
        return b"1" if obj else b"0"


def configure(conn: psycopg.Connection[Any]) -> None:
    """What every pooled connection needs before its first use (passed to the pool as `configure`)."""
    conn.adapters.register_loader("numeric", NumberLoader)
    conn.adapters.register_dumper(bool, BoolAsIntDumper)


class PgIntegrityError(sqlite3.IntegrityError):
    """A PostgreSQL constraint violation, raised as sqlite3's kind so store callers catch one name on both
    databases (and the SQLite default never has to import psycopg, about 24 MB of memory)."""


class PgCursor:
    """The part of `sqlite3.Cursor` the store uses: execute, fetch, iterate, rowcount, description."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    @property
    def row_factory(self) -> Any:
        return None if self._cursor.row_factory is tuple_row else pg_row

    @row_factory.setter
    def row_factory(self, value: Any) -> None:
        # The store's one use is `cursor.row_factory = None`: plain tuples for reports over many rows.
        self._cursor.row_factory = pg_row if value is not None else tuple_row

    def execute(self, sql: str, params: Params = ()) -> PgCursor:
        try:
            if params:
                self._cursor.execute(to_psycopg(sql), params)
            else:
                # Without parameters psycopg sends the text as is (no `%%` to undo), as sqlite3 does.
                self._cursor.execute(sql)
        except psycopg.IntegrityError as exc:
            raise PgIntegrityError(str(exc)) from exc
        return self

    def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> PgCursor:
        try:
            self._cursor.executemany(to_psycopg(sql), seq_of_params)
        except psycopg.IntegrityError as exc:
            raise PgIntegrityError(str(exc)) from exc
        return self

    def _has_rows(self) -> bool:
        # sqlite3 answers a fetch after a statement that returns no rows with None or []; psycopg raises.
        result = self._cursor.pgresult
        return result is not None and result.status == pq.ExecStatus.TUPLES_OK

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._has_rows() else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._has_rows() else []

    def fetchmany(self, size: int | None = None) -> list[Any]:
        if not self._has_rows():
            return []
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor) if self._has_rows() else iter(())

    @property
    def rowcount(self) -> int:
        """Rows an INSERT, UPDATE or DELETE touched, or the rows a SELECT returned (sqlite3 gives -1 there)."""
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int:
        raise NotImplementedError("PostgreSQL has no lastrowid: use INSERT ... RETURNING id")

    def close(self) -> None:
        self._cursor.close()


class PgConnection:
    """A psycopg connection behind the `sqlite3.Connection` surface the store functions use."""

    dialect: Literal["postgresql"] = "postgresql"

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def cursor(self) -> PgCursor:
        return PgCursor(self.raw.cursor(row_factory=pg_row))

    def execute(self, sql: str, params: Params = ()) -> PgCursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, seq_of_params: Sequence[Params]) -> PgCursor:
        return self.cursor().executemany(sql, seq_of_params)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE
