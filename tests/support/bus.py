"""Reading what a service publishes, off the real broker, as (decoded envelope, raw body)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from queue import Empty
from time import monotonic
from typing import Any

from kombu import Connection, Queue

from coachops.bus.topology import event_exchange
from coachops.contracts import Envelope, decode, encode
from tests.support.platform import VHOST

AMQP = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


class Published:
    """Every event a source publishes while this listens (a private queue bound to '#')."""

    def __init__(self, queue: Any, timeout: float) -> None:
        self.queue = queue
        self.timeout = timeout
        self.seen: list[tuple[Envelope, str]] = []
        self.headers: dict[str, dict[str, Any]] = {}  # each message's, by its event id
        self.messages: dict[str, str] = {}  # the id of the message each event came in

    def collect(self, wanted: Callable[[Envelope], bool],
                count: int) -> list[tuple[Envelope, str]]:
        """The first ``count`` wanted events, waiting for them to arrive."""
        deadline = monotonic() + self.timeout
        while len(found := [s for s in self.seen if wanted(s[0])]) < count:
            try:
                message = self.queue.get(timeout=max(0.1, deadline - monotonic()))
            except Empty:
                raise AssertionError(f"{len(found)} of {count} events arrived: "
                                     f"{[e.event_type for e, _ in found]}") from None
            message.ack()
            # A list of envelopes (the relay's), or one (a test's, a replay's).
            listed = message.payload if isinstance(message.payload, list) else [message.payload]
            raw = message.body if isinstance(message.body, str) else message.body.decode()
            for body in listed:
                self.seen.append((decode(body), raw))  # raw: the whole message, as sent
                self.headers[str(self.seen[-1][0].event_id)] = dict(message.headers or {})
                self.messages[str(self.seen[-1][0].event_id)] = message.properties.get(
                    "message_id", "")
        return found

    def of_stream(self, stream_id: str, count: int) -> list[tuple[Envelope, str]]:
        return self.collect(lambda e: str(e.stream_id) == stream_id, count)


@contextmanager
def listening(source: str, timeout: float = 20.0) -> Iterator[Published]:
    queue = Queue(f"test.{source}.{uuid.uuid4()}", exchange=event_exchange(source),
                  routing_key="#", exclusive=True, auto_delete=True)
    with Connection(AMQP) as connection:
        simple = connection.SimpleQueue(queue)
        yield Published(simple, timeout)
        simple.close()


def envelope(source: str, event_type: str, payload: dict[str, Any],
             stream_id: uuid.UUID | None = None, version: int = 1) -> dict[str, Any]:
    """An event as ``source`` would publish it, at a position far beyond any real one (so
    a consumer's exactly-once claim never mistakes it for a relayed event)."""
    now = datetime.now(UTC)
    return encode(Envelope(
        event_type=event_type, version=version, source=source,
        stream_id=stream_id or uuid.uuid4(), stream_position=1,
        position=10**12 + uuid.uuid4().int % 10**9, previous_position=None,
        occurred_at=now, recorded_at=now, payload=payload,
    ))


def publish(source: str, event_type: str, *bodies: Any, **options: Any) -> None:
    """Publish raw bodies on ``source``'s exchange (JSON unless options say otherwise)."""
    with Connection(AMQP) as connection:
        producer = connection.Producer()
        for body in bodies:
            producer.publish(body, exchange=event_exchange(source), routing_key=event_type,
                             declare=[event_exchange(source)], **({"serializer": "json"} | options))
