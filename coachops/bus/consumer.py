"""The consumer side: ``@integration_event_handler(source, event_type)``.

A nameko event handler whose argument is a decoded, validated :class:`Envelope`, never a
raw dict: one at a time, or (``many=True``) each message's list. A message holds a list of
envelopes (bus contract 2, what the relay publishes) or one (contract 1: a replay), and one
worker handles it. An event that cannot be read (a bad envelope, an unknown event version)
is parked alone in the dead-letter queue with the reason, and the rest of the message is
handled; a message that is not JSON is parked whole. A handler that fails on a database
or broker outage has its whole message requeued after a pause (what was applied is then
dropped as a duplicate); any other failure parks only the event it was handling, so one
poison event can neither stop a queue nor be lost, nor hold back the events beside it. A
service with ``ParkedEvents`` also remembers which event it parked
(``coachops.bus.parked``), so that its check for events lost on the bus does not wait for
that one forever."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial, wraps
from typing import Any

import amqp.exceptions
import eventsourcing.persistence as es_errors
import kombu.exceptions
import psycopg2
from kombu.message import Message
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled

from coachops import metrics, settings
from coachops.bus.dead_letters import park_body
from coachops.bus.parked import ParkedEvents
from coachops.bus.queues import typed
from coachops.bus.tolerant import TolerantQueueConsumer
from coachops.contracts import ContractError, Envelope, decode

log = logging.getLogger(__name__)

# Outages: the message is fine, the world is not. Requeue and try again. Parking a message
# fails so too while a RabbitMQ cluster elects a queue's new leader after losing a node: the
# broker does not confirm (nacks) what it was sent then.
TRANSIENT = (
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
    es_errors.OperationalError,
    es_errors.InterfaceError,
    ConnectionError,
    TimeoutError,
    kombu.exceptions.OperationalError,
    amqp.exceptions.MessageNacked,
)
REQUEUE_PAUSE_SECONDS = 1.0


def park(amqp_uri: str, message: Message, consumer: str, reason: str) -> None:
    """Publish ``message`` unchanged to the dead-letter queue, with why and from where."""
    delivery = message.delivery_info or {}
    park_body(amqp_uri, message.body, consumer, reason, delivery.get("exchange", ""),
              delivery.get("routing_key", ""),
              message.content_type or "application/octet-stream",
              message.content_encoding or "binary")


class _ParkingQueueConsumer(TolerantQueueConsumer):
    """nameko's queue consumer, but a message kombu cannot decode is parked, not fatal."""

    @property
    def prefetch_count(self) -> int:
        """Messages RabbitMQ hands each queue's consumer ahead of its workers: ``MAX_WORKERS``,
        not a worker pool a service raised (reporting's, for report queries and handlers
        waiting on its writer). A message is a relay run's list of up to 500 events: 200
        of them held 100,000 decoded events in reporting under a backlog."""
        return settings.current().max_workers

    def ready(self) -> bool:
        """Every registered queue is declared, bound and consumed."""
        ready: bool = self._consumers_ready.ready()  # an eventlet Event (untyped)
        return ready

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._on_decode_error, provider)
        return consumers

    def _on_decode_error(self, provider: IntegrationEventHandler, message: Message,
                         exc: Exception) -> None:
        provider.park(message, f"undecodable message: {exc}")  # no event to remember
        self.ack_message(message)


