"""The migration command line; the migrations and the code that applies them live in `handoff.store`.

python migrate_schema.py                       apply pending migrations (PostgreSQL at DATABASE_URL when set,
                                               else the SQLite file at DB_PATH, where channel secrets still
                                               stored in clear are also encrypted when JWT_SECRET or the key
                                               file is there)
python migrate_schema.py --status              list applied and pending migrations
python migrate_schema.py --database-url URL    the same for the PostgreSQL database at URL
"""

from __future__ import annotations

import argparse
import sys

from handoff.config import database_url_from_env, db_path_from_env, existing_jwt_secret
from handoff.crypto import SecretBox
from handoff.store.backend import is_postgres_url, redact
from handoff.store.migrator import migrate, status

__all__ = ["main", "migrate", "status"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", action="store_true", help="list applied and pending migrations")
    parser.add_argument("--db", help="database file (default: DB_PATH)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: DATABASE_URL)")
    args = parser.parse_args(argv)
    # A file named with --db wins over a DATABASE_URL from the environment; --database-url over both.
    target = args.database_url or args.db or database_url_from_env() or db_path_from_env()
    if args.status:
        for name, applied_at in status(target):
            sys.stdout.write(f"{'applied ' + applied_at if applied_at else 'pending':32} {name}\n")
        return 0
    # Channel secrets in clear exist only in SQLite files written by older versions.
    secret = "" if is_postgres_url(target) else existing_jwt_secret(target)
    applied = migrate(target, SecretBox(secret) if secret else None)
    shown = redact(target)  # never print a password
    sys.stdout.write(f"{shown}: applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}\n")
    if not secret and not is_postgres_url(target):
        sys.stdout.write("no JWT_SECRET or key file yet: channel secrets are encrypted at the server's next start\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
