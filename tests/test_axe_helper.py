"""tests/axe.py without a browser: a missing axe-core says how to get it, and reports read well."""

from __future__ import annotations

import json
import re
from typing import cast

import pytest
from playwright.sync_api import Page

from tests import axe


def test_missing_axe_core_says_to_run_npm_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(axe, "AXE_JS", axe.ROOT / "admin-frontend" / "node_modules" / "no-such-package" / "axe.min.js")
    with pytest.raises(AssertionError, match=r"run `npm ci` in admin-frontend"):
        axe.inject_axe(cast(Page, None))  # fails before it touches the page


def test_axe_core_is_pinned_to_one_exact_version() -> None:
    frontend = axe.ROOT / "admin-frontend"
    wanted = json.loads((frontend / "package.json").read_text())["devDependencies"]["axe-core"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", wanted), f"axe-core must be pinned exactly, not {wanted!r}"
    locked = json.loads((frontend / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]
    assert locked["version"] == wanted
    assert frontend / "node_modules" / "axe-core" / "axe.min.js" == axe.AXE_JS


def test_describe_lists_rule_impact_target_and_html() -> None:
    text = axe.describe(
        [
            {
                "id": "color-contrast",
                "impact": "serious",
                "help": "Elements must meet minimum color contrast ratio thresholds",
                "nodes": [{"target": [["handoff-widget", ".meta > time"]], "html": "<time>\n  10:00 </time>"}],
            },
            {
                "id": "listitem",
                "impact": "serious",
                "help": "<li> elements must be contained in a <ul> or <ol>",
                "nodes": [{"target": ["li.msg"], "html": "<li class='msg'>" + "x" * 300 + "</li>"}],
            },
        ]
    )
    lines = text.splitlines()
    assert lines[0] == "- color-contrast (serious): Elements must meet minimum color contrast ratio thresholds"
    assert lines[1] == "    handoff-widget >> .meta > time: <time> 10:00 </time>"
    assert lines[2].startswith("- listitem (serious)")
    assert lines[3].startswith("    li.msg: <li class='msg'>xxx") and lines[3].endswith("...")
    assert len(lines[3]) == len("    li.msg: ") + 160
