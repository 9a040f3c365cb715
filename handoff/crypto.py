"""Channel secrets sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from JWT_SECRET.

The key comes from HKDF-SHA256 over JWT_SECRET with a fixed context label, so one configured secret serves
both purposes without either key revealing the other. A sealed value is text, `enc:v1:<fernet token>`:
the prefix tells it from a plaintext value written before encryption existed, and the version leaves
room for another scheme later.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc:v1:"
# Changing this label changes the key: every stored secret would become unreadable.
KEY_CONTEXT = b"handoff/channel-secrets/v1"


class SecretUnreadable(Exception):
    """A sealed value that this key cannot open: JWT_SECRET changed, or the value was tampered with."""


def derive_key(jwt_secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_CONTEXT)
    return base64.urlsafe_b64encode(hkdf.derive(jwt_secret.encode()))


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


class SecretBox:
    """Seals and opens short secret strings (platform tokens) with the process's key."""

    def __init__(self, jwt_secret: str) -> None:
        if not jwt_secret:
            raise ValueError("JWT_SECRET is empty: channel secrets cannot be sealed")
        self._fernet = Fernet(derive_key(jwt_secret))

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode("ascii")

    def open(self, value: str) -> str:
        """The plaintext of a sealed value; a value without the prefix is returned as it is (not sealed yet)."""
        if not is_sealed(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretUnreadable from None
