"""The admin SPA's API types are generated from the app and committed: admin-frontend/src/api/openapi.json and
schema.d.ts must be exactly what `npm run gen:api` writes from the code as it is now. Change a response model
without regenerating them and this fails."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

FRONTEND = ROOT / "admin-frontend"
COMMITTED = FRONTEND / "src" / "api"
OPENAPI_TS = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
GENERATED = ("openapi.json", "schema.d.ts")
REGENERATE = "run `cd admin-frontend && npm run gen:api`"


def run(command: list[str], **env: str) -> None:
    done = subprocess.run(command, cwd=FRONTEND, env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def regenerate(into: Path) -> None:
    """The two steps of package.json's gen:api script, writing into `into` instead of src/api."""
    if not OPENAPI_TS.exists():
        pytest.fail(
            f"{OPENAPI_TS.relative_to(ROOT)} is missing, so the generated API types cannot be checked: "
            "run `cd admin-frontend && npm ci` (./dev.sh test does it before the tests)",
            pytrace=False,
        )
    run([sys.executable, str(FRONTEND / "scripts" / "openapi.py"), str(into / "openapi.json")])
    run([str(OPENAPI_TS), str(into / "openapi.json"), "-o", str(into / "schema.d.ts")])


def excerpt(committed: Path, fresh: Path, lines: int = 40) -> str:
    diff = difflib.unified_diff(
        committed.read_text(encoding="utf-8").splitlines(),
        fresh.read_text(encoding="utf-8").splitlines(),
        f"committed {committed.name}",
        f"regenerated {fresh.name}",
        lineterm="",
    )
    return "\n".join(line for line, _ in zip(diff, range(lines), strict=False))


def test_generated_api_types_are_current(tmp_path: Path) -> None:
    regenerate(tmp_path)
    stale = [name for name in GENERATED if (COMMITTED / name).read_bytes() != (tmp_path / name).read_bytes()]
    if stale:
        paths = [str((COMMITTED / name).relative_to(ROOT)) for name in stale]
        verb = "is" if len(paths) == 1 else "are"
        diffs = "\n\n".join(excerpt(COMMITTED / name, tmp_path / name) for name in stale)
        pytest.fail(f"{' and '.join(paths)} {verb} stale: {REGENERATE}\n\n{diffs}", pytrace=False)


def test_the_export_is_stable(tmp_path: Path) -> None:
    """Exports from processes with different string hashing are byte for byte the same (keys sorted, nothing
    listed in set order), so the check above never fails by chance."""
    run([sys.executable, str(FRONTEND / "scripts" / "openapi.py"), str(tmp_path / "a.json")], PYTHONHASHSEED="1")
    run([sys.executable, str(FRONTEND / "scripts" / "openapi.py"), str(tmp_path / "b.json")], PYTHONHASHSEED="2")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
