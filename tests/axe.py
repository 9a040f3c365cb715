"""axe-core in the browser tests: inject the admin app's pinned copy into a page, run it, fail on what matters.

`assert_accessible(page, label="...")` runs axe over the whole document (open shadow roots included: axe walks
them itself) or, with `within_shadow_host="handoff-widget"`, over that element and its open shadow tree only.
It checks the WCAG 2.0/2.1/2.2 A and AA rules plus axe's best-practice rules, and fails (AccessibilityViolations,
an AssertionError) listing every violation whose impact is serious or critical. It returns every violation found (any impact), so a test can hold a
screen to more than that.

axe-core is the admin app's devDependency (`admin-frontend/package.json`, an exact version), so `npm ci` in
admin-frontend puts it at `admin-frontend/node_modules/axe-core/axe.min.js`; `./dev.sh test` does that first.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.support import ROOT

AXE_JS = ROOT / "admin-frontend" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 added no level-A rule to axe), plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("serious", "critical")

RUN_AXE = """async ([host, tags]) => {
  const context = host === null ? document : { include: [[host]] };
  if (host !== null && !document.querySelector(host)) throw new Error('no element matches ' + host);
  const result = await window.axe.run(context, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, impact: n.impact, summary: n.failureSummary })),
  }));
}"""


class AccessibilityViolations(AssertionError):
    """Raised by `assert_accessible`; `violations` holds the serious and critical ones it lists."""

    def __init__(self, message: str, violations: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.violations = violations


def inject_axe(page: Page) -> None:
    """Load axe-core into the page once (a navigation or reload drops it, and the next call loads it again)."""
    if not AXE_JS.is_file():
        raise AssertionError(
            f"axe-core is missing ({AXE_JS.relative_to(ROOT)}): run `npm ci` in admin-frontend "
            "(./dev.sh test does it before the tests)"
        )
    if page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"):
        return
    # Through the DevTools protocol rather than a <script> tag: our pages' Content-Security-Policy (rightly)
    # refuses inline scripts, and the protocol's evaluation is not subject to it.
    page.evaluate(AXE_JS.read_text() + "\n;undefined")


def axe_violations(page: Page, *, within_shadow_host: str | None = None) -> list[dict[str, Any]]:
    """Every violation axe finds (any impact), over the document or within one shadow host."""
    inject_axe(page)
    return list(page.evaluate(RUN_AXE, [within_shadow_host, TAGS]))


def _target(target: list[Any]) -> str:
    # One entry per frame; an entry inside a shadow root is a list: the host's selector, then the node's in it.
    return " | ".join(" >> ".join(t) if isinstance(t, list) else str(t) for t in target)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            html = " ".join(node["html"].split())
            html = html if len(html) <= 160 else html[:157] + "..."
            lines.append(f"    {_target(node['target'])}: {html}")
    return "\n".join(lines)


def assert_accessible(page: Page, *, within_shadow_host: str | None = None, label: str) -> list[dict[str, Any]]:
    """Fail when axe finds a serious or critical violation; return every violation it found (any impact)."""
    violations = axe_violations(page, within_shadow_host=within_shadow_host)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    if blocking:
        message = f"{label}: {len(blocking)} serious or critical accessibility violation(s):\n{describe(blocking)}"
        raise AccessibilityViolations(message, blocking)
    return violations
