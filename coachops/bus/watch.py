"""Noticing a consumer the broker has forgotten.

On a RabbitMQ cluster, a consumer that reconnected while its quorum queue was electing a
new leader (after losing a node) was seen to stay connected and receive nothing more: the
broker held the queue's messages, the connection looked healthy, and nothing came. Neither
side reports it, so each queue consumer asks the broker itself, every
``CONSUMER_CHECK_SECONDS``, on a connection of its own (a passive declare: how many
messages wait, how many consumers the queue has). It judges the broker has forgotten it
when one of its queues

- has no consumer at all (this process is connected and consuming from it), or
- has messages waiting while this process held none of that queue's messages since the
  last check and was given none;

twice running, so that a message on its way or a consumer just reconnecting is not taken
for a lost one. Its connection is then closed, and kombu connects, declares and consumes
again, as after any broker loss (what it held comes again: handling is idempotent).

With two instances of a service the other's consumer keeps the queue drained, so this
instance's loss is harmless until both are lost; the check then finds the first rule true.
A queue exclusive to this consumer's connection cannot be declared from another one and is
not checked (RPC reply queues on a cluster, ``coachops.bus.queues.reply``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SUSPICIONS_TO_ACT = 2  # checks running that must find a queue forgotten


@dataclass(frozen=True)
class QueueState:
    """What the broker answers a passive declare with."""

    ready: int  # messages waiting to be delivered
    consumers: int


@dataclass
class ConsumerWatch:
    """One queue consumer's deliveries between two checks, and its verdict at each.

    Fed from the consumer's own thread (``delivered``, ``settled``) and read by its check;
    under eventlet both run in one OS thread and never interleave within a method.
    """

    holding: dict[str, int] = field(default_factory=dict)  # per queue: delivered, not settled
    busy: set[str] = field(default_factory=set)  # queues delivered or held since the last check
    suspicions: dict[str, int] = field(default_factory=dict)

    def delivered(self, queue: str) -> None:
        self.holding[queue] = self.holding.get(queue, 0) + 1
        self.busy.add(queue)

    def settled(self, queue: str) -> None:
        """A message of ``queue`` acknowledged or requeued."""
        self.holding[queue] = max(self.holding.get(queue, 0) - 1, 0)

    def reconnected(self) -> None:
        """A new connection: what the old one held the broker gives out again."""
        self.holding.clear()
        self.busy.clear()
        self.suspicions.clear()

    def check(self, states: Mapping[str, QueueState]) -> list[str]:
        """The queues found forgotten at this check and the one before."""
        forgotten = []
        for queue, state in states.items():
            idle = queue not in self.busy and not self.holding.get(queue)
            if state.consumers == 0 or (state.ready > 0 and idle):
                self.suspicions[queue] = self.suspicions.get(queue, 0) + 1
                if self.suspicions[queue] >= SUSPICIONS_TO_ACT:
                    forgotten.append(queue)
            else:
                self.suspicions.pop(queue, None)
        # What is held now keeps its queue busy into the next window.
        self.busy = {queue for queue, held in self.holding.items() if held}
        return forgotten
