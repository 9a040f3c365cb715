"""Which JSON and form bodies `StorableTextGuard` lets through: escapes are read as a JSON parser reads them."""

from __future__ import annotations

import json

import pytest

from handoff.web.text_guard import json_is_storable, urlencoded_is_storable


@pytest.mark.parametrize(
    "text",
    ["plain", "emoji 😀", "C:\\u0000 is a path, not a NUL", "\\\\", "ü\u00e9", "a\u2028b", "\ud7ff\ue000"],
)
def test_text_every_store_keeps_passes(text: str) -> None:
    for body in (json.dumps({"text": text}), json.dumps({"text": text}, ensure_ascii=False)):
        assert json_is_storable(body.encode("utf-8"))


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"text": "a\u0000b"}',
        rb'{"text": "\\\u0000"}',  # an escaped backslash, then a real NUL escape
        rb'{"text": "\ud800"}',  # a high surrogate alone
        rb'{"text": "\ud800x"}',
        rb'{"text": "\ud800\u0041"}',  # a high surrogate followed by something else
        rb'{"text": "\udc00"}',  # a low surrogate alone
        rb'{"t": "\ud83d\ude00", "u": "\ude00"}',  # a pair, then a stray low half
        rb'{"text": "\ud83d", "x": "\ude00"}',  # halves in different strings are not a pair
    ],
)
def test_nul_and_unpaired_surrogates_are_refused(raw: bytes) -> None:
    assert not json_is_storable(raw)


def test_an_escaped_pair_passes() -> None:
    assert json_is_storable(rb'{"text": "\ud83d\ude00 and \uD83D\uDE00"}')


def test_form_bodies_and_query_strings() -> None:
    assert urlencoded_is_storable(b"Body=hello%20there&From=%2B15550100")
    assert not urlencoded_is_storable(b"Body=a%00b")
