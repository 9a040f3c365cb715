"""Routing: business hours, agents' availability and auto-assignment of new conversations."""
