"""API tokens: long random bearer tokens an admin creates for scripts and integrations, shown once and
kept only as a SHA-256 hash (they are random, so a slow hash would add nothing but cost per request).

A token acts for the admin who created it (messages it sends are theirs, the audit log names them), with
the token's role, never more than that admin's own. It is checked against the database on every request,
not cached, so a revocation, an expiry or the creator being disabled is a 401 at once on every process.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "hnd_"
SESSION_PREFIX = "api-token:"  # Staff.session_id of a request made with a token: "api-token:<id>"
TOUCH_SECONDS = 60.0  # last_used_at is written at most once a minute per token


def new_token() -> tuple[str, str, str]:
    """(the token, its hash to store, the start shown in lists to recognise it)."""
    token = PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token), token[: len(PREFIX) + 4]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_api_token(token: str) -> bool:
    return token.startswith(PREFIX)


def session_id(token_id: int) -> str:
    return f"{SESSION_PREFIX}{token_id}"
