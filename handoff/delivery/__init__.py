"""Durable queues with retry: what must reach a third party survives restarts and is sent once."""
