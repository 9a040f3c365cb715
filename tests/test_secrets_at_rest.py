"""What a copy of the database gives away, against the real server: its files are private (mode 600) and
channel secrets are stored encrypted with a key derived from JWT_SECRET, old plaintext rows included;
a changed JWT_SECRET leaves channels not connected, never broken."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import secrets
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.crypto import SecretBox
from tests.fakes.graph_api import FakeGraph, hub_signature
from tests.fakes.twilio_api import FakeTwilio, signature, webhook_params
from tests.support import ROOT, Api, LiveServer, admin_api, eventually, login, make_tenant, status_is


@pytest.fixture
def live(fresh_server: LiveServer, twilio: FakeTwilio, graph: FakeGraph) -> LiveServer:
    """A brand-new database (not started yet), with the platform fakes and a permissive umask, as on a
    typical box: the server must not rely on the umask for privacy."""
    twilio.reset()
    graph.reset()
    fresh_server.env.update(
        TWILIO_API_BASE=twilio.url,
        GRAPH_API_BASE=graph.base,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
    )
    return fresh_server


@pytest.fixture(autouse=True)
def _permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the server process inherits it
    yield
    os.umask(previous)


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def database_bytes(db_path: str) -> bytes:
    """The database as a thief would copy it: the main file and the WAL that holds recent writes. (Read while
    this process has no connection open to it: closing any descriptor of the file drops SQLite's locks.)"""
    return b"".join(Path(p).read_bytes() for p in (db_path, f"{db_path}-wal") if Path(p).exists())


def stored_configs(server: LiveServer) -> dict[tuple[int, str], dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(server.db_path)) as conn:
        rows = conn.execute("SELECT tenant_id, channel, config FROM channel_accounts").fetchall()
    return {(tenant_id, channel): json.loads(config) for tenant_id, channel, config in rows}


def phone() -> str:
    return "+1555" + "".join(random.choices("0123456789", k=7))


def text_in(server: LiveServer, token: str, account_sid: str, number: str, sender: str) -> httpx.Response:
    params = webhook_params(
        MessageSid="SM" + uuid.uuid4().hex, AccountSid=account_sid, From=sender, To=number, Body="hi"
    )
    signed = signature(token, f"{server.url}/webhooks/twilio/sms", params)
    return httpx.post(f"{server.url}/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signed})


def reply_to(admin: Api, contact: str, text: str) -> httpx.Response:
    conversations = admin.get("/admin/api/convos").json()["conversations"]
    [conversation] = [c for c in conversations if c["contact"]["external_id"] == contact]
    return admin.post("/admin/api/send", {"conversation_id": conversation["id"], "text": text})


def connect_sms(admin: Api, twilio: FakeTwilio) -> dict[str, str]:
    sms = {"account_sid": "AC" + secrets.token_hex(16), "auth_token": secrets.token_hex(16), "number": phone()}
    twilio.add_account(sms["account_sid"], sms["auth_token"], sms["number"])
    saved = admin.patch("/api/v1/tenant", {"channels": {"sms": sms}})
    assert saved.status_code == 200, saved.text
    return sms


def sms_round_trip(server: LiveServer, admin: Api, twilio: FakeTwilio, sms: dict[str, str]) -> None:
    """A signed inbound SMS is accepted and the reply reaches Twilio with the account's own credentials."""
    sender = phone()
    assert text_in(server, sms["auth_token"], sms["account_sid"], sms["number"], sender).status_code == 200
    sent = reply_to(admin, sender, "stored encrypted, still works")
    assert sent.status_code == 200, sent.text
    eventually(status_is(server, sent.json()["message_id"], "sent"))
    [request] = [r for r in twilio.sent() if r.form["To"] == sender]
    credentials = base64.b64encode(f"{sms['account_sid']}:{sms['auth_token']}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}" and request.form["From"] == sms["number"]


def test_database_files_are_private_and_channel_secrets_encrypted(
    live: LiveServer, twilio: FakeTwilio, graph: FakeGraph
) -> None:
    env_token = secrets.token_hex(16)
    env_sms = {"account_sid": "AC" + secrets.token_hex(16), "auth_token": env_token, "number": phone()}
    twilio.add_account(env_sms["account_sid"], env_token, env_sms["number"])
    live.env.update(
        TWILIO_ACCOUNT_SID=env_sms["account_sid"], TWILIO_AUTH_TOKEN=env_token, TWILIO_NUMBER=env_sms["number"]
    )
    live.start()
    for path in (live.db_path, f"{live.db_path}-wal", f"{live.db_path}-shm", f"{live.db_path}.jwt-secret"):
        assert mode(path) == 0o600, f"{path}: {oct(mode(path))}"
    # The operator's environment is trusted: the default business's number is not checked with Twilio.
    assert twilio.matching("/2010-04-01/") == []

    admin, _ = make_tenant(live)
    sms = connect_sms(admin, twilio)
    page_id, page_token = "".join(random.choices("0123456789", k=15)), "EAAB" + secrets.token_hex(24)
    app_secret, verify_token = secrets.token_hex(16), secrets.token_hex(12)
    graph.add_page(page_id, page_token)
    messenger = {
        "page_id": page_id,
        "page_access_token": page_token,
        "app_secret": app_secret,
        "verify_token": verify_token,
    }
    assert admin.patch("/api/v1/tenant", {"channels": {"messenger": messenger}}).status_code == 200

    secret_values = [env_token, sms["auth_token"], page_token, app_secret, verify_token]
    raw = database_bytes(live.db_path)
    for value in secret_values:
        assert value.encode() not in raw
    configs = stored_configs(live)
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    assert configs[(tenant_id, "sms")]["auth_token"].startswith("enc:v1:")
    assert configs[(1, "sms")]["auth_token"].startswith("enc:v1:")
    assert all(
        configs[(tenant_id, "messenger")][k].startswith("enc:v1:")
        for k in ("page_access_token", "app_secret", "verify_token")
    )
    # What routing looks up stays in clear.
    assert (
        configs[(tenant_id, "sms")]["number"] == sms["number"]
        and configs[(tenant_id, "sms")]["account_sid"] == sms["account_sid"]
    )
    assert configs[(tenant_id, "messenger")]["page_id"] == page_id

    # Both businesses' SMS work end to end, and Messenger too.
    sms_round_trip(live, admin, twilio, sms)
    sms_round_trip(live, admin_api(live), twilio, env_sms)
    verified = httpx.get(
        f"{live.url}/webhooks/messenger",
        params={"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "42"},
    )
    assert verified.text == "42"
    psid = "".join(random.choices("0123456789", k=16))
    event = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": 1,
        "message": {"mid": "m_" + uuid.uuid4().hex, "text": "hi"},
    }
    body = json.dumps({"object": "page", "entry": [{"id": page_id, "time": 1, "messaging": [event]}]}).encode()
    posted = httpx.post(
        f"{live.url}/webhooks/messenger", content=body, headers={"X-Hub-Signature-256": hub_signature(app_secret, body)}
    )
    assert posted.status_code == 200
    sent = reply_to(admin, psid, "hello from the inbox")
    eventually(status_is(live, sent.json()["message_id"], "sent"))
    assert graph.sent(page_id)[0].query["access_token"] == [page_token]

    for value in secret_values:
        assert value not in live.log()


def test_plaintext_secrets_of_an_older_version_are_encrypted_at_start(live: LiveServer, twilio: FakeTwilio) -> None:
    live.start()
    admin, _ = make_tenant(live)
    sms = connect_sms(admin, twilio)
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    live.stop()
    # As an older version left it: the secret in clear, the files readable by everyone. (Closed at once: reading
    # the file's bytes below would drop this process's SQLite locks under a connection still open.)
    with contextlib.closing(sqlite3.connect(live.db_path)) as conn, conn:
        conn.execute(
            "UPDATE channel_accounts SET config = ? WHERE tenant_id = ? AND channel = 'sms'",
            (json.dumps(sms), tenant_id),
        )
    os.chmod(live.db_path, 0o644)
    assert sms["auth_token"].encode() in database_bytes(live.db_path)

    live.start()
    assert mode(live.db_path) == 0o600 and mode(f"{live.db_path}-wal") == 0o600
    assert stored_configs(live)[(tenant_id, "sms")]["auth_token"].startswith("enc:v1:")
    assert sms["auth_token"].encode() not in database_bytes(live.db_path)
    sms_round_trip(live, Api(live, admin.token), twilio, sms)
    live.restart()  # idempotent: already encrypted values are left as they are
    assert stored_configs(live)[(tenant_id, "sms")]["auth_token"].startswith("enc:v1:")
    sms_round_trip(live, Api(live, admin.token), twilio, sms)


def test_a_changed_jwt_secret_leaves_channels_not_connected_never_a_5xx(live: LiveServer, twilio: FakeTwilio) -> None:
    live.env["JWT_SECRET"] = secrets.token_urlsafe(32)
    live.start()
    email, password = f"owner-{uuid.uuid4().hex[:8]}@example.com", "pw-" + uuid.uuid4().hex
    created = admin_api(live).post(
        "/api/v1/tenants", {"name": "Rotated", "admin_email": email, "admin_password": password}
    )
    assert created.status_code == 201, created.text
    admin = Api(live, login(live, email, password)["access_token"])
    sms = connect_sms(admin, twilio)
    sender = phone()
    assert text_in(live, sms["auth_token"], sms["account_sid"], sms["number"], sender).status_code == 200

    live.env["JWT_SECRET"] = secrets.token_urlsafe(32)  # the operator changed it: the stored secrets are unreadable
    live.restart()
    admin = Api(live, login(live, email, password)["access_token"])  # (passwords do not depend on it)
    channel = admin.get("/api/v1/tenant").json()["channels"]["sms"]
    assert channel["configured"] is False and channel["auth_token_set"] is False
    assert channel["number"] == sms["number"]  # what is not secret is still there, to re-enter the rest
    signed = text_in(live, sms["auth_token"], sms["account_sid"], sms["number"], sender)
    assert signed.status_code == 403  # its token cannot be read, so no signature can be checked
    refused = reply_to(admin, sender, "anyone there?")
    assert refused.status_code == 409 and "not connected" in refused.json()["detail"]
    log = live.log()
    assert "cannot be decrypted; JWT_SECRET has probably changed" in log
    assert log.count("cannot be decrypted") == 1  # once, not on every request
    assert '"level": "error", "logger": "handoff.server"' not in log  # no unhandled error

    # Entering the credentials again (checked with Twilio as always) reconnects the channel.
    again = admin.patch("/api/v1/tenant", {"channels": {"sms": {"auth_token": sms["auth_token"]}}})
    assert again.status_code == 200 and again.json()["channels"]["sms"]["configured"] is True
    sms_round_trip(live, admin, twilio, sms)


def test_the_migration_command_encrypts_old_plaintext_secrets_too(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.sqlite")
    run = [sys.executable, "migrate_schema.py", "--db", db]
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run(run, cwd=ROOT, env=env, capture_output=True, check=True)
    token = secrets.token_hex(16)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (1, 't', 'k', 'now')")
        config = {"account_sid": "AC" + "1" * 32, "auth_token": token, "number": "+15550001111"}
        conn.execute(
            "INSERT INTO channel_accounts (tenant_id, channel, address, config, updated_at)"
            " VALUES (1, 'sms', '+15550001111', ?, 'now')",
            (json.dumps(config),),
        )
    key = secrets.token_urlsafe(32)
    subprocess.run(run, cwd=ROOT, env={**env, "JWT_SECRET": key}, capture_output=True, check=True)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        [(stored,)] = conn.execute("SELECT config FROM channel_accounts").fetchall()
    sealed = json.loads(stored)["auth_token"]
    assert sealed.startswith("enc:v1:") and SecretBox(key).open(sealed) == token
    assert token.encode() not in database_bytes(db)
