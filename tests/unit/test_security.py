"""Passwords, signed tokens, the token cache and the sliding-window limiter, with a controlled clock."""

from __future__ import annotations

import base64
import json
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

import jwt
import pytest

from handoff import security
from handoff.quotas import Quota, tightest
from handoff.security import (
    MAX_PASSWORD_BYTES,
    SlidingWindowLimiter,
    TokenCache,
    TokenError,
    decode_token,
    encode_token,
    hash_password,
    password_problem,
    verify_password,
)

T = TypeVar("T")


def done(step: Coroutine[Any, Any, T]) -> T:
    """The result of a limiter coroutine that never waits (the in-process one), without an event loop."""
    try:
        step.send(None)
    except StopIteration as stop:
        return cast(T, stop.value)
    raise AssertionError("the in-process limiter waited")


SECRET = "unit-test-secret-" + "k" * 64


class Clock:
    """Stands in for the `time` module inside `handoff.security`: both clocks read `now`, moved by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(security, "time", fake)
    return fake


# ---- passwords ------------------------------------------------------------------------------------


def test_a_password_verifies_against_its_hash_and_nothing_else() -> None:
    hashed = hash_password("correct horse", rounds=4)
    assert hashed.startswith("$2b$04$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horsE", hashed)
    assert not verify_password("", hashed)
    assert hash_password("correct horse", rounds=4) != hashed  # salted
    assert not verify_password("correct horse", "not a bcrypt hash")  # a damaged hash is a failed login, not a 500


def test_passwords_longer_than_72_bytes_are_refused_not_truncated() -> None:
    at_limit = "p" * MAX_PASSWORD_BYTES
    hashed = hash_password(at_limit, rounds=4)
    assert verify_password(at_limit, hashed)
    # bcrypt itself would compare only the first 72 bytes, so this would pass if it were not refused.
    assert not verify_password(at_limit + "anything", hashed)
    with pytest.raises(ValueError):
        hash_password(at_limit + "x", rounds=4)
    assert password_problem(at_limit) is None
    assert password_problem(at_limit + "x") == "password must be at most 72 bytes"
    assert password_problem("é" * 37) == "password must be at most 72 bytes"  # 37 characters, 74 bytes
    assert password_problem("short") == "password must be at least 8 characters"


# ---- tokens ---------------------------------------------------------------------------------------


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_round_trips_its_claims() -> None:
    token = encode_token(SECRET, "access", 60, sub="7", tid=3)
    claims = decode_token(SECRET, token, "access")
    assert (claims["typ"], claims["sub"], claims["tid"]) == ("access", "7", 3)
    assert claims["exp"] - claims["iat"] == 60 and len(claims["jti"]) == 32
    assert encode_token(SECRET, "access", 60, sub="7") != encode_token(SECRET, "access", 60, sub="7")  # unique jti


def test_a_token_of_another_kind_is_refused() -> None:
    refresh = encode_token(SECRET, "refresh", 60, sub="7")
    with pytest.raises(TokenError, match="access token"):
        decode_token(SECRET, refresh, "access")


def test_an_expired_token_is_refused() -> None:
    expired = encode_token(SECRET, "access", -1, sub="7")
    with pytest.raises(TokenError, match="expired"):
        decode_token(SECRET, expired, "access")


def test_alg_none_and_other_algorithms_are_refused() -> None:
    claims = jwt.decode(encode_token(SECRET, "access", 60, sub="7"), SECRET, algorithms=["HS256"])
    unsigned = jwt.encode(claims, "", algorithm="none")
    assert unsigned.endswith(".")  # no signature at all
    hs512 = jwt.encode(claims, SECRET, algorithm="HS512")  # the right key, but not the one algorithm allowed
    for token in (unsigned, hs512):
        with pytest.raises(TokenError):
            decode_token(SECRET, token, "access")


def test_a_tampered_or_foreign_signature_is_refused() -> None:
    token = encode_token(SECRET, "access", 60, sub="7", role="staff")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    promoted = ".".join((header, _segment({**claims, "role": "admin"}), signature))
    foreign = encode_token("another-secret-" + "x" * 32, "access", 60, sub="7", role="staff")
    for bad in (promoted, foreign, token[:-4], "not.a.token", ""):
        with pytest.raises(TokenError):
            decode_token(SECRET, bad, "access")
    assert decode_token(SECRET, token, "access")["role"] == "staff"  # the untouched original still passes


def test_a_token_without_the_required_claims_is_refused() -> None:
    untyped = jwt.encode({"sub": "7", "iat": 1, "exp": 2**40}, SECRET, algorithm="HS256")
    with pytest.raises(TokenError):
        decode_token(SECRET, untyped, "access")


# ---- the token cache ------------------------------------------------------------------------------


def test_token_cache_entries_expire_with_their_token(clock: Clock) -> None:
    cache = TokenCache()
    cache.put("t1", clock.now + 30, {"user": 1})
    assert cache.get("t1") == {"user": 1}
    assert cache.get("unknown") is None
    clock.advance(29.9)
    assert cache.get("t1") == {"user": 1}
    clock.advance(0.1)  # the moment it expires
    assert cache.get("t1") is None
    clock.advance(-10)  # even if the clock stepped back, the expired entry was dropped
    assert cache.get("t1") is None


def test_token_cache_forget_drops_only_matching_entries(clock: Clock) -> None:
    cache = TokenCache()
    for token, session in (("a", "s1"), ("b", "s1"), ("c", "s2")):
        cache.put(token, clock.now + 60, {"session": session})
    cache.forget(lambda value: value["session"] == "s1")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, {"session": "s2"})


def test_token_cache_stays_bounded(clock: Clock) -> None:
    cache = TokenCache(max_entries=3)
    for n in range(3):
        cache.put(f"t{n}", clock.now + 60, n)
    cache.put("t3", clock.now + 60, 3)  # full: it starts over rather than grow
    assert [cache.get(f"t{n}") for n in range(4)] == [None, None, None, 3]


# ---- the sliding-window limiter -------------------------------------------------------------------


def test_limiter_allows_up_to_the_limit_then_says_how_long_to_wait(clock: Clock) -> None:
    limiter = SlidingWindowLimiter(3, 10)
    assert [done(limiter.allow("ip")) for _ in range(3)] == [True, True, True]
    assert done(limiter.retry_after("ip")) == 10
    assert not done(limiter.allow("ip"))
    assert done(limiter.allow("other ip"))  # keys are counted apart
    clock.advance(4)
    assert done(limiter.retry_after("ip")) == 6
    assert not done(limiter.allow("ip"))


def test_limiter_window_slides_and_refusals_are_not_counted(clock: Clock) -> None:
    limiter = SlidingWindowLimiter(2, 10)
    assert done(limiter.allow("k"))
    clock.advance(5)
    assert done(limiter.allow("k"))
    for _ in range(5):  # refused attempts inside the window do not push the window out
        clock.advance(0.9)
        assert not done(limiter.allow("k"))
    clock.now = 1_000_000.0 + 10  # the first hit leaves the window: one slot frees up
    assert done(limiter.retry_after("k")) == 0
    assert done(limiter.allow("k"))
    assert not done(limiter.allow("k"))
    assert done(limiter.retry_after("k")) == 5  # until the second hit (at +5) leaves too
    clock.advance(5)
    assert done(limiter.allow("k"))


def test_limiter_reset_forgets_a_key(clock: Clock) -> None:
    limiter = SlidingWindowLimiter(1, 60)
    assert done(limiter.allow("email")) and not done(limiter.allow("email"))
    assert done(limiter.allow("other"))
    done(limiter.reset("email"))
    assert done(limiter.allow("email"))
    assert not done(limiter.allow("other"))  # only that key
    done(limiter.reset("never seen"))  # harmless


def test_limiter_hit_counts_without_asking(clock: Clock) -> None:
    """`hit` records a failure (a wrong password) whether or not the caller was still allowed."""
    limiter = SlidingWindowLimiter(2, 60)
    done(limiter.hit("email"))
    done(limiter.hit("email"))
    done(limiter.hit("email"))
    assert done(limiter.retry_after("email")) == 60
    clock.advance(60)
    assert done(limiter.retry_after("email")) == 0


def test_limiter_reports_its_quota(clock: Clock) -> None:
    """take, peek and hit say the limit, what is left and when the oldest counted event leaves the window."""
    limiter = SlidingWindowLimiter(3, 10)
    assert done(limiter.peek("k")) == Quota(3, 3, 0.0, True)
    assert done(limiter.take("k")) == Quota(3, 2, 10.0, True)
    clock.advance(4)
    assert done(limiter.take("k")) == Quota(3, 1, 6.0, True)
    assert done(limiter.hit("k")) == Quota(3, 0, 6.0, True)
    refused = done(limiter.take("k"))
    assert refused == Quota(3, 0, 6.0, False) and refused.retry_after == 6.0
    assert done(limiter.hit("k")).remaining == 0  # over the limit: never below 0
    clock.advance(6)  # the first leaves; the three hits at +4 (one forced past the limit) still count
    assert done(limiter.peek("k")) == Quota(3, 0, 4.0, False)
    assert tightest([Quota(600, 599, 60.0), Quota(5, 4, 600.0), Quota(5, 4, 10.0)]) == Quota(5, 4, 600.0)
    assert tightest([Quota(600, 0, 1.0, False), Quota(5, 4, 600.0)]).allowed is False
