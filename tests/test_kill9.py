"""kill -9 under load, bounded: three rounds of bench/kill9.py (the full run is 20). Visitors send with
acknowledgements, the server dies mid-stream and restarts; every acknowledged message is still there,
the resent unacknowledged ones are stored once, and a resume replays each acknowledged message once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.support import ROOT


def test_three_rounds_of_kill_9_lose_and_double_nothing(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("kill9", ROOT / "bench" / "kill9.py")
    assert spec is not None and spec.loader is not None
    kill9 = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = kill9  # its dataclass looks itself up there
    spec.loader.exec_module(kill9)
    lines: list[str] = []
    counts = kill9.run(rounds=3, visitors=4, workdir=tmp_path, say=lines.append)
    assert counts.rounds == 3 and len(lines) == 3
    assert counts.acknowledged >= 300  # it ran under load: each round waits for at least 100 more acks
    assert counts.in_flight > 0  # and the kills came with messages unacknowledged
    assert counts.found == counts.checked > 0
    assert counts.lost == 0
    assert counts.duplicates == 0
    assert counts.resume_misses == 0
