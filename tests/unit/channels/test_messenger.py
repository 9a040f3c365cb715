"""Messenger's pure helpers: splitting long texts on words, and the messaging window's rules."""

from __future__ import annotations

from datetime import UTC, datetime

from handoff.channels.messenger import NEVER_WROTE_PROBLEM, WINDOW_CLOSED_PROBLEM, split_text, window


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_messenger_text_split_and_window() -> None:
    assert split_text("short") == ["short"]
    assert split_text("aaaa bbbb cccc", limit=9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]  # one long word is cut
    assert split_text("a\n\nb " * 1000, limit=2000) and all(len(p) <= 2000 for p in split_text("a\n\nb " * 1000))
    assert window(None) and isinstance(window(None), str)
    assert window("2026-01-01T00:00:00.000Z", now=_at("2026-01-01T23:00:00")) == {"messaging_type": "RESPONSE"}
    assert window("2026-01-01T00:00:00.000Z", now=_at("2026-01-05T00:00:00")) == {
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    assert isinstance(window("2026-01-01T00:00:00.000Z", now=_at("2026-01-08T00:00:01")), str)


def test_split_text_keeps_every_word_and_trims_only_the_edges() -> None:
    text = "  " + " ".join(f"w{n}" for n in range(500)) + "\n"
    parts = split_text(text, limit=100)
    assert all(0 < len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == text.split()  # nothing lost, nothing reordered
    assert all(p == p.strip() for p in parts)
    assert split_text("") == [] and split_text("   ") == []


def test_window_edges() -> None:
    sent = "2026-01-01T00:00:00.000Z"
    assert window(None) == NEVER_WROTE_PROBLEM and window("") == NEVER_WROTE_PROBLEM
    assert window(sent, now=_at("2026-01-02T00:00:00")) == {"messaging_type": "RESPONSE"}  # exactly 24 h
    assert window(sent, now=_at("2026-01-08T00:00:00")) == {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert window(sent, now=_at("2026-01-08T00:00:01")) == WINDOW_CLOSED_PROBLEM
