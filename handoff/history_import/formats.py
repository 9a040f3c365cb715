"""The two import formats (docs/import.md), read as a stream: JSON Lines (one conversation per line) and CSV
(one message per row, the rows of a conversation consecutive). A file is never read whole: lines come one at
a time from the binary file, and a CSV conversation is held only until its last row has been read.

Each reader yields `Record`s (a conversation ready to store) and `Bad`s (a record skipped, with its line
number and why); a file that cannot be read as its format at all raises `Malformed`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from handoff.store.database import iso

CHANNELS = ("webchat", "sms", "messenger")
SENDERS = {"customer": "Customer", "visitor": "Customer", "contact": "Customer", "agent": "Agent", "staff": "Agent"}
SENDERS["system"] = "System"
MAX_TRANSCRIPT = 1_000_000  # characters, as POST /admin/api/history/import allows
MAX_FIELD = 200
CSV_REQUIRED = ("conversation_id", "sender", "text")


class Malformed(Exception):
    """The file is not of its format at all (no usable CSV header, not UTF-8): the import stops."""


class Invalid(ValueError):
    """One record's problem, reported with its line and skipped."""


@dataclass
class Record:
    line: int  # where the conversation starts in the file
    external_id: str
    channel: str = "webchat"
    contact_name: str | None = None
    contact_handle: str | None = None
    source: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    lines: list[str] = field(default_factory=list)  # the transcript, one line per message
    size: int = 0

    def add(self, sender: str, name: str | None, at: str | None, text: str) -> None:
        label = f"{name} ({SENDERS[sender].lower()})" if name else SENDERS[sender]
        self.lines.append(f"[{at}] {label}: {text}" if at else f"{label}: {text}")
        self.size += len(self.lines[-1]) + 1
        if self.size > MAX_TRANSCRIPT:
            raise Invalid(f"conversation {self.external_id!r} is longer than {MAX_TRANSCRIPT:,} characters")
        if at:
            self.started_at = min(self.started_at or at, at)
            self.ended_at = max(self.ended_at or at, at)

    def item(self) -> dict[str, Any]:
        """As `handoff.store.history.import_transcripts` takes it."""
        return {
            "external_id": self.external_id,
            "channel": self.channel,
            "contact_name": self.contact_name,
            "contact_handle": self.contact_handle,
            "source": self.source,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "transcript": "\n".join(self.lines),
        }


@dataclass(frozen=True)
class Bad:
    line: int
    reason: str


class Meter:
    """Bytes and rows read so far, for the progress display."""

    def __init__(self) -> None:
        self.bytes = 0
        self.rows = 0


