"""Per-table progress of `migrate_schema.py --copy-to`, written to stderr.

On a terminal each table's line is redrawn in place with a bar as its batches arrive; elsewhere (a log, a
pipe) each table gets one line when it is done, so the output stays readable there.
"""

from __future__ import annotations

from typing import TextIO

BAR_WIDTH = 30


class CopyProgress:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._finished: set[str] = set()

    def __call__(self, table: str, done: int, total: int) -> None:
        if table in self._finished:
            return
        finished = done >= total
        if self._live:
            self._stream.write("\r" + line(table, done, total, bar=True) + ("\n" if finished else ""))
        elif finished:
            self._stream.write(line(table, done, total) + "\n")
        if finished:
            self._finished.add(table)
        self._stream.flush()


def line(table: str, done: int, total: int, bar: bool = False) -> str:
    share = done / total if total else 1.0
    drawn = f"[{'#' * round(share * BAR_WIDTH):<{BAR_WIDTH}}] " if bar else ""
    return f"{table:<22} {drawn}{done:>11,} / {total:,} rows {share:4.0%}"
