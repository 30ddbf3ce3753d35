"""Consumers that outlive a broker restart, and a cluster node's loss.

Acknowledging a message over a connection the broker has just closed fails. The broker
puts back what it never saw acknowledged, so the message comes again once the consumer
has reconnected (and is applied once: see ``coachops.bus.idempotency`` and
``coachops.dependencies.DeliveredOnce``). nameko would let that failure end the whole
service; here it is logged and the service goes on.

A consumer the broker has forgotten while its connection stays up (seen on a cluster
losing a node) is found by asking the broker, and reconnected (``coachops.bus.watch``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener

from coachops import metrics, settings
from coachops.bus.queues import reply
from coachops.bus.watch import ConsumerWatch, QueueState

log = logging.getLogger(__name__)

BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)
FAILED_CHECKS_TO_WARN = 6


class CheckTimedOut(Exception):
    """Not an ``OSError`` (as ``TimeoutError`` is), which kombu would take for a broker to
    retry forever."""


class TolerantQueueConsumer(QueueConsumer):
    def __init__(self) -> None:
        super().__init__()
        self._watch = ConsumerWatch()
        self._queue_of: dict[Any, str] = {}  # a message held (not yet settled): its queue
        self._live: Connection | None = None  # the connection consuming now
        self._watcher: Any = None  # the checking green thread

    def start(self) -> None:
        super().start()
        seconds = settings.current().consumer_check_seconds
        if seconds and self._watcher is None:
            self._watcher = self.container.spawn_managed_thread(
                lambda: self._check_every(seconds), identifier="consumer check")

    def stop(self) -> None:
        self._end_watch()
        super().stop()

    def kill(self) -> None:
        self._end_watch()
        super().kill()

    def _end_watch(self) -> None:
        if self._watcher is not None:
            self._watcher.kill()
            self._watcher = None

    def create_connection(self) -> Connection:
        self._live = super().create_connection()
        return self._live

    def on_connection_revived(self) -> None:
        self._queue_of.clear()
        self._watch.reconnected()

    def handle_message(self, provider: Any, body: Any, message: Any) -> None:
        self._queue_of[message] = provider.queue.name
        self._watch.delivered(provider.queue.name)
        super().handle_message(provider, body, message)

    def ack_message(self, message: Any) -> None:
        self._settled(message)
        with _broker_gone_is_logged("acknowledge", "it will be delivered again"):
            super().ack_message(message)

    def requeue_message(self, message: Any) -> None:
        self._settled(message)
        with _broker_gone_is_logged("requeue", "it is requeued with the connection"):
            super().requeue_message(message)

    def _settled(self, message: Any) -> None:
        queue = self._queue_of.pop(message, None)
        if queue is not None:
            self._watch.settled(queue)

    def _check_every(self, seconds: float) -> None:
        """Ask the broker about this consumer's queues every ``seconds``; never raises (an
        error in a managed thread would end the service)."""
        failed = 0
        with self.connection as asking:
            while True:
                eventlet.sleep(seconds)
                try:
                    # A broker that never answers must not stop the checks for good.
                    with eventlet.Timeout(max(seconds, 5.0) * 2, CheckTimedOut):
                        states = self._ask(asking)
                    forgotten = self._watch.check(states)
                    if forgotten:
                        self._reconnect(forgotten, states)
                    failed = 0
                except Exception as error:  # a broker away, a queue gone: the next check
                    failed += 1
                    if failed == FAILED_CHECKS_TO_WARN:
                        log.warning("could not ask RabbitMQ about this consumer's queues "
                                    "%d times running: %r", failed, error)
                    asking.close()

    def _ask(self, asking: Connection) -> dict[str, QueueState]:
        if not self._consumers_ready.ready():
            return {}
        states = {}
        channel = asking.default_channel
        for provider in list(self._providers):
            queue = provider.queue
            if queue.exclusive:  # another connection may not even look at it
                continue
            _, ready, consumers = channel.queue_declare(queue=queue.name, passive=True)
            states[queue.name] = QueueState(ready=ready, consumers=consumers)
        return states

    def _reconnect(self, forgotten: list[str], states: dict[str, QueueState]) -> None:
        for queue in forgotten:
            metrics.CONSUMER_RECONNECTS.labels(queue).inc()
        log.warning("RabbitMQ is not delivering to this consumer (%s); reconnecting",
                    ", ".join(f"{queue}: {states[queue].ready} messages waiting, "
                              f"{states[queue].consumers} consumers" for queue in forgotten))
        try:
            # Closing the socket under the consuming thread fails its read, which kombu
            # treats as a lost broker: it connects, declares and consumes again.
            if self._live is not None:
                self._live.connection.sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError) as error:  # already gone: kombu is reconnecting
            log.warning("could not close the consumer's connection: %r", error)


@contextmanager
def _broker_gone_is_logged(action: str, consequence: str) -> Iterator[None]:
    """Logged, not raised: the broker puts back what it never saw acknowledged."""
    try:
        yield
    except BROKER_GONE as error:
        log.warning("could not %s a message, the broker is unreachable (%s): %s",
                    action, error, consequence)


class TolerantReplyListener(ReplyListener):
    """Where a caller's RPC answers arrive (the gateway's, reporting's), in a reply queue
    that a cluster's lost node does not hold hostage (``coachops.bus.queues.reply``)."""

    queue_consumer = TolerantQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.queue = reply(self.queue)  # type: ignore[has-type]  # nameko's (untyped)
