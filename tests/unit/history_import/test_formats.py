"""The import formats read as streams (docs/import.md): records, bad records with their lines, malformed files."""

from __future__ import annotations

import io

import pytest

from handoff.history_import.formats import Bad, Malformed, Meter, Record, read_csv, read_jsonl


def read(reader: object, data: bytes) -> tuple[list[Record | Bad], Meter]:
    meter = Meter()
    found = list(reader(io.BytesIO(data), meter))  # type: ignore[operator]
    return found, meter


def test_jsonl_records_and_bad_lines() -> None:
    data = (
        b'{"id": 7, "channel": "sms", "messages": [{"from": "agent", "name": "Bo", "at": "2024-01-01T10:00:00+01:00",'
        b' "text": "hi"}]}\n\n[1]\n{"id": "x", "channel": "fax", "messages": [{"from": "customer", "text": "a"}]}\n'
        b"\xff\n"
    )
    found, meter = read(read_jsonl, data)
    record, *bad = found
    assert isinstance(record, Record) and record.item() == {
        "external_id": "7",
        "channel": "sms",
        "contact_name": None,
        "contact_handle": None,
        "source": None,
        "started_at": "2024-01-01T09:00:00.000Z",
        "ended_at": "2024-01-01T09:00:00.000Z",
        "transcript": "[2024-01-01T09:00:00.000Z] Bo (agent): hi",
    }
    assert bad == [
        Bad(3, "a line must be a JSON object"),
        Bad(4, "channel must be one of webchat, sms, messenger, not 'fax'"),
        Bad(5, "not UTF-8"),
    ]
    assert (meter.rows, meter.bytes) == (4, len(data))


def test_csv_groups_consecutive_rows_and_skips_a_bad_conversation() -> None:
    data = (
        "\ufeffconversation_id,sender,text,sent_at\n"
        "a,customer,hello,\n"
        'a,agent,"two\nlines",\n'
        "b,customer,ok,\n"
        "b,robot,no,\n"
        "b,customer,skipped too,\n"
        "c,customer,last,\n"
    ).encode()
    found, meter = read(read_csv, data)
    assert [f.external_id if isinstance(f, Record) else f for f in found] == [
        "a",
        Bad(6, "sender must be customer, agent or system, not 'robot'; conversation 'b' skipped"),
        "c",
    ]
    assert isinstance(found[0], Record) and found[0].item()["transcript"] == "Customer: hello\nAgent: two\nlines"
    assert meter.rows == 6


def test_csv_without_the_required_columns_is_malformed() -> None:
    with pytest.raises(Malformed, match="the header lacks sender, text"):
        read(read_csv, b"conversation_id,body\n1,hi\n")
