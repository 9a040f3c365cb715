"""The accepted forms of an SMS or Messenger rating reply (README, "Customer satisfaction")."""

from __future__ import annotations

import pytest

from handoff.conversations.csat import parse_rating


@pytest.mark.parametrize(
    ("text", "rating"),
    [("4", 4), (" 4 ", 4), ("4/5", 4), ("4 / 5", 4), ("1 out of 5", 1), ("5 stars", 5), ("1 STAR", 1),
     ("3.", 3), ("5!", 5), ("\n2\n", 2)],
)  # fmt: skip
def test_ratings(text: str, rating: int) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize(
    "text", ["", "0", "6", "45", "4 but slow", "four", "4/10", "-4", "4,5", "STOP", "4" + " " * 50]
)
def test_not_ratings(text: str) -> None:
    assert parse_rating(text) is None
