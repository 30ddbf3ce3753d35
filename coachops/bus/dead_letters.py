"""District IT's view of the dead-letter queue, and the replay after a fix.

    python -m coachops.bus.dead_letters list   [--amqp-uri URI]
    python -m coachops.bus.dead_letters replay [--amqp-uri URI] [--consumer reporting.on_x]

``replay`` sends each parked message back to the exchange and routing key it first came
by, unchanged, and removes it from the queue only once the broker confirmed the resend:
a message that still cannot be read is simply parked again, with the new reason.
Messages of other consumers (with ``--consumer``) are left parked. ``list`` names each
message's event (source, position, type) when its body says. Consumers park with
``park_body``; which events a service parked is also in its database (``coachops.bus.parked``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.message import Message
from nameko.amqp.publish import Publisher

from coachops import cli, metrics, settings
from coachops.bus.topology import DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE_NAME, dead_letter_queue

log = logging.getLogger(__name__)



def park_body(amqp_uri: str, body: bytes | str, consumer: str, reason: str, exchange: str,
              routing_key: str, content_type: str = "application/json",
              content_encoding: str = "utf-8") -> None:
    """Publish ``body`` to the dead-letter queue, to be replayed to ``exchange`` with
    ``routing_key`` (where it came from) once the reason is fixed."""
    Publisher(amqp_uri, use_confirms=True, declare=[dead_letter_queue()]).publish(
        body,
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=consumer,
        serializer=None,
        content_type=content_type,
        content_encoding=content_encoding,
        headers={
            "x-reason": reason[:1000],
            "x-consumer": consumer,
            "x-original-exchange": exchange,
            "x-original-routing-key": routing_key,
            "x-dead-lettered-at": datetime.now(UTC).isoformat(),
        },
    )
    metrics.DEAD_LETTERED.labels(consumer).inc()
    log.warning("parked a message from %s in %s: %s", routing_key or "?",
                DEAD_LETTER_QUEUE_NAME, reason)


def parked(connection: Connection) -> Iterator[Message]:
    """Every parked message, unacknowledged (raw: a parked body may not be JSON)."""
    queue = dead_letter_queue()(connection.channel())
    queue.declare()
    while (message := queue.get(no_ack=False, accept=["application/json"])) is not None:
        yield message


def replay(amqp_uri: str, consumer: str | None = None) -> tuple[int, int]:
    """Resend parked messages; returns (replayed, left parked)."""
    replayed = kept = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        messages = list(parked(connection))
        for n, message in enumerate(messages, 1):
            headers = dict(message.headers or {})
            if consumer and headers.get("x-consumer") != consumer:
                kept += 1
                continue
            exchange = Exchange(headers["x-original-exchange"], type="topic", durable=True)
            producer.publish(
                message.body, exchange=exchange, routing_key=headers["x-original-routing-key"],
                content_type=message.content_type, content_encoding=message.content_encoding,
                headers={"x-replayed-from": headers.get("x-consumer", "")},
                delivery_mode=2,
            )
            message.ack()  # only after the confirmed resend: nothing lost in between
            replayed += 1
            print(f"\r[{n}/{len(messages)}] replayed {replayed}", end="", file=sys.stderr)
        for message in messages:
            if not message.acknowledged:
                message.requeue()
    print(file=sys.stderr)
    return replayed, kept


def which(message: Message) -> str:
    """`` (source at position)`` of the event a parked body is, when it says."""
    try:
        body = json.loads(message.body)
    except ValueError:
        return ""
    if isinstance(body, dict) and "source" in body and "position" in body:
        return f" ({body['source']} at {body['position']})"
    return ""


def described(message: Message) -> dict[str, str | None]:
    """A parked message as district IT reads it: which consumer, which event, why."""
    h = message.headers or {}
    return {"parked_at": h.get("x-dead-lettered-at"), "consumer": h.get("x-consumer"),
            "routing_key": h.get("x-original-routing-key"),
            "event": which(message).strip(" ()") or None, "reason": h.get("x-reason")}


def peek(amqp_uri: str, limit: int = 100) -> tuple[int, list[dict[str, str | None]]]:
    """How many messages are parked, and the first ``limit`` of them, described; every one
    is left parked."""
    with Connection(amqp_uri) as connection:
        queue = dead_letter_queue()(connection.channel())
        queue.declare()
        _, count, _ = queue.queue_declare(passive=True)
        messages: list[Message] = []
        while len(messages) < limit:
            message = queue.get(no_ack=False, accept=["application/json"])
            if message is None:
                break
            messages.append(message)
        try:
            return int(count), [described(m) for m in messages]
        finally:
            for message in messages:
                message.requeue()


def show(amqp_uri: str) -> int:
    with Connection(amqp_uri) as connection:
        messages = list(parked(connection))
        for message in messages:
            h = message.headers or {}
            print(f"{h.get('x-dead-lettered-at', '?')}  {h.get('x-consumer', '?')}  "
                  f"{h.get('x-original-routing-key', '?')}{which(message)}: "
                  f"{h.get('x-reason', '?')}")
            message.requeue()
    return len(messages)


def main() -> None:
    configured = settings.start()
    parser = argparse.ArgumentParser(description="List or replay parked messages.")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--amqp-uri", default=configured.amqp_uri)
    parser.add_argument("--consumer", help="replay only this consumer's messages")
    args = parser.parse_args()
    if args.command == "list":
        print(f"{show(args.amqp_uri)} parked messages")
    else:
        replayed, kept = replay(args.amqp_uri, args.consumer)
        print(f"replayed {replayed} parked messages; {kept} left parked")


if __name__ == "__main__":
    cli.run(main)
