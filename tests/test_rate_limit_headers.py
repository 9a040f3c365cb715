"""Rate limits say so before they bite: every rate-limited endpoint answers with RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset (and X-RateLimit-* twins), its 429s with Retry-After, and browsers may
read them (CORS). Run with the in-process limiters and with REDIS_URL (the Redis ones)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, login, visitor_session


@pytest.fixture(params=["memory", "redis"])
def start(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Starts a server with these settings, its limits in this process or in Redis."""
    made: list[LiveServer] = []

    def make(**env: str) -> LiveServer:
        if request.param == "redis":
            env = {
                "REDIS_URL": request.getfixturevalue("redis_url"),
                "REDIS_PREFIX": request.getfixturevalue("redis_prefix"),
                **env,
            }
        made.append(LiveServer(tmp_path / f"server-{len(made)}", **env))
        made[-1].workdir.mkdir()
        return made[-1].start()

    yield make
    for server in made:
        server.stop()


def quota(response: httpx.Response) -> tuple[int, int, int]:
    """(limit, remaining, reset) from the headers, after checking the X- twins say the same."""
    found = tuple(int(response.headers[f"RateLimit-{name}"]) for name in ("Limit", "Remaining", "Reset"))
    twins = tuple(int(response.headers[f"X-RateLimit-{name}"]) for name in ("Limit", "Remaining", "Reset"))
    assert found == twins
    return found  # type: ignore[return-value]


def widget_key(server: LiveServer) -> str:
    token = login(server)["access_token"]
    tenant = httpx.get(f"{server.url}/api/v1/tenant", headers={"Authorization": f"Bearer {token}"})
    return str(tenant.json()["widget_key"])


def test_widget_session_counts_down_then_429_with_retry_after(start: Callable[..., LiveServer]) -> None:
    server = start(IP_REQUESTS_PER_MINUTE="3")
    key = widget_key(server)
    answers = [httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": key}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [quota(a)[:2] for a in answers] == [(3, 2), (3, 1), (3, 0), (3, 0)]
    assert all(0 < quota(a)[2] <= 60 for a in answers)
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert "Retry-After" not in answers[0].headers
    # An answer that checked no limit carries none of it.
    health = httpx.get(f"{server.url}/health")
    assert not any(name.lower().startswith(("ratelimit", "x-ratelimit")) for name in health.headers)


def test_webchat_reports_the_tighter_of_its_two_limits(start: Callable[..., LiveServer]) -> None:
    server = start(VISITOR_MESSAGES_PER_MINUTE="2", IP_REQUESTS_PER_MINUTE="100")
    session = visitor_session(server, widget_key(server))
    auth = {"Authorization": f"Bearer {session['visitor_token']}"}
    answers = [
        httpx.post(f"{server.url}/webchat", json={"text": f"m{n}", "client_id": f"c{n}"}, headers=auth)
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [quota(a)[:2] for a in answers] == [(2, 1), (2, 0), (2, 0)]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert answers[-1].json()["detail"]


def test_followups_and_their_cors_exposure(start: Callable[..., LiveServer]) -> None:
    server = start()
    key = widget_key(server)
    body = {"widget_key": key, "name": "Ann", "email": "ann@example.com", "message": "call me"}
    origin = {"Origin": "https://shop.example.com"}
    answers = [httpx.post(f"{server.url}/followup", json=body, headers=origin) for _ in range(6)]
    assert [a.status_code for a in answers] == [201] * 5 + [429]
    assert [quota(a)[:2] for a in answers] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (5, 0)]
    assert 500 < quota(answers[0])[2] <= 600 and int(answers[-1].headers["Retry-After"]) > 0
    exposed = {h.strip().lower() for h in answers[0].headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"} <= exposed
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed


def test_login_counts_failures_left(start: Callable[..., LiveServer]) -> None:
    server = start()
    url = f"{server.url}/api/v1/auth/login"
    wrong = {"email": server.admin_email, "password": "not-" + uuid.uuid4().hex}
    answers = [httpx.post(url, json=wrong) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert [quota(a)[:2] for a in answers] == [(5, 4), (5, 3), (5, 2), (5, 1), (5, 0), (5, 0)]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 900
    # From another address the right password works, with its own failures all left.
    right = {"email": server.admin_email, "password": server.admin_password}
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
        signed_in = elsewhere.post(url, json=right)
    assert signed_in.status_code == 200 and quota(signed_in) == (5, 5, 0)
