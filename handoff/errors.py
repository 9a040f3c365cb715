"""Domain errors: raised anywhere below the routers, answered as `{"detail": ...}` with their status."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    status_code = 422


class RateLimited(DomainError):
    status_code = 429


class Unavailable(DomainError):
    """The database cannot take the request now (disk full, locked by another process, I/O error): nothing
    was stored; the same request may succeed later."""

    status_code = 503
    retry_after = 5  # seconds: a full disk or a lock is usually gone by then, and a client need not guess
