"""Saved-reply templates: what is refused when saved, and how the allowed ones render."""

from __future__ import annotations

import pytest

from handoff.errors import Invalid
from handoff.replies.templating import MAX_RENDERED, check, context, render

REFUSED = [
    "{{ ''.__class__ }}",
    "{{ contact.__class__.__init__.__globals__ }}",
    "{{ ''.join }}",  # an attribute of anything but contact, agent or tenant
    "{{ contact['name'] }}",
    "{{ contact.name.upper() }}",
    "{% for x in range(10) %}{% endfor %}",
    "{% set x = 1 %}",
    "{% macro m() %}{% endmacro %}",
    "{% include 'x' %}",
    "{{ 'a' * 9 }}",
    "{{ contact.name|center(99999) }}",
    "{{ lipsum() }}",
    "{{ unclosed",
]


@pytest.mark.parametrize("text", REFUSED)
def test_templates_outside_the_allowed_language_are_refused(text: str) -> None:
    with pytest.raises(Invalid):
        check(text)


def test_the_allowed_language_renders_known_values_and_nothing_for_the_rest() -> None:
    text = (
        "Hi {{ contact.name|title }}{% if contact.email %} ({{ contact.email }}){% endif %},"
        " {{ agent.name ~ '!' }} {{ contact.phone|default('no phone') }}{{ unknown }}{{ unknown.attr }}"
        "{{ contact.items }}{{ tenant.name|upper }}"
    )
    check(text)
    values = context(
        {"contact": {"name": "kim lee", "email": None}, "agent": {"name": "Ann"}, "tenant": {"name": "Acme"}}
    )
    assert render(text, values) == "Hi Kim Lee, Ann! no phoneACME"


def test_the_rendered_text_is_capped() -> None:
    text = "x" * (MAX_RENDERED - 5) + "{{ contact.name }}"
    check(text)
    assert len(render(text, context({"contact": {"name": "Bo"}}))) == MAX_RENDERED - 3
    with pytest.raises(Invalid, match="longer than"):
        render(text, context({"contact": {"name": "Bartholomew"}}))
