"""District IT's view of the dead-letter queue, and the replay after a fix.

    python -m coachops.bus.dead_letters list   [--amqp-uri URI]
    python -m coachops.bus.dead_letters replay [--amqp-uri URI] [--consumer reporting.on_x]

``replay`` sends each parked message back to the exchange and routing key it first came
by, unchanged, and removes it from the queue only once the broker confirmed the resend:
a message that still cannot be read is simply parked again, with the new reason.
Messages of other consumers (with ``--consumer``) are left parked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator

from kombu import Connection, Exchange
from kombu.message import Message

from coachops.bus.topology import DEAD_LETTER_QUEUE

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def parked(connection: Connection) -> Iterator[Message]:
    """Every parked message, unacknowledged (raw: a parked body may not be JSON)."""
    queue = DEAD_LETTER_QUEUE(connection.channel())
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


def show(amqp_uri: str) -> int:
    with Connection(amqp_uri) as connection:
        messages = list(parked(connection))
        for message in messages:
            h = message.headers or {}
            print(f"{h.get('x-dead-lettered-at', '?')}  {h.get('x-consumer', '?')}  "
                  f"{h.get('x-original-routing-key', '?')}: {h.get('x-reason', '?')}")
            message.requeue()
    return len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(description="List or replay parked messages.")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    parser.add_argument("--consumer", help="replay only this consumer's messages")
    args = parser.parse_args()
    if args.command == "list":
        print(f"{show(args.amqp_uri)} parked messages")
    else:
        replayed, kept = replay(args.amqp_uri, args.consumer)
        print(f"replayed {replayed} parked messages; {kept} left parked")


if __name__ == "__main__":
    main()
