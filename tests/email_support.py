"""Shared by the email tests: a real server sending through a loopback SMTP server (tests/fakes/smtp.py),
and reading the `jobs` table the mail goes through."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fakes.smtp import FakeSmtp
from tests.support import Api, LiveServer, eventually, query


def mail_server(make_server: Callable[..., LiveServer], workdir: Path, smtp: FakeSmtp, **env: str) -> LiveServer:
    """A server whose links point at itself (PUBLIC_BASE_URL) and whose mail goes to `smtp`."""
    live = make_server(workdir, SMTP_URL=smtp.url, EMAIL_FROM="Handoff <support@handoff.test>", **env)
    live.env["PUBLIC_BASE_URL"] = live.url
    return live.start()


def jobs(server: LiveServer, kind: str, tenant_id: int | None = None) -> list[dict[str, Any]]:
    rows = query(
        server, "SELECT id, tenant_id, status, attempts, payload, last_error FROM jobs WHERE kind = ? ORDER BY id", kind
    )
    found = [
        {"id": r[0], "tenant_id": r[1], "status": r[2], "attempts": r[3], "payload": json.loads(r[4]), "error": r[5]}
        for r in rows
    ]
    return [j for j in found if tenant_id is None or j["tenant_id"] == tenant_id]


def emails_to(server: LiveServer, address: str) -> list[dict[str, Any]]:
    """Every email job queued to `address` (sent or not)."""
    return [j for j in jobs(server, "email") if j["payload"]["to"] == address]


def settled_alerts(server: LiveServer, tenant_id: int, count: int) -> list[dict[str, Any]]:
    """Wait until `count` alert jobs of the tenant have run (each decided who gets told, and queued that)."""
    return eventually(
        lambda: (
            (done := [j for j in jobs(server, "alert", tenant_id) if j["status"] == "done"])
            and len(done) >= count
            and done
        )
    )


def tenant_id_of(admin: Api) -> int:
    return int(admin.get("/api/v1/auth/me").json()["tenant_id"])


def webchat(server: LiveServer, session: dict[str, Any], text: str) -> dict[str, Any]:
    api = Api(server, session["visitor_token"])
    response = api.post("/webchat", {"text": text})
    assert response.status_code == 200, response.text
    api.close()
    return dict(response.json())
