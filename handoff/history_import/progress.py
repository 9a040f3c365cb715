"""Progress of `migrate_schema.py --import-history` on stderr, in the style of `handoff.copy_progress`.

On a terminal one line is redrawn in place (a bar, bytes read of the file's size, rows, conversations and
rates), at most five times a second; elsewhere (a log, a pipe) a line is written at every tenth of the file,
so the output stays readable there."""

from __future__ import annotations

import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.2


def megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB"


class ImportProgress:
    def __init__(self, stream: TextIO, total_bytes: int) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._total = total_bytes
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._tenth = 0

    def __call__(self, done_bytes: int, rows: int, conversations: int, *, final: bool = False) -> None:
        now = time.monotonic()
        share = min(done_bytes / self._total, 1.0) if self._total else 1.0
        if self._live:
            if not final and now - self._drawn_at < REDRAW_SECONDS:
                return
            self._drawn_at = now
            self._stream.write("\r" + self.line(share, done_bytes, rows, conversations, now) + ("\n" if final else ""))
        else:
            tenth = int(share * 10)
            if not final and (tenth <= self._tenth or tenth == 10):  # the final call writes the last line
                return
            self._tenth = tenth
            self._stream.write(self.line(share, done_bytes, rows, conversations, now, bar=False) + "\n")
        self._stream.flush()

    def line(self, share: float, done: int, rows: int, conversations: int, now: float, bar: bool = True) -> str:
        seconds = max(now - self._started, 1e-6)
        drawn = f"[{'#' * round(share * BAR_WIDTH):<{BAR_WIDTH}}] " if bar else ""
        return (
            f"{drawn}{share:4.0%} {megabytes(done)} / {megabytes(self._total)}, {rows:,} rows,"
            f" {conversations:,} conversations, {rows / seconds:,.0f} rows/s, {megabytes(int(done / seconds))}/s"
        )
