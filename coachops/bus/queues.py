"""The one place a durable queue gets its type (``AMQP_QUEUE_TYPE``).

nameko declares its own queues (``rpc-<service>``, each ``evt-…`` of an event handler), and
so does the bus (the dead-letter queue); each passes through :func:`typed` before it is
declared. On a RabbitMQ cluster ``quorum`` makes them replicated (Raft, a majority of nodes
holding every message before the publisher's confirm), so losing one node loses no message
and no queue. Queues that live and die with one connection (exclusive or auto-delete ones)
are left classic: quorum queues refuse those properties.

An RPC caller's reply queue (nameko's ``rpc.reply-<service>-<uuid>``) stays classic, and on a
cluster (``quorum``) it is made exclusive (:func:`reply`): nameko declares it durable, on the
node its connection first reached, and a durable classic queue whose node is lost cannot be
declared again elsewhere (``home node … is down``), so every RPC answer would wait for that
node to come back. Exclusive, it goes with its connection, and the caller reconnecting to a
surviving node declares it there.

A queue's type is fixed when it is first declared: declaring it again with another type is
refused by the broker (``PRECONDITION_FAILED``), so a vhost's queues are moved to quorum by
draining and deleting them (or a new vhost) before services start with the new setting.
"""

from __future__ import annotations

from kombu.entity import Queue

from coachops import settings

QUEUE_TYPE = "x-queue-type"


def typed(queue: Queue) -> Queue:
    """``queue`` with the configured type when it is durable and outlives its consumers."""
    kind = settings.current().amqp_queue_type
    if kind != "classic" and queue.durable and not queue.exclusive and not queue.auto_delete:
        # kombu's Queue sets queue_arguments from its attrs table: its stubs do not know it
        arguments = queue.queue_arguments or {}  # type: ignore[attr-defined]
        queue.queue_arguments = {**arguments, QUEUE_TYPE: kind}  # type: ignore[attr-defined]
    return queue


def reply(queue: Queue) -> Queue:
    """An RPC reply queue: exclusive to its connection on a cluster (``quorum``)."""
    if settings.current().amqp_queue_type != "classic":
        queue.exclusive = True
        queue.auto_delete = True
    return queue
