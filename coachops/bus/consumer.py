"""The consumer side: ``@integration_event_handler(source, event_type)``.

A nameko event handler whose argument is a decoded, validated :class:`Envelope`, never a
raw dict. A message that cannot be read (not JSON, a bad envelope, an unknown event
version) is parked in the dead-letter queue with the reason and acknowledged, and the
consumer goes on with the next one. A handler that fails on a database or broker outage
has its message requeued after a pause; any other failure is parked too, so one poison
message can neither stop a queue nor be lost. A service with ``ParkedEvents`` also
remembers which event it parked (``coachops.bus.parked``), so that its check for events
lost on the bus does not wait for that one forever.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import amqp.exceptions
import eventsourcing.persistence as es_errors
import kombu.exceptions
import psycopg2
from kombu.message import Message
from nameko.events import EventHandler
from nameko.exceptions import ContainerBeingKilled

from coachops import metrics
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

    def park(self, message: Message, reason: str, body: Any = None) -> None:
        """Park ``message``, and remember the event ``body`` is (``ParkedEvents``)."""
        if self.parked_events is not None:
            self.parked_events.remember(body, self.consumer_name, reason)
        park(self.container.config["AMQP_URI"], message, self.consumer_name, reason)

    def park_or_requeue(self, message: Message, reason: str, body: Any) -> str:
        """Park ``message`` and acknowledge it; requeue it when the database that remembers
        parked events, or the broker, is out (parked later, not lost)."""
        try:
            self.park(message, reason, body)
        except TRANSIENT as error:
            log.warning("%s: could not park a message (%r); requeueing", self.consumer_name,
                        error)
            time.sleep(REQUEUE_PAUSE_SECONDS)  # green under eventlet: pauses this worker
            self.queue_consumer.requeue_message(message)
            return "requeued"
        self.queue_consumer.ack_message(message)
        return "failed"

    def handle_message(self, body: Any, message: Message) -> None:
        try:
            event = decode(body)
        except ContractError as error:
            metrics.EVENTS_HANDLED.labels(self.consumer_name, self.event_type, "rejected").inc()
            self.park_or_requeue(message, error.reason, body)
            return
        handle_result = partial(self.handle_result, message, time.perf_counter(), event, body)
        try:
            self.container.spawn_worker(
                self, (event,), {},
                context_data=self.unpack_message_headers(message),
                handle_result=handle_result,
            )
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def handle_result(self, message: Message, started: float, event: Envelope, body: Any,
                      worker_ctx: Any, result: Any = None,
                      exc_info: Any = None) -> tuple[Any, Any]:
        metrics.HANDLER_SECONDS.labels(self.consumer_name).observe(time.perf_counter() - started)
        if exc_info is None:
            outcome = "handled"
            self.queue_consumer.ack_message(message)
            self._record_progress(event)
        elif isinstance(exc_info[1], TRANSIENT):
            outcome = "requeued"
            log.warning("%s: %r; requeueing", self.consumer_name, exc_info[1])
            time.sleep(REQUEUE_PAUSE_SECONDS)  # green under eventlet: pauses only this worker
            self.queue_consumer.requeue_message(message)
        else:
            outcome = self.park_or_requeue(message, f"handler failed: {exc_info[1]!r}", body)
        metrics.EVENTS_HANDLED.labels(self.consumer_name, self.event_type, outcome).inc()
        return result, exc_info


    def _record_progress(self, event: Envelope) -> None:
        lag = (datetime.now(UTC) - event.recorded_at).total_seconds()
        metrics.PROJECTION_LAG.labels(self.consumer_name, event.source).observe(max(lag, 0.0))
        # Events are handled out of order: the gauge keeps the highest position seen.
        highest = self._highest.get(event.source, 0)
        if event.position > highest:
            self._highest[event.source] = event.position
            metrics.CONSUMER_POSITION.labels(self.consumer_name, event.source).set(event.position)


integration_event_handler = IntegrationEventHandler.decorator
