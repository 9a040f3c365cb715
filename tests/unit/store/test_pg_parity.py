"""The same store functions on SQLite and on PostgreSQL give the same answers.

One scenario (a tenant, staff, conversations on two channels, messages from each sender, a close with its
search indexing, imported history, users, the analytics summary) runs through `Database` and through
`PostgresDatabase` under the same fake clock; every answer is compared. Search snippets are the one thing
the engines word differently (FTS5 snippet() against ts_headline()): each must hold the word searched for.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handoff.store import analytics, closed, conversations, history, inbox, migrator, transcripts, users
from handoff.store.database import Database, iso
from handoff.store.objects import CONVERSATION_SELECT
from handoff.store.postgres import PostgresDatabase

START = datetime(2030, 3, 10, 9, 0, tzinfo=UTC)
SEARCHES = {"parcel": "parcel", "parc": "parcel", "creme": "crème", "ZOË": "zoë", "refund late": "refund"}


def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each call 1.5 s after the previous, from START: both databases see the same times."""
    ticks = itertools.count()

    def now() -> str:
        return iso(START + timedelta(seconds=1.5 * next(ticks)))

    for module in (conversations, history, users):
        monkeypatch.setattr(module, "now_iso", now)


def scenario_writes(conn: Any) -> dict[str, Any]:
    tenant = conn.execute(
        "INSERT INTO tenants (name, widget_key, created_at) VALUES ('Acme', 'wk-parity', ?) RETURNING id",
        (conversations.now_iso(),),
    ).fetchone()[0]
    staff = users.insert_user(conn, tenant, " Sam@Example.com ", "Sam", "hash", "staff")
    web = conversations.upsert_contact(conn, tenant, "webchat", "visitor-1", name="Zoë Crème")
    first = conversations.open_conversation(conn, web)
    sent = [conversations.insert_message(conn, first, "visitor", "Where is my parcel? 100% late")]
    sent.append(conversations.insert_message(conn, sent[-1].conversation, "staff", "It ships today", author_id=staff))
    sent.append(conversations.insert_message(conn, sent[-1].conversation, "system", "Closed by Sam"))
    sms = conversations.contact_for_message(conn, tenant, "sms", "+15550001", phone="+15550001")
    second = conversations.open_conversation(conn, sms)
    sent.append(conversations.insert_message(conn, second, "visitor", "refund please, it came late", external_id="SM1"))
    conn.execute(
        "UPDATE conversations SET status = 'closed', closed_at = ? WHERE id = ?", (conversations.now_iso(), first["id"])
    )
    closed.index_for_search(conn, first["id"])
    imported = history.import_transcripts(
        conn,
        tenant,
        [
            {"channel": "sms", "transcript": "Crème brûlée order, refund was late", "ended_at": iso(START)},
            {"channel": "webchat", "contact_name": "Old Timer", "transcript": "parcel lost", "ended_at": iso(START)},
        ],
    )
    return {
        "tenant": tenant,
        "staff": staff,
        "contacts": [dict(web), dict(sms)],
        "messages": [(s.message, dict(s.conversation)) for s in sent],
        "imported": imported,
        "user_changed": users.update_user(conn, tenant, staff, {"name": "Samantha", "disabled": False}),
        "no_such_user": users.update_user(conn, tenant, staff + 99, {"name": "Nobody"}),
    }


def scenario_reads(conn: Any, tenant: int, conversation_id: int, contact_id: int) -> dict[str, Any]:
    rows = conn.execute(f"{CONVERSATION_SELECT} WHERE c.tenant_id = ? ORDER BY c.id", (tenant,)).fetchall()
    window = {"ended_from": iso(START - timedelta(days=1)), "ended_before": iso(START + timedelta(days=1))}
    searches = {text: history.search(conn, tenant, text=text, channel=None, limit=10, **window) for text in SEARCHES}
    day = date(2030, 3, 10)
    rng = analytics.ReportRange(
        tenant, day, day, ZoneInfo("UTC"), "UTC", iso(START.replace(hour=0)), iso(START + timedelta(days=1))
    )
    return {
        "conversation": conversations.load_conversation(conn, tenant, conversation_id),
        "other_tenant": conversations.load_conversation(conn, tenant + 1, conversation_id),
        "list": conversations.conversations_json(conn, rows),
        "counts": closed.message_counts(conn, conversation_id),
        "transcript": transcripts.transcript_after(conn, contact_id, 0),
        "open_page": inbox.conversation_page(conn, tenant, inbox.InboxFilter(statuses=("open", "closed")), 10),
        "messages_page": inbox.message_page(conn, tenant, conversation_id, after=None, before=None, limit=10),
        "searches": searches,
        "search_sms": history.search(conn, tenant, text="late", channel="sms", limit=10, **window),
        "browse": history.search(conn, tenant, text="", channel=None, limit=10, **window),
        "browse_web": history.search(conn, tenant, text="  ", channel="webchat", limit=10, **window),
        "imported": history.imported_transcript(conn, tenant, 1),
        "users": users.list_users(conn, tenant),
        "team": users.active_team(conn, tenant),
        "summary": analytics.summary(conn, rng),
        "export": analytics.export_rows(conn, rng),
    }


async def scenario(db: Any) -> dict[str, Any]:
    await db.open()
    try:
        written = await db.write(scenario_writes)
        conversation_id = written["messages"][0][0]["conversation_id"]
        contact_id = written["contacts"][0]["id"]
        read = await db.read(lambda c: scenario_reads(c, written["tenant"], conversation_id, contact_id))
        return {**written, **read}
    finally:
        await db.close()


def run_on(make: Callable[[], Any]) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario(make())).result()


def without_snippets(found: dict[str, Any]) -> dict[str, Any]:
    """The search answers with each snippet checked (it holds the word searched for) and set aside."""
    for text, results in found["searches"].items():
        for result in results:
            assert SEARCHES[text] in result.pop("snippet").lower(), (text, result)
    for result in found["search_sms"]:
        assert "late" in result.pop("snippet").lower()
    return found


def test_store_functions_answer_alike_on_both_databases(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "parity.sqlite")
    migrator.migrate(path)
    migrator.migrate(pg_url)
    fake_clock(monkeypatch)
    on_sqlite = run_on(lambda: Database(path))
    fake_clock(monkeypatch)
    on_postgres = run_on(lambda: PostgresDatabase(pg_url, writers=1, readers=1, report_readers=1))

    assert all(on_sqlite["searches"].values()), "every search of the scenario finds something"
    assert on_sqlite["summary"]["first_response_seconds"]["count"] == 1
    assert without_snippets(on_postgres) == without_snippets(on_sqlite)