def timestamp(value: Any, what: str) -> str | None:
    """An ISO 8601 time as the store keeps times (UTC, milliseconds, Z); naive times are taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Invalid(f"{what} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{what} is not an ISO 8601 time: {value[:40]!r}") from None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def text_field(value: Any, what: str, *, required: bool = False, limit: int = MAX_FIELD) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(f"{what} is required")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and what == "id":
        value = str(value)  # numeric ids from another system are fine
    if not isinstance(value, str):
        raise Invalid(f"{what} must be a string")
    if len(value) > limit:
        raise Invalid(f"{what} is longer than {limit:,} characters")
    return value.strip() if what != "text" else value


def channel_of(value: Any) -> str:
    channel = text_field(value, "channel") or "webchat"
    if channel not in CHANNELS:
        raise Invalid(f"channel must be one of {', '.join(CHANNELS)}, not {channel[:20]!r}")
    return channel


def sender_of(value: Any) -> str:
    sender = (text_field(value, "from") or "").lower()
    if sender not in SENDERS:
        raise Invalid(f"sender must be customer, agent or system, not {sender[:20]!r}")
    return sender


def lines_of(stream: IO[bytes], meter: Meter) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(stream, 1):
        meter.bytes += len(raw)
        yield number, raw


# ---- JSON Lines -------------------------------------------------------------------------------------


def jsonl_record(number: int, data: Any) -> Record:
    if not isinstance(data, dict):
        raise Invalid("a line must be a JSON object")
    external_id = text_field(data.get("id"), "id", required=True)
    assert external_id is not None
    record = Record(
        number,
        external_id,
        channel_of(data.get("channel")),
        text_field(data.get("contact_name"), "contact_name"),
        text_field(data.get("contact_handle"), "contact_handle"),
        text_field(data.get("source"), "source", limit=100),
    )
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid("messages must be a non-empty list")
    for index, message in enumerate(messages, 1):
        if not isinstance(message, dict):
            raise Invalid(f"message {index} must be an object")
        try:
            text = text_field(message.get("text"), "text", required=True, limit=MAX_TRANSCRIPT)
            assert text is not None
            at = timestamp(message.get("at"), "at")
            record.add(sender_of(message.get("from")), text_field(message.get("name"), "name"), at, text)
        except Invalid as problem:
            raise Invalid(f"message {index}: {problem}") from None
    record.started_at = timestamp(data.get("started_at"), "started_at") or record.started_at
    record.ended_at = timestamp(data.get("ended_at"), "ended_at") or record.ended_at
    return record


def read_jsonl(stream: IO[bytes], meter: Meter) -> Iterator[Record | Bad]:
    for number, raw in lines_of(stream, meter):
        if not raw.strip():
            continue
        meter.rows += 1
        try:
            yield jsonl_record(number, json.loads(raw.decode("utf-8")))
        except UnicodeDecodeError:
            yield Bad(number, "not UTF-8")
        except json.JSONDecodeError as problem:
            yield Bad(number, f"not JSON ({problem.msg} at column {problem.colno})")
        except (Invalid, RecursionError) as problem:
            yield Bad(number, str(problem) or "too deeply nested")


# ---- CSV --------------------------------------------------------------------------------------------


def decoded(stream: IO[bytes], meter: Meter) -> Iterator[str]:
    for number, raw in lines_of(stream, meter):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise Malformed(f"line {number}: not UTF-8") from None


def read_csv(stream: IO[bytes], meter: Meter) -> Iterator[Record | Bad]:
    csv.field_size_limit(MAX_TRANSCRIPT + 1)
    rows = csv.DictReader(decoded(stream, meter))
    try:
        header = rows.fieldnames or []
    except csv.Error as problem:
        raise Malformed(f"line 1: not a CSV header ({problem})") from None
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise Malformed(f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(CSV_REQUIRED)}, ...)")
    current: Record | None = None
    bad_id: str | None = None  # the conversation whose rows are being skipped after a bad one
    while True:
        start = rows.line_num + 1
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as problem:
            raise Malformed(f"line {start}: {problem}") from None
        meter.rows += 1
        external_id = (row.get("conversation_id") or "").strip()
        if current is not None and external_id != current.external_id:
            yield current
            current = None
        if external_id and external_id == bad_id:
            continue
        bad_id = None
        try:
            if not external_id:
                raise Invalid("conversation_id is required")
            if None in row:
                raise Invalid("more cells than the header has columns")
            if current is None:
                current = Record(
                    start,
                    text_field(external_id, "conversation_id") or "",
                    channel_of(row.get("channel")),
                    text_field(row.get("contact_name"), "contact_name"),
                    text_field(row.get("contact_handle"), "contact_handle"),
                    text_field(row.get("source"), "source", limit=100),
                )
            text = text_field(row.get("text"), "text", required=True, limit=MAX_TRANSCRIPT)
            assert text is not None
            at = timestamp(row.get("sent_at"), "sent_at")
            current.add(sender_of(row.get("sender")), text_field(row.get("author"), "author"), at, text)
        except Invalid as problem:
            yield Bad(start, f"{problem}; conversation {external_id[:MAX_FIELD]!r} skipped")
            current, bad_id = None, external_id
    if current is not None:
        yield current
