"""Names on the broker. Event exchanges are nameko's, so ``@event_handler`` queues bind."""

from __future__ import annotations

from kombu.entity import Exchange, Queue
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange

from coachops.bus.queues import typed

DEAD_LETTER_EXCHANGE = Exchange(
    "coachops.dead-letters", type="fanout", durable=True, delivery_mode=PERSISTENT
)
DEAD_LETTER_QUEUE_NAME = "coachops.dead-letters"


def dead_letter_queue() -> Queue:
    """Where unreadable or failing messages are parked, of the configured queue type."""
    return typed(Queue(DEAD_LETTER_QUEUE_NAME, exchange=DEAD_LETTER_EXCHANGE, durable=True,
                       auto_delete=False))


def event_exchange(source: str) -> Exchange:
    exchange: Exchange = get_event_exchange(source, {})  # nameko's (untyped)
    return exchange
