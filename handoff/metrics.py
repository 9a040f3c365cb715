"""The process's Prometheus instruments (prometheus_client, its default registry): counters and histograms
the code moves as things happen. What is cheaper to read when Prometheus asks (open sockets, queue depths)
is gathered at scrape time by `handoff.web.metrics`, never counted on the hot path.

Every process has its own; with several processes, Prometheus scrapes each (docs/operations.md, Metrics).
Hot paths use children bound once (`MESSAGES_IN["webchat"]`), so a message costs one locked increment.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, disable_created_metrics

# No `_created` twin for every counter and histogram: twice the series, and Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Channels a message can arrive on or leave by; bounded, so label sets stay small.
CHANNELS = ("webchat", "sms", "messenger")

_messages = Counter(
    "handoff_messages",
    "Messages stored, by channel and direction (in: from customers; out: staff replies)",
    ["channel", "direction"],
)
MESSAGES_IN = {channel: _messages.labels(channel, "in") for channel in CHANNELS}
MESSAGES_OUT = {channel: _messages.labels(channel, "out") for channel in CHANNELS}


def message_in(channel: str) -> None:
    child = MESSAGES_IN.get(channel)
    (child or _messages.labels(channel, "in")).inc()


def message_out(channel: str) -> None:
    child = MESSAGES_OUT.get(channel)
    (child or _messages.labels(channel, "out")).inc()


# Delivery queues: `queue` is "outbox" (SMS, Messenger) today; the email and webhook queues join as more
# values of the same label. Outcome of each attempt: sent, retry (failed, will be tried again), failed (gave up).
QUEUE_ATTEMPTS = Counter(
    "handoff_queue_attempts", "Delivery attempts by queue and outcome (sent, retry, failed)", ["queue", "outcome"]
)
for _outcome in ("sent", "retry", "failed"):
    QUEUE_ATTEMPTS.labels("outbox", _outcome)  # present at 0 from the start, so rate() sees the first one

# The database. SQLite: one group commit (a batch of writes in one transaction). PostgreSQL: one write, which
# is one transaction of its own. Seconds from handing the work to the database thread to the durable commit.
COMMIT_SECONDS = Histogram(
    "handoff_db_commit_seconds",
    "Time to run and commit one transaction (SQLite: a group-committed batch; PostgreSQL: one write)",
    ["database"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
SQLITE_COMMIT_SECONDS = COMMIT_SECONDS.labels("sqlite")
POSTGRES_COMMIT_SECONDS = COMMIT_SECONDS.labels("postgresql")
COMMIT_BATCH_SIZE = Histogram(
    "handoff_db_commit_batch_size",
    "Writes per SQLite group commit",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)


def sqlite_commit(writes: int, seconds: float) -> None:
    COMMIT_BATCH_SIZE.observe(writes)
    SQLITE_COMMIT_SECONDS.observe(seconds)


def postgres_write(seconds: float) -> None:
    POSTGRES_COMMIT_SECONDS.observe(seconds)
