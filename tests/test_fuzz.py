"""Schemathesis over `/openapi.json` against the real server, bounded: every operation with generated and
mutated input (its coverage, fuzzing and stateful phases), as a signed-in admin and as a visitor. The one
check is the contract's: no input gets a 5xx. Runs on SQLite and on PostgreSQL, whose integer and text
limits differ.

Tokens are taken before the run, and the fuzzer speaks from an address of its own (`X-Forwarded-For`, with
PROXY_HOPS=1): its login attempts trip the login throttle for that address only, not for the test's own
requests. Operations
that would end the run's own session (logout, a password change, disabling or demoting the signed-in
admin) get a run of their own, last."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, make_tenant, visitor_session, visitor_socket

# The admin run covers every staff operation (over a hundred since the second wave), 15 examples each and phase:
# minutes, not the suite's usual two-minute ceiling per test.
pytestmark = [BACKENDS, pytest.mark.timeout(600)]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))  # per operation and phase; raise it for a long local run
SELF_ENDING = ["/api/v1/auth/logout", "/api/v1/auth/password"]
USERS_PATCH = r"/api/v1/users/\{user_id\}"


@pytest.fixture(scope="module")
def live(make_server: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = make_server(  # type: ignore[operator]
        tmp_path_factory.mktemp("fuzz"),
        IP_REQUESTS_PER_MINUTE="1000000",
        VISITOR_MESSAGES_PER_MINUTE="1000000",
        PROXY_HOPS="1",
    ).start()
    yield server
    server.stop()


def fuzz(live: LiveServer, token: str, *filters: str) -> subprocess.CompletedProcess[str]:
    schemathesis = Path(sys.executable).with_name("st")
    return subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{live.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--header",
            "X-Forwarded-For: 198.51.100.7",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(EXAMPLES),
            "--workers",
            "1",
            "--no-color",
            *filters,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def assert_no_server_error(run: subprocess.CompletedProcess[str], live: LiveServer) -> None:
    report = run.stdout + run.stderr
    assert run.returncode == 0, (
        f"schemathesis found a failure:\n{report[-6000:]}\n--- server log ---\n{live.log()[-4000:]}"
    )
    assert " passed" in report and "generated" in report, report[-2000:]


def test_no_input_gets_a_5xx_as_an_admin(live: LiveServer) -> None:
    admin, key = make_tenant(live)
    session = visitor_session(live, key, name="Fuzzy", email="fuzzy@example.com")
    sock = visitor_socket(live, session)  # a conversation, so the inbox and history have rows to page
    sock.send({"type": "message", "text": "hello", "client_id": "fz-1"})
    sock.recv_until(lambda f: f["type"] == "ack")
    sock.close()
    excluded = [arg for path in SELF_ENDING for arg in ("--exclude-path", path)]
    run = fuzz(live, str(admin.token), *excluded, "--exclude-path-regex", USERS_PATCH)
    assert_no_server_error(run, live)
    assert admin.get("/api/v1/auth/me").status_code == 200  # the session survived: the run really was signed in


def test_no_input_gets_a_5xx_as_a_visitor(live: LiveServer) -> None:
    _, key = make_tenant(live)
    session = visitor_session(live, key)
    run = fuzz(live, session["visitor_token"], "--include-tag", "widget", "--include-tag", "followups")
    assert_no_server_error(run, live)


def test_no_input_gets_a_5xx_on_the_operations_that_end_a_session(live: LiveServer) -> None:
    admin, _ = make_tenant(live)
    add_user(admin, role="staff")  # someone for the user operations to find
    included = [arg for path in SELF_ENDING for arg in ("--include-path", path)]
    run = fuzz(live, str(admin.token), *included, "--include-path-regex", USERS_PATCH)
    assert_no_server_error(run, live)
