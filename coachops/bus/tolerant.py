"""Consumers that outlive a broker restart.

Acknowledging a message over a connection the broker has just closed fails. The broker
puts back what it never saw acknowledged, so the message comes again once the consumer
has reconnected (and is applied once: see ``coachops.bus.idempotency`` and
``coachops.dependencies.DeliveredOnce``). nameko would let that failure end the whole
service; here it is logged and the service goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener

from coachops.bus.queues import reply

log = logging.getLogger(__name__)

BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)


class TolerantQueueConsumer(QueueConsumer):
    def ack_message(self, message: Any) -> None:
        with _broker_gone_is_logged("acknowledge", "it will be delivered again"):
            super().ack_message(message)

    def requeue_message(self, message: Any) -> None:
        with _broker_gone_is_logged("requeue", "it is requeued with the connection"):
            super().requeue_message(message)


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
