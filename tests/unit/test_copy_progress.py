"""The --copy-to progress lines: redrawn in place with a bar on a terminal, one line per table elsewhere."""

from __future__ import annotations

import io

from handoff.copy_progress import CopyProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_redrawn_in_place() -> None:
    stream = Terminal()
    progress = CopyProgress(stream)
    for done in (0, 5000, 10000):
        progress("messages", done, 10000)
    progress("messages", 10000, 10000)  # a repeat after the end adds nothing
    frames = stream.getvalue().split("\r")[1:]
    assert len(frames) == 3
    assert "[" + " " * 30 + "]" in frames[0] and frames[0].rstrip().endswith("0%")
    assert "#" * 15 + " " * 15 in frames[1] and "5,000 / 10,000 rows  50%" in frames[1]
    assert frames[2].endswith("10,000 / 10,000 rows 100%\n")


def test_elsewhere_one_line_per_table_when_it_is_done() -> None:
    stream = io.StringIO()
    progress = CopyProgress(stream)
    for done in (0, 5000, 10000):
        progress("messages", done, 10000)
    progress("outbox", 0, 0)  # an empty table is done at once
    assert stream.getvalue().splitlines() == [
        "messages                    10,000 / 10,000 rows 100%",
        "outbox                           0 / 0 rows 100%",
    ]
