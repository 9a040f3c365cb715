"""Fixtures shared across the test folders: live servers, the loopback Twilio and Graph APIs, a migrated
database, the browser and its pages.

A folder's own conftest.py keeps only what that folder alone uses.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from handoff.store.migrator import migrate
from tests import log_audit, redis_scratch
from tests.cluster import Cluster
from tests.fakes.graph_api import FakeGraph
from tests.fakes.smtp import FakeSmtp
from tests.fakes.twilio_api import FakeTwilio
from tests.pg import ADMIN_URL, ScratchDatabases, set_aside_when_unreachable, summary_line, unreachable
from tests.support import LiveServer

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


BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True, scope="module")
"""`pytestmark = BACKENDS` runs a module's tests on both databases: its `server`, `fresh_server` and
`make_server` then run on a fresh scratch PostgreSQL database for the "postgresql" run."""


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """The database the module's servers run on: "sqlite" unless the module is parametrised with BACKENDS."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="module")
def make_server(backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., LiveServer]]:
    """LiveServer(workdir, **env) on the module's backend; every server made is stopped after (a test that
    restarted one would otherwise leave it running) and every scratch PostgreSQL database dropped."""
    made: list[str] = []
    servers: list[LiveServer] = []

    def make(workdir: Path, **env: str) -> LiveServer:
        if backend == "postgresql":
            scratch: ScratchDatabases = request.getfixturevalue("pg_databases")
            made.append(scratch.create())
            env = {"DATABASE_URL": made[-1], "JWT_SECRET": "test-" + secrets.token_urlsafe(32), **env}
        servers.append(LiveServer(workdir, **env))
        return servers[-1]

    yield make
    for live in servers:
        live.stop()
    if made:
        scratch = request.getfixturevalue("pg_databases")
        for url in made:
            scratch.drop(url)


@pytest.fixture(scope="module")
def server(make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server per test module; tests isolate themselves with their own tenants."""
    live = make_server(tmp_path_factory.mktemp("server")).start()
    yield live
    live.stop()


@pytest.fixture
def fresh_server(make_server: Callable[..., LiveServer], tmp_path: Path) -> Iterator[LiveServer]:
    """A server with a brand-new database for tests that need one to themselves."""
    live = make_server(tmp_path)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    """A loopback Twilio REST API per test module (a server under test reaches it through TWILIO_API_BASE)."""
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[FakeSmtp]:
    """A loopback SMTP server per test module (a server under test sends through SMTP_URL=smtp.url)."""
    fake = FakeSmtp().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    """A loopback Graph API per test module (GRAPH_API_BASE=graph.base)."""
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    """A new SQLite file with every migration applied, for unit tests of the store and the domain."""
    path = str(tmp_path / "handoff.sqlite")
    migrate(path)
    return path


# ---- the browser: one headless Debian chromium for the whole session ---------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium, launched once per test session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (its own localStorage, cookies and cache); uncaught page errors and CSP violations
    fail the test."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    ctx.set_default_timeout(10_000)
    errors: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
    # Our pages carry a Content-Security-Policy: anything it refuses is a bug in the page (or the policy).
    ctx.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield ctx
    ctx.close()
    assert not errors, f"uncaught errors or CSP violations in the page: {errors}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in the test's own browser context (both browser folders use it)."""
    return context.new_page()


# ---- no secret in any server log ------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_server_logs() -> Iterator[None]:
    """After every test: each LiveServer's log scanned for the secrets the run used (tests/log_audit.py).
    A hit fails the run with the file and line, never the secret."""
    yield
    found = log_audit.leaks()
    if found:
        shown = "\n".join(found[:40]) + (f"\n... and {len(found) - 40} more" if len(found) > 40 else "")
        pytest.fail(f"secrets in server logs ({len(found)} lines):\n{shown}", pytrace=False)


# ---- PostgreSQL: scratch databases, created and dropped by the run --------------------------------------


# The longest files first: with several workers (dev.sh runs pytest-xdist, a file per worker) they start at
# once instead of becoming the run's tail. The fuzz runs take minutes; the rest take seconds.
LONGEST_FIRST = ("test_fuzz.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: the rest keep their order
    set_aside_when_unreachable(config, items)
    redis_scratch.set_aside_when_unreachable(config, items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for line in (summary_line(config), redis_scratch.summary_line(config)):
        if line:
            terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[ScratchDatabases]:
    """The PostgreSQL server (TEST_PG_ADMIN_URL, default 127.0.0.1:5432): fails the run in CI when it is
    down, skips the tests that need it elsewhere. Whatever the run created is dropped at its end."""
    scratch = ScratchDatabases(ADMIN_URL)
    if not scratch.reachable():
        unreachable(ADMIN_URL)
    yield scratch
    scratch.drop_all()


@pytest.fixture(scope="module")
def pg_url(pg_databases: ScratchDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test module, dropped after it."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


@pytest.fixture
def fresh_pg_url(pg_databases: ScratchDatabases) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = pg_databases.create()
    yield url
    pg_databases.drop(url)


# ---- Redis: a scratch key prefix per test on the shared server -----------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server (TEST_REDIS_URL, default 127.0.0.1:6379): fails the run in CI when it is down, skips
    the tests that need it elsewhere. Never flushed: tests keep to their own `redis_prefix`."""
    if not redis_scratch.reachable():
        redis_scratch.unreachable()
    return redis_scratch.REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own (`handoff-test-<random>:`, for REDIS_PREFIX); its keys are deleted after."""
    prefix = redis_scratch.new_prefix()
    yield prefix
    redis_scratch.delete_prefix(redis_url, prefix)


# ---- a multi-process deployment: PostgreSQL + Redis, several server processes --------------------------


def clusters(
    pg_databases: ScratchDatabases, redis_url: str, prefix: str, workdir: Path
) -> Iterator[Callable[..., Cluster]]:
    """Makes started clusters on `prefix`; stops each and drops its database when the generator ends."""
    made: list[Cluster] = []

    def make(size: int = 3, **env: str) -> Cluster:
        url = pg_databases.create()
        made.append(Cluster(workdir / f"cluster-{len(made)}", url, redis_url, prefix, size, **env))
        return made[-1].start()

    yield make
    for cluster in made:
        cluster.stop()
        pg_databases.drop(cluster.database_url)


@pytest.fixture
def make_cluster(
    pg_databases: ScratchDatabases, redis_prefix: str, redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., Cluster]]:
    """Cluster(size=3, **env): that many real server processes on one scratch PostgreSQL database and this
    test's Redis prefix, started; stopped and the database dropped after the test."""
    yield from clusters(pg_databases, redis_url, redis_prefix, tmp_path)


@pytest.fixture(scope="module")
def make_module_cluster(
    pg_databases: ScratchDatabases, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Cluster]]:
    """make_cluster for a whole module (tests sharing it isolate themselves with tenants of their own): one
    Redis prefix for the module, its keys deleted and every cluster's database dropped after the module."""
    prefix = redis_scratch.new_prefix()
    try:
        yield from clusters(pg_databases, redis_url, prefix, tmp_path_factory.mktemp("cluster"))
    finally:
        redis_scratch.delete_prefix(redis_url, prefix)
