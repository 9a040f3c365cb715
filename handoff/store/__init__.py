"""The only code that speaks SQL: the connection and group-commit writer, migrations, and queries; on
SQLite by default, or on PostgreSQL (`postgres`, `pg_adapter`, `migrations_pg`) when DATABASE_URL is set."""
