"""Two-factor sign-in: TOTP (RFC 6238) secrets, their QR code, checking a code once, recovery codes, and
the short-lived `mfa` token that carries a password-checked user to the second step. No routes here
(`handoff/web/mfa.py`), no SQL (`handoff/store/mfa.py`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

import pyotp
import segno

from handoff.security import TokenError, decode_token, encode_token

ISSUER = "Handoff"
STEP_SECONDS = 30
# One step either side of now: a phone clock a little off still signs in.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Long enough to find a phone, short enough that a stolen token is soon worthless.
MFA_TOKEN_SECONDS = 5 * 60
Purpose = Literal["verify", "setup"]
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a sheet of paper


def new_secret() -> str:
    return pyotp.random_base32()


def otpauth_url(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(url: str) -> str:
    """The QR code of `url` drawn here as an SVG `data:` URI: the secret never goes to a third party."""
    data_uri: str = segno.make(url, error="m").svg_data_uri(scale=5, border=2)
    return data_uri


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is (within the drift), compared in constant time; None if none."""
    code = normalise_code(code)
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(time.time() if now is None else now) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def check_totp(secret: str, code: str, use_step: Callable[[int], bool]) -> bool:
    """A right code for a step not used before: `use_step` records the step and says whether it was new."""
    step = matching_step(secret, code)
    return step is not None and use_step(step)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_code(code)) == 10


def hash_recovery_code(code: str) -> str:
    """Recovery codes are random (about 50 bits), so a fast hash is enough to keep them unreadable at rest."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def mfa_token(jwt_secret: str, user_id: int, purpose: Purpose) -> str:
    return encode_token(jwt_secret, "mfa", MFA_TOKEN_SECONDS, sub=str(user_id), purpose=purpose)


def mfa_token_user(jwt_secret: str, token: str, purposes: tuple[Purpose, ...]) -> int:
    """The user id an mfa token names, if it is valid and for one of `purposes`; else TokenError."""
    claims: dict[str, Any] = decode_token(jwt_secret, token, "mfa")
    if claims.get("purpose") not in purposes:
        raise TokenError("this token is for another step")
    return int(claims["sub"])
