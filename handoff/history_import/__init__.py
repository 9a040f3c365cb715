"""`migrate_schema.py --import-history`: past conversations from another system into History, streamed."""
