"""The only code that speaks SQL: the connection and group-commit writer, migrations, and queries."""
