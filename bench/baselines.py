"""The same work without the platform, measured in the same run on the same machine: what
PostgreSQL and RabbitMQ alone do with the same events. Every platform figure is printed
with its ratio to one of these.

- ``pg_batch``: the events into a bare table with ``execute_values``, one commit per batch
  (what an offline batch costs the database at least).
- ``pg_copy``: the same rows with ``COPY`` (the fastest way in).
- ``pg_single``: one ``INSERT`` and commit per event from ``threads`` connections at once
  (what a single command costs at least): rate and latency.
- ``amqp``: the same envelopes published persistent with publisher confirms (as the relay
  publishes) to a throwaway queue, consumed at the same time: rates and publish-to-consume
  latency (what the projection lag costs at least).
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg2
from kombu import Connection, Exchange, Queue
from psycopg2.extras import execute_values

from coachops.contracts import Envelope, encode

# Logged, like an event store: an UNLOGGED table would flatter the baseline.
BARE_TABLE = """
CREATE TABLE bench_baseline_events (
    source text NOT NULL, position bigint NOT NULL, stream_id uuid NOT NULL,
    event_type text NOT NULL, recorded_at timestamptz NOT NULL, payload jsonb NOT NULL,
    PRIMARY KEY (source, position))"""


@dataclass(frozen=True)
class Event:
    position: int
    stream_id: str
    body: dict[str, Any]  # the envelope as it travels (JSON-ready)


def sample_events(count: int, start: int = 1) -> list[Event]:
    """Envelopes of ``TimeEntryRecorded`` as the time-tracking relay makes them."""
    now = datetime.now(UTC)
    coach, school = uuid.uuid4(), uuid.uuid4()
    events = []
    for position in range(start, start + count):
        entry = uuid.uuid4()
        envelope = Envelope(
            event_type="TimeEntryRecorded", version=1, source="timetracking",
            stream_id=uuid.uuid4(), stream_position=1, position=position,
            previous_position=position - 1 if position > 1 else None, occurred_at=now,
            recorded_at=now,
            payload={"entry_id": entry, "coach_id": coach, "school_id": school,
                     "worked_on": date.today() - timedelta(days=position % 200),
                     "minutes": 30, "category_id": "co-planning", "category_kind": "coaching",
                     "cycle_id": None, "focus_area_id": None})
        events.append(Event(position, str(envelope.stream_id), encode(envelope)))
    return events


def _rows(events: list[Event]) -> list[tuple[Any, ...]]:
    return [("timetracking", e.position, e.stream_id, "TimeEntryRecorded",
             e.body["recorded_at"], json.dumps(e.body["payload"])) for e in events]


def _fresh_table(url: str) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_baseline_events")
            cursor.execute(BARE_TABLE)
    finally:
        connection.close()


def pg_batch(url: str, events: list[Event], batch: int = 500) -> float:
    """Events per second, ``execute_values`` in batches of ``batch``, a commit each."""
    _fresh_table(url)
    rows = _rows(events)
    connection = psycopg2.connect(url)
    try:
        began = time.perf_counter()
        for n in range(0, len(rows), batch):
            with connection, connection.cursor() as cursor:
                execute_values(cursor, "INSERT INTO bench_baseline_events VALUES %s",
                               rows[n:n + batch], page_size=batch)
        return len(rows) / (time.perf_counter() - began)
    finally:
        connection.close()


def pg_copy(url: str, events: list[Event]) -> float:
    _fresh_table(url)
    text = io.StringIO()
    for row in _rows(events):
        text.write("\t".join(str(v).replace("\\", "\\\\") for v in row) + "\n")
    text.seek(0)
    connection = psycopg2.connect(url)
    try:
        began = time.perf_counter()
        with connection, connection.cursor() as cursor:
            cursor.copy_expert("COPY bench_baseline_events FROM STDIN", text)
        return len(events) / (time.perf_counter() - began)
    finally:
        connection.close()


def pg_single(url: str, events: list[Event], threads: int,
              seconds: float) -> tuple[float, list[float]]:
    """One INSERT and commit per event from ``threads`` connections for up to ``seconds``:
    (events per second, latencies in ms)."""
    _fresh_table(url)
    rows = _rows(events)
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def insert(share: list[tuple[Any, ...]]) -> None:
        connection = psycopg2.connect(url)
        try:
            for row in share:
                if time.perf_counter() > deadline:
                    return
                began = time.perf_counter()
                with connection, connection.cursor() as cursor:
                    cursor.execute("INSERT INTO bench_baseline_events VALUES"
                                   " (%s, %s, %s, %s, %s, %s)", row)
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()

    workers = [threading.Thread(target=insert, args=(rows[t::threads],))
               for t in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(latencies) / (time.perf_counter() - began), latencies


@dataclass
class AmqpFigures:
    publish_per_second: float
    consume_per_second: float
    latencies_ms: list[float]


def amqp(uri: str, events: list[Event]) -> AmqpFigures:
    """Publish persistent, confirmed, to a throwaway queue while a consumer drains it."""
    name = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="topic", durable=True)
    queue = Queue(name, exchange=exchange, routing_key="#", durable=True)
    latencies: list[float] = []
    received = threading.Event()
    ready = threading.Event()
    consumed_at: list[float] = []

    def consume() -> None:
        with Connection(uri) as connection:
            def on_message(body: Any, message: Any) -> None:
                latencies.append((time.time() - body["sent"]) * 1000)
                message.ack()
                if len(latencies) == len(events):
                    consumed_at.append(time.perf_counter())
                    received.set()

            with connection.Consumer(queue, callbacks=[on_message], prefetch_count=100):
                ready.set()
                while not received.is_set():
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        continue

    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        queue(connection.default_channel).declare()
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        ready.wait(30)
        producer = connection.Producer(serializer="json")
        began = time.perf_counter()
        for event in events:
            producer.publish({"sent": time.time(), **event.body}, exchange=exchange,
                             routing_key="TimeEntryRecorded", delivery_mode=2,
                             message_id=str(uuid.uuid4()))
        published = time.perf_counter()
        received.wait(120)
        consumer.join(10)
        queue(connection.default_channel).delete()
        exchange(connection.default_channel).delete()
    finished = consumed_at[0] if consumed_at else time.perf_counter()
    return AmqpFigures(len(events) / (published - began), len(latencies) / (finished - began),
                       latencies)


def amqp_transactions(uri: str, events: list[Event], batch: int = 500) -> float:
    """Events per second published persistent in AMQP transactions of ``batch`` messages:
    one broker round trip per batch instead of one confirm per message (what a relay
    publishing its whole batch at once could do)."""
    name = f"bench.baseline.tx.{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="topic", durable=True)
    queue = Queue(name, exchange=exchange, routing_key="#", durable=True)
    with Connection(uri) as connection:
        channel = connection.channel()
        queue(channel).declare()
        producer = connection.Producer(channel, serializer="json")
        channel.tx_select()
        began = time.perf_counter()
        for n in range(0, len(events), batch):
            for event in events[n:n + batch]:
                producer.publish(event.body, exchange=exchange, routing_key="TimeEntryRecorded",
                                 delivery_mode=2)
            channel.tx_commit()
        rate = len(events) / (time.perf_counter() - began)
        queue(connection.default_channel).delete()
        exchange(connection.default_channel).delete()
    return rate
