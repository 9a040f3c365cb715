"""Write the server's OpenAPI document as stable JSON (sorted keys, two-space indent, final newline).

    python scripts/openapi.py [PATH]     # default: src/api/openapi.json

It builds the app with throwaway settings and asks it for `app.openapi()`: no server runs, and creating the app
touches no file (the database is opened by the app's startup, which does not run here). `npm run gen:api` runs
this with the repository's .venv, then openapi-typescript on the result.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent
ROOT = FRONTEND.parent
DEFAULT_PATH = FRONTEND / "src" / "api" / "openapi.json"


def openapi_json() -> str:
    """The document as the file holds it."""
    sys.path.insert(0, str(ROOT))
    from handoff.config import Settings
    from server import create_app

    with tempfile.TemporaryDirectory() as scratch:
        # frontend_dist inside the scratch folder too: whether the SPA is built must not change the document
        settings = Settings(db_path=str(Path(scratch) / "unused.sqlite"), frontend_dist=str(Path(scratch) / "dist"))
        spec = create_app(settings).openapi()
        written = sorted(p.name for p in Path(scratch).iterdir())
        if written:
            raise SystemExit(f"creating the app wrote {written}: it must not touch the disk before startup")
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise SystemExit("usage: python scripts/openapi.py [PATH]")
    path = Path(argv[0]) if argv else DEFAULT_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_json(), encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
