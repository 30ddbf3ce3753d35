"""RPC messages published on kept producers (``coachops.bus.producers``), against the real
RabbitMQ: what arrives is what nameko's publisher sends, one connection serves message
after message, a message no queue takes is refused at once (the confirm is kept: how an
RPC to a stopped service's missing queue becomes a 503), and a connection the broker
dropped is made again rather than a message taken for sent."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher, UndeliverableMessage

from coachops.bus.producers import KeptPublisher, kept_producers
from tests.support.bus import AMQP
from tests.support.platform import VHOST, rabbitmqctl

EXCHANGE = Exchange(f"test-kept-{uuid.uuid4().hex[:8]}", type="topic", durable=False,
                    auto_delete=True)
OPTIONS: dict[str, Any] = {"serializer": "json", "expiration": 30}


@pytest.fixture
def queue() -> Iterator[Any]:
    rabbitmqctl("add_vhost", VHOST)
    rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
    bound = Queue(f"test-kept-{uuid.uuid4()}", EXCHANGE, routing_key="echo.#",
                  exclusive=True, auto_delete=True)
    with Connection(AMQP) as connection:
        simple = connection.SimpleQueue(bound)
        yield simple
        simple.close()


def publish(publisher: Publisher, body: Any, key: str = "echo.echo") -> None:
    publisher.publish(body, exchange=EXCHANGE, routing_key=key, mandatory=True,
                      reply_to="replies", correlation_id=str(body["n"]),
                      extra_headers={"nameko.call_id_stack": ["caller.1"]})


def received(queue: Any) -> tuple[Any, dict[str, Any]]:
    message = queue.get(timeout=10)
    message.ack()
    wanted = ("delivery_mode", "expiration", "correlation_id", "reply_to", "content_type")
    return message.payload, {**{k: message.properties.get(k) for k in wanted},
                             "headers": message.headers}


def test_what_arrives_is_what_namekos_publisher_sends(queue: Any) -> None:
    publish(Publisher(AMQP, **OPTIONS), {"n": 1})
    publish(KeptPublisher(AMQP, **OPTIONS), {"n": 1})
    assert received(queue) == received(queue)


def test_one_kept_connection_serves_message_after_message(queue: Any) -> None:
    kept = kept_producers(AMQP, True, None, None)
    for n in range(5):
        publish(KeptPublisher(AMQP, **OPTIONS), {"n": n})
    assert [received(queue)[0]["n"] for _ in range(5)] == list(range(5))
    assert len(kept.idle) == 1  # sent one after the other: one producer, kept
    assert kept.idle[0].connection.connected


def test_a_message_no_queue_takes_is_refused_at_once(queue: Any) -> None:
    publisher = KeptPublisher(AMQP, **OPTIONS)
    for n in range(2):  # and again, on whichever producer is kept after the refusal
        with pytest.raises(UndeliverableMessage):
            publish(publisher, {"n": n}, key="nobody.listens")  # the exchange, no queue


def test_a_connection_the_broker_dropped_is_made_again(queue: Any) -> None:
    publish(KeptPublisher(AMQP, **OPTIONS), {"n": 1})
    kept = kept_producers(AMQP, True, None, None)
    (producer,) = kept.idle
    # The socket ends, as a broker's restart leaves it.
    producer.connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)
    publish(KeptPublisher(AMQP, **OPTIONS), {"n": 2})
    assert [received(queue)[0]["n"] for _ in range(2)] == [1, 2]
