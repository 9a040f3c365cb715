"""The migration command line; the migrations and the code that applies them live in `handoff.store`.

python migrate_schema.py                       apply pending migrations (PostgreSQL at DATABASE_URL when set,
                                               else the SQLite file at DB_PATH, where channel secrets still
                                               stored in clear are also encrypted when JWT_SECRET or the key
                                               file is there)
python migrate_schema.py --status              list applied and pending migrations
python migrate_schema.py --database-url URL    the same for the PostgreSQL database at URL
python migrate_schema.py --copy-to URL         copy this SQLite deployment (DB_PATH or --db) into the empty
                                               PostgreSQL database at URL: migrates it, copies every table in
                                               one transaction, verifies the row counts (exit 2: refused,
                                               nothing copied; exit 1: the counts differ, rolled back)
python migrate_schema.py --backup PATH         write a consistent copy of the SQLite file (DB_PATH or --db)
                                               to PATH while the server runs, with progress, checked with
                                               PRAGMA integrity_check (PostgreSQL: use pg_dump)
python migrate_schema.py --import-history FILE --tenant ID
                                               import past conversations (JSON Lines or CSV, docs/import.md)
                                               into the tenant's History, streamed, progress on stderr;
                                               idempotent per external conversation id (exit 1: some records
                                               were bad and skipped; exit 2: refused or malformed file)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from handoff.config import database_url_from_env, db_path_from_env, existing_jwt_secret, read_env
from handoff.crypto import SecretBox
from handoff.store.backend import is_postgres_url, redact
from handoff.store.migrator import migrate, status

__all__ = ["main", "migrate", "status"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", action="store_true", help="list applied and pending migrations")
    parser.add_argument("--db", help="database file (default: DB_PATH)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: DATABASE_URL)")
    parser.add_argument(
        "--copy-to", metavar="URL", help="copy the SQLite file into the empty PostgreSQL database at URL"
    )
    parser.add_argument("--backup", metavar="PATH", help="copy the SQLite file to PATH while the server runs")
    parser.add_argument("--import-history", metavar="FILE", help="import past conversations (docs/import.md)")
    parser.add_argument("--tenant", type=int, metavar="ID", help="the tenant --import-history imports into")
    parser.add_argument("--format", choices=["jsonl", "csv"], help="--import-history's format (default: by extension)")
    args = parser.parse_args(argv)
    if args.import_history:
        if args.tenant is None:
            parser.error("--import-history needs --tenant ID")
        return import_history(args.import_history, args.tenant, args.format, args.database_url or args.db)
    if args.backup:
        if args.database_url or (not args.db and database_url_from_env()):
            sys.stderr.write("--backup copies a SQLite file; back up PostgreSQL with pg_dump (docs/operations.md)\n")
            return 2
        return backup_to(args.db or db_path_from_env(), args.backup)
    if args.copy_to:
        if not is_postgres_url(args.copy_to):
            parser.error("--copy-to needs a postgresql:// URL")
        return copy_to(args.db or db_path_from_env(), args.copy_to)
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


# ---- --copy-to: a SQLite deployment into PostgreSQL (handoff/store/copy_to_pg.py does the work) ----------


def copy_to(db_path: str, url: str) -> int:
    """Copy, report on stderr, and say which JWT_SECRET the PostgreSQL deployment needs (never its value)."""
    import psycopg

    from handoff.copy_progress import CopyProgress
    from handoff.store.copy_to_pg import CopyRefused, CountMismatch, copy_to_postgres

    if not Path(db_path).is_file():
        sys.stderr.write(f"copy refused: no SQLite file at {db_path}\n")
        return 2
    started = time.monotonic()
    try:
        report = copy_to_postgres(db_path, url, CopyProgress(sys.stderr))
    except CopyRefused as refused:
        sys.stderr.write(f"copy refused: {refused}\n")
        return 2
    except (CountMismatch, psycopg.Error) as failed:
        # One transaction: the target's tables are empty again (its schema stays; a rerun is safe).
        sys.stderr.write(f"\ncopy failed, nothing was kept in the target: {failed}\n")
        return 1
    seconds = max(time.monotonic() - started, 1e-6)
    sys.stdout.write(
        f"copied {report.rows:,} rows of {len(report.tables)} tables from {db_path} to {redact(url)} in {seconds:.1f} s"
        f" ({report.rows / seconds:,.0f} rows/s); row counts verified on both sides\n"
    )
    sys.stdout.write(signing_key_advice(db_path))
    return 0


def signing_key_advice(db_path: str) -> str:
    """Visitor tokens and the sealed channel secrets depend on the SQLite deployment's JWT key: where to
    find it. The value itself is never printed (terminal scrollback and CI logs keep it)."""
    key_file = Path(f"{db_path}.jwt-secret")
    keeps = ", so staff and visitor tokens and the stored channel secrets keep working"
    if read_env().get("JWT_SECRET", "").strip():
        where = "to the JWT_SECRET this SQLite deployment runs with (the one set here, in the environment or .env)"
    elif key_file.is_file():
        where = f'to the contents of {key_file}, e.g. JWT_SECRET="$(cat {key_file})"'
    else:  # it ran with JWT_SECRET set elsewhere, or never started: only the operator knows which
        where = (
            "to the JWT_SECRET the SQLite deployment ran with (there is no key file beside the SQLite file and no"
            " JWT_SECRET here; a new long random value only if it never had one)"
        )
    return f"Next: run every server process with DATABASE_URL set to that database and JWT_SECRET set {where}{keeps}.\n"


# ---- --import-history: past conversations into History (handoff/history_import/ does the work) ----------


def import_history(path: str, tenant_id: int, fmt: str | None, given: str | None) -> int:
    """Migrate the target first (the import needs the current schema), import, and summarise on stdout."""
    from handoff.history_import.run import Refused
    from handoff.history_import.run import import_history as run_import

    target = given or database_url_from_env() or db_path_from_env()
    if not is_postgres_url(target) and not Path(target).is_file():
        sys.stderr.write(f"import refused: no SQLite file at {target}\n")
        return 2
    migrate(target)
    started = time.monotonic()
    try:
        summary = run_import(path, target, tenant_id, fmt, sys.stderr, sys.stderr)
    except Refused as refused:
        sys.stderr.write(f"import refused: {refused}\n")
        return 2
    seconds = max(time.monotonic() - started, 1e-6)
    sys.stdout.write(
        f"{path}: {summary.rows:,} rows read in {seconds:.1f} s; imported {summary.imported:,} conversations,"
        f" skipped {summary.already:,} already imported and {summary.bad:,} bad (listed above) into tenant"
        f" {tenant_id} of {redact(target)}\n"
    )
    if summary.malformed:
        sys.stderr.write(f"{path}: malformed, the import stopped at {summary.malformed}\n")
        return 2
    return 1 if summary.bad else 0


# ---- --backup: an online copy of the SQLite file (handoff/store/backup.py does the work) ------------------


def backup_to(db_path: str, target: str) -> int:
    from handoff.store.backup import BackupError, backup

    shown = -1

    def progress(done: int, total: int) -> None:
        nonlocal shown
        percent = done * 100 // max(total, 1)
        if percent != shown:  # at most 101 lines, however large the file
            shown = percent
            sys.stderr.write(f"backup {db_path}: {done:,} / {total:,} pages {percent:3d}%\n")
            sys.stderr.flush()

    started = time.monotonic()
    try:
        result = backup(db_path, target, progress)
    except BackupError as failed:
        sys.stderr.write(f"backup failed: {failed}\n")
        return 1
    sys.stdout.write(
        f"backed up {db_path} to {result.path} ({result.bytes / 1e6:,.1f} MB, {result.pages:,} pages) in"
        f" {time.monotonic() - started:.1f} s; integrity check ok. Keep the key ({db_path}.jwt-secret or"
        " JWT_SECRET) in a separate place: together they reveal the stored channel secrets.\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
