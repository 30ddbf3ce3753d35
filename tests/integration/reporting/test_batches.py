"""Reporting applies the events its workers hand over in batches (``BatchWriter``): one
transaction for everything waiting, with the same tables as handling each event alone; a
poison event in a batch fails alone, in its own worker, and is parked; the others commit.

The writer tests run on schemas of their own in the test session's reporting database,
dropped at the end, so nothing the service holds is touched."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg2
import pytest
from eventsourcing.persistence import DataError
from kombu import Connection

from coachops.bus.idempotency import BatchWriter, apply_once
from coachops.bus.topology import dead_letter_queue
from coachops.contracts import Envelope, decode
from coachops.store import PostgresDatabase
from services.reporting import projections, schema
from tests.integration.reporting.client import AMQP, publish, received, reporting_url
from tests.integration.reporting.world import Published, Story, World
from tests.support.platform import VHOST, Platform, rabbitmqctl, wait_until


@pytest.fixture
def schemas(platform: Platform) -> Iterator[Callable[[], PostgresDatabase]]:
    """Makes read-model schemas on demand (a PostgresDatabase on each); drops them at the end."""
    made: list[tuple[str, PostgresDatabase]] = []
    admin = psycopg2.connect(reporting_url())
    admin.autocommit = True

    def make() -> PostgresDatabase:
        name = f"batch_check_{uuid.uuid4().hex[:8]}"
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {name}")
        database = PostgresDatabase(reporting_url(), pool_size=2, schema=name)
        made.append((name, database))
        with database.transaction() as cursor:
            cursor.execute(schema.SCHEMA)
        return database

    try:
        yield make
    finally:
        for name, database in made:
            database.close()
            with admin.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA {name} CASCADE")
        admin.close()


def tables(database: PostgresDatabase) -> dict[str, list[str]]:
    contents = {}
    with database.transaction(commit=False) as cursor:
        for table in ("received_events", *schema.DERIVED):
            cursor.execute(f"SELECT * FROM {table}")
            contents[table] = sorted(map(repr, cursor.fetchall()))
    return contents


class Worker(threading.Thread):
    """Hands one event to the writer and waits for its outcome, as a service's event
    handler does (here a thread: this process is not monkey patched)."""

    def __init__(self, writer: BatchWriter, event: Envelope) -> None:
        super().__init__(daemon=True)
        self.writer, self.event = writer, event
        self.outcome: bool | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            [handed] = self.writer.apply_all([self.event])
            if handed.error is not None:
                raise handed.error
            self.outcome = handed.applied
        except Exception as error:
            self.error = error

    def wait(self) -> bool | None:
        self.join(timeout=60)
        assert not self.is_alive(), "still waiting for the writer"
        if self.error is not None:
            raise self.error
        return self.outcome


def hand_over(writer: BatchWriter, events: list[Envelope]) -> list[Worker]:
    """One worker per event; returns once every one of them is waiting for its outcome."""
    workers = [Worker(writer, event) for event in events]
    for worker in workers:
        worker.start()
    while writer.waiting < len(events):
        time.sleep(0.01)
    return workers


def stories(*years: int) -> list[Envelope]:
    events = [decode(e.body) for year in years for e in Story(World(year)).tell().world.events]
    random.Random(7).shuffle(events)
    return events


def poison(good: Published) -> dict[str, Any]:
    """A valid envelope the projection cannot store: a stream position past bigint."""
    body = json.loads(json.dumps(good.body))
    body.update(position=good.position + 10**6, previous_position=None,
                stream_position=2**63, event_id=str(uuid.uuid4()))
    return body


def test_a_burst_is_applied_in_a_transaction_per_batch_as_one_by_one_would(
    schemas: Callable[[], PostgresDatabase],
) -> None:
    events = stories(2041, 2042)
    alone, batched = schemas(), schemas()
    for event in events:
        assert apply_once(alone, event, projections.receive)

    writer = BatchWriter(batched, projections.receive_all, projections.receive, limit=40)
    workers = hand_over(writer, events)
    running = threading.Thread(target=writer.run, daemon=True)
    running.start()
    assert [w.wait() for w in workers] == [True] * len(events)
    assert writer.batches == -(-len(events) // 40) < len(events)
    assert writer.fallbacks == 0
    assert tables(batched) == tables(alone)

    # Delivered again (a redelivery, a republished run): claimed already, nothing changes.
    workers = [Worker(writer, event) for event in events[::-1]]
    for worker in workers:
        worker.start()  # the writer is running: it takes them as they come
    assert [w.wait() for w in workers] == [False] * len(events)
    writer.stop()
    running.join(timeout=60)
    assert not running.is_alive()
    assert tables(batched) == tables(alone)


def test_a_poison_event_fails_alone_and_the_rest_of_its_batch_is_applied(
    schemas: Callable[[], PostgresDatabase],
) -> None:
    story = Story(World(2043)).tell()
    bad = decode(poison(story.world.events[-1]))
    events = [decode(e.body) for e in story.world.events]
    alone, batched = schemas(), schemas()
    for event in events:
        apply_once(alone, event, projections.receive)

    writer = BatchWriter(batched, projections.receive_all, projections.receive)
    workers = hand_over(writer, [*events[:5], bad, *events[5:]])
    assert writer.write_waiting() == len(events) + 1
    poisoned = workers.pop(5)
    with pytest.raises(DataError, match="out of range"):
        poisoned.wait()
    assert [w.wait() for w in workers] == [True] * len(events)
    assert (writer.batches, writer.fallbacks) == (0, 1)
    assert tables(batched) == tables(alone)
    with batched.transaction(commit=False) as cursor:
        # Not claimed, so a redelivery of it is tried again rather than skipped.
        cursor.execute("SELECT count(*) FROM processed_events WHERE position = %s",
                       (bad.position,))
        assert cursor.fetchone()[0] == 0


def test_the_service_parks_a_poison_event_and_keeps_the_rest_of_a_burst(
    platform: Platform,
) -> None:
    story = Story(World(2044)).tell()
    events = story.world.events
    bad = Published(events[-1].source, poison(events[-1]))
    with Connection(AMQP) as connection:
        parked = dead_letter_queue()(connection.channel())
        parked.declare()
        publish([*events[:10], bad, *events[10:]])
        wait_until(lambda: received(events) == len(events), timeout=60,
                   what="reporting to keep every good event of the burst")

        def parked_poison() -> Any:
            while message := parked.get(no_ack=False, accept=["application/json"]):
                message.ack()
                if message.payload.get("event_id") == bad.body["event_id"]:
                    return message
            return None

        message = wait_until(parked_poison, timeout=30, what="the poison event parked")
    assert message.headers["x-consumer"].startswith("reporting.on_")
    assert message.headers["x-reason"].startswith("handler failed: DataError(")
    assert received([bad]) == 0


def test_each_event_queue_is_handed_max_workers_messages_ahead_not_the_raised_pool(
        platform: Platform) -> None:
    """Reporting raises its worker pool (``REPORTING_MAX_WORKERS``, 200) for report queries
    and handlers waiting on its writer; its event queues are still handed ``MAX_WORKERS``
    (10) messages ahead, as RabbitMQ reports them: a message is a list of up to 500 events,
    and 200 of them were 100,000 events in memory under a backlog."""
    def prefetch_by_queue() -> dict[str, int]:
        listed = rabbitmqctl("list_consumers", "-p", VHOST, "queue_name", "prefetch_count")
        rows = [line.split("\t") for line in listed.stdout.decode().splitlines()]
        return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}

    queues = wait_until(lambda: {q: n for q, n in prefetch_by_queue().items()
                                 if "reporting.on_time_entry_recorded" in q},
                        timeout=30, what="reporting's consumer of time entries")
    assert set(queues.values()) == {10}, queues
    rpc = prefetch_by_queue()["rpc-reporting"]
    assert rpc == 200  # the raised pool still serves report queries
