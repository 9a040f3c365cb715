"""Shared by the Messenger suites (tests/test_messenger.py: inbound, webhooks, tenants; tests/test_messenger_outbound.py:
replies, the window, long texts, Graph errors; tests/test_concurrency.py): the module server on the loopback Graph
API, a connected Page that signs events as Meta does, and ids shaped like Meta's."""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.fakes.graph_api import FakeGraph, hub_signature
from tests.support import Api, LiveServer, execute, make_tenant


@pytest.fixture(scope="module", name="server")
def messenger_server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, graph: FakeGraph
) -> Iterator[LiveServer]:
    live = make_server(
        tmp_path_factory.mktemp("messenger"),
        GRAPH_API_BASE=graph.base,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
    ).start()
    yield live
    live.stop()


@pytest.fixture(autouse=True, name="_fresh_fake")
def fresh_graph(graph: FakeGraph) -> None:
    graph.reset()


def now_ms() -> int:
    return int(time.time() * 1000)


def psid() -> str:
    return "".join(random.choices("0123456789", k=16))


def new_mid() -> str:
    return "m_" + uuid.uuid4().hex


@dataclass
class Page:
    server: LiveServer
    admin: Api
    page_id: str
    token: str
    app_secret: str
    verify_token: str

    def post(self, entries: list[dict[str, Any]], *, secret: str | None = None) -> httpx.Response:
        """What Meta POSTs: a batch of entries, signed over the exact bytes sent."""
        body = json.dumps({"object": "page", "entry": entries}).encode()
        return httpx.post(
            f"{self.server.url}/webhooks/messenger",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": hub_signature(secret or self.app_secret, body),
            },
        )

    def entry(self, *events: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.page_id, "time": now_ms(), "messaging": list(events)}

    def says(
        self, user: str, text: str, mid: str | None = None, attachments: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"mid": mid or new_mid()}
        if text:
            message["text"] = text
        if attachments:
            message["attachments"] = attachments
        return {"sender": {"id": user}, "recipient": {"id": self.page_id}, "timestamp": now_ms(), "message": message}

    def echo(self, user: str, text: str, mid: str, metadata: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"is_echo": True, "app_id": 1517776481860111, "mid": mid, "text": text}
        if metadata is not None:
            message["metadata"] = metadata
        return {"sender": {"id": self.page_id}, "recipient": {"id": user}, "timestamp": now_ms(), "message": message}

    def receipt(self, user: str, kind: str, watermark: int, mids: list[str] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"watermark": watermark}
        if mids is not None:
            data["mids"] = mids
        return {"sender": {"id": user}, "recipient": {"id": self.page_id}, "timestamp": now_ms(), kind: data}

    def conversation_of(self, user: str) -> dict[str, Any]:
        found = [
            c
            for c in self.admin.get("/admin/api/convos?status=all").json()["conversations"]
            if c["contact"]["external_id"] == user
        ]
        assert len(found) == 1, found
        return found[0]

    def open_conversation(self, text: str = "Hello from Messenger") -> tuple[str, int]:
        user = psid()
        assert self.post([self.entry(self.says(user, text))]).status_code == 200
        return user, self.conversation_of(user)["id"]

    def reply(self, conversation_id: int, text: str) -> httpx.Response:
        return self.admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": text})


def connect_page(server: LiveServer, graph: FakeGraph) -> Page:
    admin, _ = make_tenant(server)
    page = Page(
        server,
        admin,
        "".join(random.choices("0123456789", k=15)),
        "EAAB" + secrets.token_hex(24),
        secrets.token_hex(16),
        secrets.token_hex(12),
    )
    graph.add_page(page.page_id, page.token)  # Facebook knows the Page before Handoff asks it
    response = admin.patch(
        "/api/v1/tenant",
        {
            "channels": {
                "messenger": {
                    "page_id": page.page_id,
                    "page_access_token": page.token,
                    "app_secret": page.app_secret,
                    "verify_token": page.verify_token,
                }
            }
        },
    )
    assert response.status_code == 200, response.text
    return page


@pytest.fixture(name="page")
def connected_page(server: LiveServer, graph: FakeGraph) -> Page:
    return connect_page(server, graph)


def set_last_customer_message(server: LiveServer, conversation_id: int, ago: timedelta) -> None:
    moment = (datetime.now(UTC) - ago).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    execute(server, "UPDATE conversations SET last_customer_message_at = ? WHERE id = ?", moment, conversation_id)


# ---- inbound --------------------------------------------------------------------------------------
