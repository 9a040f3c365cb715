"""`handoff/mfa.py` and `handoff/verified.py`: TOTP steps within the drift and nothing else, codes compared as
ASCII digits only, recovery codes normalised before hashing, mfa tokens good for their purpose only, and
user hashes checked against the right user id."""

from __future__ import annotations

import hashlib
import hmac

import pyotp
import pytest

from handoff import mfa, verified
from handoff.security import TokenError, encode_token

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_000.0  # a fixed instant: the tests never depend on the clock
STEP = int(NOW) // mfa.STEP_SECONDS


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_a_step_within_the_drift_names_its_step(offset: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + offset * mfa.STEP_SECONDS)
    assert mfa.matching_step(SECRET, code, now=NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_outside_the_drift_matches_nothing(offset: int) -> None:
    code = pyotp.TOTP(SECRET).at(NOW + offset * mfa.STEP_SECONDS)
    near = {pyotp.TOTP(SECRET).at(NOW + k * mfa.STEP_SECONDS) for k in (-1, 0, 1)}
    if code not in near:  # six digits can repeat; only then could it match
        assert mfa.matching_step(SECRET, code, now=NOW) is None


def test_odd_codes_match_nothing_and_never_raise() -> None:
    code = pyotp.TOTP(SECRET).at(NOW)
    assert mfa.matching_step(SECRET, f" {code[:3]} {code[3:]} ", now=NOW) == STEP  # spaces from a phone's display
    for odd in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5"):
        assert mfa.matching_step(SECRET, odd, now=NOW) is None


def test_check_totp_asks_whether_the_step_is_new() -> None:
    used: set[int] = set()

    def use_step(step: int) -> bool:
        new = step not in used
        used.add(step)
        return new

    code = pyotp.TOTP(SECRET).now()
    assert mfa.check_totp(SECRET, code, use_step)
    assert not mfa.check_totp(SECRET, code, use_step)


def test_recovery_codes_are_random_readable_and_hashed_normalised() -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == mfa.RECOVERY_CODES == len(set(codes))
    assert all(len(c) == 11 and c[5] == "-" and mfa.looks_like_recovery_code(c) for c in codes)
    code = codes[0]
    assert mfa.hash_recovery_code(code) == mfa.hash_recovery_code(f" {code.upper().replace('-', '')} ")
    assert code not in mfa.hash_recovery_code(code)


def test_mfa_tokens_serve_their_purpose_only() -> None:
    token = mfa.mfa_token("k" * 32, 7, "setup")
    assert mfa.mfa_token_user("k" * 32, token, ("setup",)) == 7
    with pytest.raises(TokenError):
        mfa.mfa_token_user("k" * 32, token, ("verify",))
    with pytest.raises(TokenError):
        mfa.mfa_token_user("k" * 32, encode_token("k" * 32, "access", 60, sub="7"), ("setup", "verify"))


def test_user_hashes_verify_their_own_user_id_only() -> None:
    secret = verified.new_secret()
    good = hmac.new(secret.encode(), b"42", hashlib.sha256).hexdigest()
    assert verified.user_hash(secret, "42") == good
    assert verified.hash_matches(secret, "42", good.upper())
    assert not verified.hash_matches(secret, "43", good)
    assert not verified.hash_matches(secret, "42", "é" * 64)
    assert verified.visitor_id_for("42") == verified.visitor_id_for("42") != verified.visitor_id_for("43")
    assert len(verified.visitor_id_for("x" * 256)) <= 64
