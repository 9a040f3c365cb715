"""Channel accounts: a tenant's Twilio number or Facebook Page, with its credentials sealed at rest.

`config` is JSON. Its secret fields are sealed with the process's `SecretBox`; the fields inbound routing
looks up (number, account_sid, page_id) stay in clear so SQL can find them. Every read goes through here
and comes back opened, so no other module sees a sealed value or the SQL.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.crypto import SecretBox, SecretUnreadable, is_sealed
from handoff.store.backend import dialect
from handoff.store.database import now_iso

log = logging.getLogger("handoff.channels")

SECRET_FIELDS = frozenset({"auth_token", "page_access_token", "app_secret", "verify_token"})
ADDRESS_FIELD = {"sms": "number", "messenger": "page_id"}
COLUMNS = "tenant_id, channel, address, config, callback_base"

# Accounts whose unreadable secrets were already logged: one clear line per account and process, not one
# per webhook.
_reported: set[tuple[int, str]] = set()


@dataclass(frozen=True)
class Account:
    tenant_id: int
    channel: str
    address: str
    # Secrets opened; a secret that cannot be opened (JWT_SECRET changed) is left out, so the channel
    # reads as not configured.
    config: dict[str, Any]
    # SMS without PUBLIC_BASE_URL: the origin of this tenant's last correctly signed Twilio webhook.
    callback_base: str = ""


def _account(row: sqlite3.Row, box: SecretBox) -> Account:
    config = json.loads(row["config"] or "{}")
    unreadable = []
    for name in sorted(SECRET_FIELDS & config.keys()):
        if isinstance(config[name], str):
            try:
                config[name] = box.open(config[name])
            except SecretUnreadable:
                del config[name]
                unreadable.append(name)
    key = (row["tenant_id"], row["channel"])
    if unreadable and key not in _reported:
        _reported.add(key)
        log.error(
            "tenant %d: the stored %s secrets (%s) cannot be decrypted; JWT_SECRET has probably changed. The"
            " channel is treated as not connected until an admin enters them again in Settings.",
            row["tenant_id"],
            row["channel"],
            ", ".join(unreadable),
        )
    return Account(row["tenant_id"], row["channel"], row["address"], config, row["callback_base"] or "")


def _sealed(config: dict[str, Any], box: SecretBox) -> dict[str, Any]:
    return {
        name: box.seal(value)
        if name in SECRET_FIELDS and isinstance(value, str) and value and not is_sealed(value)
        # (empty values stay empty: "not set" needs no secrecy)
        else value
        for name, value in config.items()
    }


def find(conn: sqlite3.Connection, box: SecretBox, tenant_id: int, channel: str) -> Account | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM channel_accounts WHERE tenant_id = ? AND channel = ?", (tenant_id, channel)
    ).fetchone()
    return _account(row, box) if row else None


def of_tenant(conn: sqlite3.Connection, box: SecretBox, tenant_id: int) -> dict[str, Account]:
    rows = conn.execute(f"SELECT {COLUMNS} FROM channel_accounts WHERE tenant_id = ?", (tenant_id,)).fetchall()
    return {row["channel"]: _account(row, box) for row in rows}


def by_address(conn: sqlite3.Connection, box: SecretBox, channel: str, address: str) -> Account | None:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM channel_accounts WHERE channel = ? AND address = ?", (channel, address)
    ).fetchone()
    return _account(row, box) if row else None


def sms_by_account_sid(conn: sqlite3.Connection, box: SecretBox, account_sid: str) -> Account | None:
    """The first SMS account of a Twilio account (status callbacks after a tenant changed numbers)."""
    sid = (
        "CAST(config AS jsonb) ->> 'account_sid'"
        if dialect(conn) == "postgresql"
        else "json_extract(config, '$.account_sid')"
    )
    row = conn.execute(
        f"SELECT {COLUMNS} FROM channel_accounts WHERE channel = 'sms' AND {sid} = ? ORDER BY id LIMIT 1",
        (account_sid,),
    ).fetchone()
    return _account(row, box) if row else None


def all_of(conn: sqlite3.Connection, box: SecretBox, channel: str) -> list[Account]:
    rows = conn.execute(f"SELECT {COLUMNS} FROM channel_accounts WHERE channel = ? ORDER BY id", (channel,)).fetchall()
    return [_account(row, box) for row in rows]


def holder(conn: sqlite3.Connection, channel: str, address: str) -> int | None:
    """The tenant a number or Page is connected to, if any."""
    row = conn.execute(
        "SELECT tenant_id FROM channel_accounts WHERE channel = ? AND address = ?", (channel, address)
    ).fetchone()
    return int(row["tenant_id"]) if row else None


def save(conn: sqlite3.Connection, box: SecretBox, tenant_id: int, channel: str, config: dict[str, Any]) -> int | None:
    """Store a tenant's whole channel config, secrets sealed. The number or Page moves to this tenant if
    another one held it (callers decide whether it may); returns that other tenant's id, or None."""
    address = str(config[ADDRESS_FIELD[channel]])
    previous = holder(conn, channel, address)
    if previous == tenant_id:
        previous = None
    if previous is not None:
        conn.execute("DELETE FROM channel_accounts WHERE channel = ? AND address = ?", (channel, address))
    conn.execute(
        "INSERT INTO channel_accounts (tenant_id, channel, address, config, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, channel) DO UPDATE SET address = excluded.address, config = excluded.config,"
        " updated_at = excluded.updated_at",
        (tenant_id, channel, address, json.dumps(_sealed(config, box)), now_iso()),
    )
    _reported.discard((tenant_id, channel))
    return previous


def learn_callback_base(conn: sqlite3.Connection, tenant_id: int, base: str) -> None:
    conn.execute(
        "UPDATE channel_accounts SET callback_base = ? WHERE tenant_id = ? AND channel = 'sms'", (base, tenant_id)
    )


def seal_plaintext(conn: sqlite3.Connection, box: SecretBox) -> int:
    """Seal every secret still stored in clear (rows written before encryption existed). Idempotent: a
    sealed value is recognised by its prefix and left alone. Returns the number of rows changed."""
    changed = 0
    for row in conn.execute("SELECT id, config FROM channel_accounts").fetchall():
        config = json.loads(row["config"] or "{}")
        sealed = _sealed(config, box)
        if sealed != config:
            conn.execute("UPDATE channel_accounts SET config = ? WHERE id = ?", (json.dumps(sealed), row["id"]))
            changed += 1
    return changed


def plaintext_accounts(conn: sqlite3.Connection) -> int:
    """How many accounts still hold a secret in clear (written before encryption existed; `seal_plaintext`
    seals them)."""
    count = 0
    for (text,) in conn.execute("SELECT config FROM channel_accounts").fetchall():
        config = json.loads(text or "{}")
        if any(
            isinstance(config.get(name), str) and config[name] and not is_sealed(config[name]) for name in SECRET_FIELDS
        ):
            count += 1
    return count
