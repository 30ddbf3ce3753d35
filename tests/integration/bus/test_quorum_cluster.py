"""Losing one RabbitMQ node of three does not stop a district: the platform runs on a cluster
of its own (``tests/support/rabbit_cluster.py``, three ``rabbitmq-server`` processes) with
``AMQP_QUEUE_TYPE=quorum`` and every node in ``AMQP_URI``; under the fault suite's load the
node every client connected to first is SIGKILLed and later started again, then another.
Every accepted command is stored once, reporting equals a rebuild from the sources, and the
time until a command was accepted again is printed (measured, not asserted: speed belongs in
bench/)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from coachops.bus.dead_letters import park_body, peek
from coachops.bus.topology import DEAD_LETTER_QUEUE_NAME
from tests.reliability import suite
from tests.support.platform import (
    NAMESPACE,
    Platform,
    platform_for_tests,
    reset_databases,
    wait_until,
)
from tests.support.rabbit_cluster import Cluster, running_cluster
from tests.support.settings import configure

HA_NAMESPACE = f"{NAMESPACE}ha"  # databases and vhost apart from the session's platform


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("rabbit")) as running:
        yield running


@pytest.fixture(scope="module")
def ha_platform(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[Platform]:
    vhost = f"coachops-{HA_NAMESPACE}"
    cluster.add_vhost(vhost)
    reset_databases(HA_NAMESPACE)
    platform = platform_for_tests(tmp_path_factory.mktemp("logs"), HA_NAMESPACE,
                                  gateway_port=cluster.first_port + 80)
    platform.env.update(AMQP_URI=cluster.amqp_uri(vhost), AMQP_QUEUE_TYPE="quorum")
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


def node_lost_and_back(cluster: Cluster, index: int, killed_at: list[float]) -> suite.Fault:
    def inject(platform: Platform) -> None:
        time.sleep(2.0)  # some load on the whole cluster first
        killed_at.append(time.monotonic())
        cluster.kill(index)  # SIGKILL: the machine is gone, nothing flushed
        time.sleep(10.0)  # the district works on with two nodes meanwhile
        cluster.start(index)  # with its data: it rejoins and its queue replicas catch up
        platform.wait_ready(timeout=120)

    return suite.Fault(f"SIGKILL RabbitMQ node {index} of 3", inject)


def test_losing_a_rabbitmq_node_loses_and_doubles_nothing(cluster: Cluster,
                                                          ha_platform: Platform) -> None:
    vhost = f"coachops-{HA_NAMESPACE}"
    types = cluster.queue_types(vhost)
    durable = {name: kind for name, kind in types.items() if not name.startswith("rpc.reply")}
    assert durable and set(durable.values()) == {"quorum"}, types
    assert {"rpc-cycles", "rpc-reporting"} <= set(durable)

    killed_at: list[float] = []
    # The first node of every client's AMQP_URI (where their connections and the queues'
    # leaders are), then another once the first is back.
    faults = tuple(node_lost_and_back(cluster, index, killed_at) for index in (0, 2))
    # Single commands and the apps' /sync batches beside them.
    result = suite.run(ha_platform, faults, commands=150)
    errors = {status: n for status, n in result.statuses.items() if status != "201"}
    print(f"\n{result.table()}\nanswers other than 201: {errors or 'none'}")
    for fault, killed in zip(faults, killed_at, strict=True):
        again = result.accepted_again(killed)
        slowest = max((answered - sent for sent, answered, _ in result.answers
                       if sent <= killed + 10 and answered >= killed), default=0.0)
        print(f"{fault.name}: a command sent after it accepted "
              f"{'never' if again is None else f'{again:.1f}s'} later; "
              f"slowest answer to a command in flight or sent while down {slowest:.1f}s")
        assert again is not None, f"writes never came back after {fault.name}"
    assert result.accepted, "commands must get through"
    assert result.duplicates == 0, result.table()
    assert result.lost == 0, result.table()
    assert result.reports_equal_rebuild, result.table()
    # The nodes came back as members: every quorum queue is on all three nodes again.
    wait_until(lambda: set(cluster.online_replicas(vhost).values()) == {3}, timeout=60,
               what="every quorum queue on three nodes again")


def test_a_message_is_confirmed_by_the_surviving_nodes(cluster: Cluster,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A publisher with confirms (parking in the dead letters) whose node is lost moves to
    the next node of its AMQP_URI, and the quorum queue keeps what the lost node held."""
    configure(monkeypatch, AMQP_QUEUE_TYPE="quorum")
    vhost = f"coachops-{HA_NAMESPACE}-bus"
    cluster.add_vhost(vhost)
    uri = cluster.amqp_uri(vhost)
    park_body(uri, b'{"n": 1}', "test.consumer", "parked before", "coachops.cycles", "x")
    cluster.kill(0)  # where the queue's leader is: it was declared there
    killed = time.monotonic()
    try:
        # Nacked until the two others elect a new leader: a publisher tries again (the relay
        # from its position, a consumer by requeueing the message it could not park).
        wait_until(lambda: park_body(uri, b'{"n": 2}', "test.consumer", "parked while down",
                                     "coachops.cycles", "x") or True,
                   timeout=30, interval=0.2, what="a confirm from the surviving nodes")
        print(f"\nconfirmed by the surviving nodes {time.monotonic() - killed:.1f}s after "
              "the node was killed")
        count, described = peek(uri)
    finally:
        cluster.start(0)
    reasons = [d["reason"] for d in described]
    assert count == len(reasons) and reasons[0] == "parked before", reasons
    assert set(reasons) == {"parked before", "parked while down"}, reasons
    assert cluster.queue_types(vhost) == {DEAD_LETTER_QUEUE_NAME: "quorum"}
