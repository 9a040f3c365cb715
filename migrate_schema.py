"""The migration command line; the migrations and the code that applies them live in `handoff.store`.

python migrate_schema.py            apply pending migrations to DB_PATH (and encrypt channel secrets
                                    still stored in clear, when JWT_SECRET or the key file is there)
python migrate_schema.py --status   list applied and pending migrations
"""

from __future__ import annotations

import argparse
import sys

from handoff.config import db_path_from_env, existing_jwt_secret
from handoff.crypto import SecretBox
from handoff.store.migrator import migrate, status

__all__ = ["main", "migrate", "status"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", action="store_true", help="list applied and pending migrations")
    parser.add_argument("--db", help="database file (default: DB_PATH)")
    args = parser.parse_args(argv)
    path = args.db or db_path_from_env()
    if args.status:
        for name, applied_at in status(path):
            sys.stdout.write(f"{'applied ' + applied_at if applied_at else 'pending':32} {name}\n")
        return 0
    secret = existing_jwt_secret(path)
    applied = migrate(path, SecretBox(secret) if secret else None)
    sys.stdout.write(f"{path}: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}\n")
    if not secret:
        sys.stdout.write("no JWT_SECRET or key file yet: channel secrets are encrypted at the server's next start\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
