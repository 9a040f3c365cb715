"""A revoked API token on a scaled-out deployment: refused at once by every process (tokens are read from the
shared database on every request, never cached), and the sockets opened with it close on every process."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests import log_audit
from tests.cluster import Cluster
from tests.support import Api, LiveServer, Sock, make_tenant, staff_socket


def close_of(sock: Sock) -> tuple[int, str]:
    """Read until the server closes the socket: the code and reason it closed with."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv(timeout=10)
    assert closed.value.rcvd is not None, "the connection dropped without a close frame"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def status_with(server: LiveServer, token: str) -> int:
    return httpx.get(f"{server.url}/admin/api/convos", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_revoked_token_is_refused_at_once_on_every_process(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(size=2)
    p1, p2 = cluster
    admin, _ = make_tenant(p1)
    made = admin.post("/api/v1/api-tokens", {"name": "Zapier"})
    assert made.status_code == 201, made.text
    created = made.json()
    token = created["token"]
    log_audit.remember(token, "an API token")
    sockets = [staff_socket(server, token) for server in cluster]  # a socket opened with the token, too
    assert [status_with(server, token) for server in cluster] == [200, 200]

    assert (
        Api(p2, admin.token).http.delete(f"/api/v1/api-tokens/{created['id']}", headers=admin.headers()).status_code
        == 204
    )
    # No cache to wait for: the very next request on either process is refused.
    assert [status_with(server, token) for server in cluster] == [401, 401]
    for sock in sockets:
        assert close_of(sock) == (4401, "token revoked")
