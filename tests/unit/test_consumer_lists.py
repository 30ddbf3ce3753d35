"""A message of the bus holds a list of events (what the relay publishes) or one (a replay,
a parked event put back): one worker handles them, an event that fails or cannot be read
is parked alone, an outage requeues the message, and it is settled once."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg2
import pytest
from nameko.containers import ServiceContainer

from coachops.bus import consumer
from coachops.bus.consumer import (
    IntegrationEventHandler,
    Unhandled,
    integration_event_handler,
    raise_failures,
)
from coachops.contracts import Envelope, encode
from tests.support.settles import Settles

SEEN: list[str] = []


def region(label: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return encode(Envelope(event_type="RegionDefined", version=1, source="agreements",
                           stream_id=uuid.uuid4(), stream_position=1,
                           position=10**12 + uuid.uuid4().int % 10**9, previous_position=None,
                           occurred_at=now, recorded_at=now,
                           payload={"region_id": str(uuid.uuid4()), "label": label}))


class Regions:
    name = "regions"

    @integration_event_handler("agreements", "RegionDefined")
    def one(self, event: Envelope) -> None:
        label = event.payload["label"]
        if label == "poison":
            raise ValueError("no such region")
        if label == "outage":
            raise psycopg2.OperationalError("the database went away")
        SEEN.append(label)

    @integration_event_handler("agreements", "RegionDefined", many=True)
    def many(self, events: list[Envelope]) -> None:
        SEEN.append("+".join(e.payload["label"] for e in events))


class Message:
    """What kombu hands the handler: a body, already decoded as ``payload``."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload
        self.body = json.dumps(payload).encode()
        self.headers: dict[str, str] = {}
        self.delivery_info = {"exchange": "agreements.events", "routing_key": "RegionDefined"}
        self.content_type, self.content_encoding = "application/json", "utf-8"


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Deliver a message to a method of ``Regions`` as nameko would (its worker run in
    place); what was handled, parked and how the message was settled."""
    SEEN.clear()
    parked: list[tuple[str, Any, str]] = []
    monkeypatch.setattr(consumer, "REQUEUE_PAUSE_SECONDS", 0)
    monkeypatch.setattr(consumer, "park", lambda uri, message, name, reason: parked.append(
        ("message", message.payload, reason)))
    monkeypatch.setattr(consumer, "park_body", lambda uri, body, name, reason, *where:
                        parked.append(("event", json.loads(body), reason)))
    containers = []

    def deliver(method: str, payload: Any) -> tuple[list[str], list[Any], list[str]]:
        container = ServiceContainer(Regions, {"AMQP_URI": "memory://"})
        containers.append(container)  # held: extensions refer to it weakly
        [handler] = [e for e in container.entrypoints
                     if isinstance(e, IntegrationEventHandler) and e.method_name == method]
        handler._highest = {}  # what setup() makes, without a broker
        handler.parked_events = None
        settles = Settles()
        monkeypatch.setattr(handler, "queue_consumer", settles)

        def spawn_worker(entrypoint: Any, args: tuple[Any, ...], kwargs: Any,
                         context_data: Any, handle_result: Any) -> None:
            try:
                result = getattr(Regions(), method)(*args)
            except Exception:
                handle_result(None, None, sys.exc_info())
            else:
                handle_result(None, result, None)

        monkeypatch.setattr(container, "spawn_worker", spawn_worker)
        handler.handle_message(payload, Message(payload))
        return list(SEEN), parked, settles.done

    return deliver


def test_a_list_is_handled_in_one_worker_and_acknowledged_once(handled: Any) -> None:
    seen, parked, done = handled("one", [region("north"), region("south")])
    assert (seen, parked, done) == (["north", "south"], [], ["acked"])


def test_a_handler_of_many_is_given_the_whole_list(handled: Any) -> None:
    seen, parked, done = handled("many", [region("north"), region("south"), region("east")])
    assert (seen, parked, done) == (["north+south+east"], [], ["acked"])


def test_an_event_that_fails_is_parked_alone_and_the_others_handled(handled: Any) -> None:
    poison = region("poison")
    seen, parked, done = handled("one", [region("north"), poison, region("south")])
    assert seen == ["north", "south"]
    assert parked == [("event", poison, "handler failed: ValueError('no such region')")]
    assert done == ["acked"]


def test_an_event_that_cannot_be_read_is_parked_alone(handled: Any) -> None:
    unreadable = {**region("west"), "version": "one"}
    seen, parked, done = handled("one", [region("north"), unreadable])
    assert seen == ["north"]
    [(kind, body, reason)] = parked
    assert (kind, body) == ("event", unreadable) and reason.startswith("bad envelope")
    assert done == ["acked"]


def test_an_outage_requeues_the_whole_message_and_parks_nothing(handled: Any) -> None:
    seen, parked, done = handled("one", [region("north"), region("outage"), region("south")])
    assert seen == ["north"]  # handled again on redelivery, and dropped there as a duplicate
    assert (parked, done) == ([], ["requeued"])


def test_an_unreadable_event_is_parked_once_when_its_message_is_requeued(handled: Any) -> None:
    """Parked after the worker: a requeued message would otherwise park it at each delivery."""
    unreadable = {**region("west"), "version": "one"}
    seen, parked, done = handled("one", [unreadable, region("outage")])
    assert (seen, parked, done) == ([], [], ["requeued"])
    seen, parked, done = handled("one", [unreadable, region("north")])
    assert seen == ["north"] and [kind for kind, _, _ in parked] == ["event"]


def test_one_event_alone_is_parked_as_it_came(handled: Any) -> None:
    poison = region("poison")
    seen, parked, done = handled("one", poison)
    assert seen == [] and done == ["acked"]
    assert parked == [("message", poison, "handler failed: ValueError('no such region')")]


def test_an_outage_among_failures_is_raised_before_the_failures() -> None:
    outage = psycopg2.OperationalError("gone")
    with pytest.raises(psycopg2.OperationalError):
        raise_failures([None, ValueError("bad"), outage])
    with pytest.raises(Unhandled) as failed:
        raise_failures([None, ValueError("bad"), None])
    assert list(failed.value.failures) == [1]
    raise_failures([None, None])  # nothing failed: nothing raised
