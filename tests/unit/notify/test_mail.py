"""Rendering: every template has a plain-text and an HTML part, and only the HTML part escapes."""

from __future__ import annotations

from handoff.notify.mail import TEMPLATES, render

CONTEXTS = {
    "alert": {"title": "T <1>", "body": "B & <b>", "url": "https://x.test/a?b=1&c=2"},
    "transcript": {"business": "Shop", "messages": [{"who": "You", "text": "<script>x</script>", "at": "now"}]},
    "reply": {"business": "Shop", "name": "Al", "agent": "Bo", "text": "1 < 2", "original": "a\nb"},
    "password_reset": {"email": "a@b.test", "link": "https://x.test/admin-app/#/reset/1.abc", "minutes": 30},
    "test": {"business": "Shop"},
}


def test_every_template_renders_both_parts() -> None:
    assert set(CONTEXTS) == set(TEMPLATES)
    for name in TEMPLATES:
        text, html = render(name, "Subject", CONTEXTS[name])
        assert text.strip() and "<html" not in text
        assert html.lstrip().startswith("<!doctype html>")


def test_html_escapes_and_text_does_not() -> None:
    text, html = render("transcript", "S", CONTEXTS["transcript"])
    assert "<script>x</script>" in text
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    text, html = render("alert", "S", CONTEXTS["alert"])
    assert "https://x.test/a?b=1&c=2" in text and 'href="https://x.test/a?b=1&amp;c=2"' in html
    text, _ = render("reply", "S", CONTEXTS["reply"])
    assert "> a\n> b" in text
