"""``AMQP_QUEUE_TYPE``: every durable queue nameko and the bus declare is of that type;
the queues that die with their connection stay classic (nameko's RPC reply queues are never
passed through ``typed``)."""

from __future__ import annotations

import pytest
from amqp.exceptions import MessageNacked
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko.containers import ServiceContainer
from nameko.testing.utils import get_extension

from coachops.bus.consumer import IntegrationEventHandler, integration_event_handler
from coachops.bus.queues import typed
from coachops.bus.tolerant import TolerantReplyListener
from coachops.bus.topology import dead_letter_queue
from coachops.rpc import RpcConsumer, RpcProxy, rpc
from tests.support.settings import configure
from tests.support.settles import Settles


class Quorate:
    name = "quorate"
    cycles = RpcProxy("cycles")

    @rpc
    def ask(self) -> None:
        pass

    @integration_event_handler("cycles", "CycleProposed")
    def told(self, event: object) -> None:
        pass


def declared() -> dict[str, dict[str, str]]:
    """Each queue of the service as its extensions would declare it."""
    container = ServiceContainer(Quorate, {"AMQP_URI": "memory://"})
    queues = {}
    for extension in (get_extension(container, RpcConsumer),
                      get_extension(container, IntegrationEventHandler)):
        extension.setup()
        queues[extension.queue.name] = extension.queue.queue_arguments or {}
    return queues


def reply_queue() -> tuple[bool, dict[str, int]]:
    """Whether the service's RPC reply queue is exclusive, and its arguments."""
    container = ServiceContainer(Quorate, {"AMQP_URI": "memory://"})  # held: weakly referred
    listener = get_extension(container, TolerantReplyListener)
    listener.setup()
    return listener.queue.exclusive, listener.queue.queue_arguments


def test_quorum_makes_every_durable_queue_quorum(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, AMQP_QUEUE_TYPE="quorum")
    assert declared() == {"rpc-quorate": {"x-queue-type": "quorum"},
                          "evt-cycles-CycleProposed--quorate.told": {"x-queue-type": "quorum"}}
    assert dead_letter_queue().queue_arguments == {"x-queue-type": "quorum"}
    # Classic, and gone with its connection: redeclared on a surviving node after a failover.
    assert reply_queue() == (True, {"x-expires": 300000})


def test_classic_leaves_the_queues_as_nameko_declares_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, AMQP_QUEUE_TYPE="classic")
    assert declared() == {"rpc-quorate": {}, "evt-cycles-CycleProposed--quorate.told": {}}
    assert not dead_letter_queue().queue_arguments
    assert reply_queue() == (False, {"x-expires": 300000})


def test_a_queue_that_dies_with_its_consumer_stays_classic(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Quorum queues refuse exclusive and auto-delete (a broadcast handler's queue)."""
    configure(monkeypatch, AMQP_QUEUE_TYPE="quorum")
    for queue in (Queue("gone-with-it", auto_delete=True, queue_arguments={"x-expires": 1}),
                  Queue("only-mine", exclusive=True), Queue("transient", durable=False)):
        assert typed(queue).queue_arguments in ({"x-expires": 1}, None, {}), queue


@pytest.mark.parametrize("refusal", [MessageNacked(), OperationalError("nacked")])
def test_a_park_the_cluster_does_not_confirm_is_requeued(monkeypatch: pytest.MonkeyPatch,
                                                         refusal: Exception) -> None:
    """Losing a node, a quorum queue elects a new leader; meanwhile a publish is nacked."""
    container = ServiceContainer(Quorate, {"AMQP_URI": "memory://"})  # held: weakly referred
    handler = get_extension(container, IntegrationEventHandler)
    queue = Settles()
    monkeypatch.setattr(handler, "queue_consumer", queue)
    monkeypatch.setattr("coachops.bus.consumer.REQUEUE_PAUSE_SECONDS", 0)

    def park(message: object, reason: str, body: object = None, whole: bool = True) -> None:
        raise refusal

    monkeypatch.setattr(handler, "park", park)
    assert handler.park_or_requeue(object(), [({}, "handler failed")]) == "requeued"
    assert queue.done == ["requeued"]