class IntegrationEventHandler(EventHandler):
    queue_consumer = _ParkingQueueConsumer()

    def setup(self) -> None:
        self._highest: dict[str, int] = {}
        found = [d for d in self.container.dependencies if isinstance(d, ParkedEvents)]
        self.parked_events: ParkedEvents | None = found[0] if found else None
        super().setup()
        self.queue = typed(self.queue)  # type: ignore[has-type]  # nameko's; declared after

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def park(self, message: Message, reason: str, body: Any = None, whole: bool = True) -> None:
        """Park ``message`` (``whole``) or only the event ``body`` of the list it holds, and
        remember the event ``body`` is (``ParkedEvents``)."""
        if self.parked_events is not None:
            self.parked_events.remember(body, self.consumer_name, reason)
        if whole:
            park(self.container.config["AMQP_URI"], message, self.consumer_name, reason)
            return
        delivery = message.delivery_info or {}
        park_body(self.container.config["AMQP_URI"], json.dumps(body), self.consumer_name,
                  reason, delivery.get("exchange", ""), delivery.get("routing_key", ""))

    def handle_message(self, body: Any, message: Message) -> None:
        """One envelope (bus contract 1: replays, parked events put back) or a list of them
        (contract 2: what the relay publishes); either way one worker handles the events
        the message holds. An event that cannot be read is parked alone."""
        items = body if isinstance(body, list) else [body]
        events, bodies, refused = [], [], []
        for item in items:
            try:
                events.append(decode(item))
                bodies.append(item)
            except ContractError as error:
                refused.append((item, error.reason))
        metrics.EVENTS_HANDLED.labels(self.consumer_name, self.event_type,
                                      "rejected").inc(len(refused))
        if not events:
            self.park_or_requeue(message, refused, whole=not isinstance(body, list))
            return
        # The unreadable ones are parked with the handler's failures, once the worker is
        # done: a message requeued meanwhile would have them parked twice.
        handle_result = partial(self.handle_result, message, time.perf_counter(), events,
                                bodies, refused)
        try:
            self.container.spawn_worker(
                self, (events,), {},
                context_data=self.unpack_message_headers(message),
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message: Message, started: float, events: list[Envelope],
                      bodies: list[Any], refused: list[tuple[Any, str]], worker_ctx: Any,
                      result: Any = None, exc_info: Any = None) -> tuple[Any, Any]:
        metrics.HANDLER_SECONDS.labels(self.consumer_name).observe(time.perf_counter() - started)
        error = None if exc_info is None else exc_info[1]
        if isinstance(error, TRANSIENT):
            log.warning("%s: %r; requeueing", self.consumer_name, error)
            time.sleep(REQUEUE_PAUSE_SECONDS)  # green under eventlet: pauses only this worker
            self.queue_consumer.requeue_message(message)
            self._count(events, "requeued")
            return result, exc_info
        failures = (error.failures if isinstance(error, Unhandled)
                    else dict.fromkeys(range(len(events)), error) if error is not None
                    else {})
        failed = [*refused, *((bodies[i], f"handler failed: {failure!r}")
                              for i, failure in failures.items())]
        whole = not isinstance(message.payload, list)  # the message is the one event
        if failed and self.park_or_requeue(message, failed, whole=whole) == "requeued":
            self._count(events, "requeued")
            return result, exc_info
        if not failed:
            self.queue_consumer.ack_message(message)
        handled = [e for i, e in enumerate(events) if i not in failures]
        for event in handled:
            self._record_progress(event)
        self._count(handled, "handled")
        self._count([events[i] for i in failures], "failed")
        return result, exc_info

    def park_or_requeue(self, message: Message, parked: list[tuple[Any, str]],
                        whole: bool = False) -> str:
        """Park each ``(event body, reason)`` (``whole``: the message is the one event, parked
        as it came) and acknowledge the message; requeue it instead when the database that
        remembers parked events, or the broker, is out (parked later, not lost)."""
        try:
            for body, reason in parked:
                self.park(message, reason, body, whole)
        except TRANSIENT as error:
            log.warning("%s: could not park a message (%r); requeueing", self.consumer_name,
                        error)
            time.sleep(REQUEUE_PAUSE_SECONDS)  # green under eventlet: pauses this worker
            self.queue_consumer.requeue_message(message)
            return "requeued"
        self.queue_consumer.ack_message(message)
        return "failed"

    def _count(self, events: list[Envelope], outcome: str) -> None:
        if events:
            metrics.EVENTS_HANDLED.labels(self.consumer_name, self.event_type,
                                          outcome).inc(len(events))

    def _record_progress(self, event: Envelope) -> None:
        lag = (datetime.now(UTC) - event.recorded_at).total_seconds()
        metrics.PROJECTION_LAG.labels(self.consumer_name, event.source).observe(max(lag, 0.0))
        # Events are handled out of order: the gauge keeps the highest position seen.
        highest = self._highest.get(event.source, 0)
        if event.position > highest:
            self._highest[event.source] = event.position
            metrics.CONSUMER_POSITION.labels(self.consumer_name, event.source).set(event.position)


class Unhandled(Exception):
    """Some events of a message's list failed (the others were handled): each one's error,
    by its index in the list. Those are parked alone, and the message acknowledged."""

    def __init__(self, failures: dict[int, BaseException]) -> None:
        super().__init__(f"{len(failures)} events failed: {failures}")
        self.failures = failures


def raise_failures(errors: Sequence[BaseException | None]) -> None:
    """Given each event's error (None: handled), raise an outage among them (the whole
    message is requeued) or else ``Unhandled`` for those that failed; nothing if none."""
    failures = {index: error for index, error in enumerate(errors) if error is not None}
    for error in failures.values():
        if isinstance(error, TRANSIENT):
            raise error
    if failures:
        raise Unhandled(failures)


Handler = Callable[[Any, Envelope], None]
ListHandler = Callable[[Any, list[Envelope]], None]


def one_at_a_time(handle: Handler) -> ListHandler:
    """A handler of one event as the handler of a message's list: each event in turn, in
    the list's order. An outage stops it (the message is requeued, and what was handled is
    handled once: handlers are idempotent); any other failure is the event's alone."""

    @wraps(handle)
    def handle_each(service: Any, events: list[Envelope] | Envelope) -> None:
        if isinstance(events, Envelope):  # called as written, with one
            handle(service, events)
            return
        errors: list[BaseException | None] = []
        for event in events:
            try:
                handle(service, event)
                errors.append(None)
            except TRANSIENT:
                raise
            except Exception as error:
                errors.append(error)
        raise_failures(errors)

    return handle_each


def integration_event_handler(source: str, event_type: str, *, many: bool = False,
                              **options: Any) -> Callable[[Any], Any]:
    """Register the method as the consumer of ``source``'s ``event_type``: it is given one
    event at a time, or (``many``) each message's list of events, raising ``Unhandled``
    for those that failed."""

    def register(handle: Any) -> Any:
        listed = handle if many else one_at_a_time(handle)
        return IntegrationEventHandler.decorator(source, event_type, **options)(listed)

    return register
