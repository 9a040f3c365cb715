"""Shared Playwright helpers for the browser tests: one headless Debian chromium for the whole session.

Use from a test module (or hoist into conftest.py to share it everywhere):

    import tests.browser
    browser, context = tests.browser.browser, tests.browser.context  # pytest fixtures

`browser` is session-scoped; `context` is a fresh, isolated browser context per test (own storage) whose
uncaught page errors fail the test. Several modules importing the fixtures still share one chromium.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = os.environ.get("HANDOFF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Shared:
    """One Playwright driver and chromium per process, reference counted across fixture definitions.

    A session fixture imported into two modules becomes two fixture definitions; both must get the same
    browser, because the sync API cannot run two Playwright drivers in one thread.
    """

    playwright: Playwright | None = None
    browser: Browser | None = None
    users = 0

    @classmethod
    def acquire(cls) -> Browser:
        if cls.browser is None or not cls.browser.is_connected():
            if cls.playwright is None:
                cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        cls.users += 1
        return cls.browser

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users > 0:
            return
        if cls.browser is not None:
            cls.browser.close()
        if cls.playwright is not None:
            cls.playwright.stop()
        cls.browser = cls.playwright = None


def launch_browser() -> Browser:
    """The shared browser, for code outside pytest fixtures; pair with `release_browser()`."""
    return _Shared.acquire()


def release_browser() -> None:
    _Shared.release()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium, launched once per test session."""
    yield _Shared.acquire()
    _Shared.release()


def watch_errors(page: Page) -> list[str]:
    """Collect uncaught exceptions thrown by the page's scripts."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (its own localStorage, cookies and cache); uncaught page errors fail the test."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    ctx.set_default_timeout(10_000)
    errors: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
    yield ctx
    ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"
