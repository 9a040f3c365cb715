"""Live delivery: the per-socket hub and socket authentication."""
