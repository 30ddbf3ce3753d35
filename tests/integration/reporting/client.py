"""Feeding the running reporting service raw envelopes, and reading its reports."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg2
import requests
from kombu import Connection, Exchange

from coachops import clock
from services.reporting import facts
from tests.integration.reporting.world import Published, Story, World
from tests.support.platform import VHOST, Platform, database_name, wait_until
from tests.support.roster import anyone, school

AMQP = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


def reporting_url() -> str:
    name = database_name("reporting")
    return f"postgresql://{name}@127.0.0.1:5432/{name}"


def consuming(connection: Connection) -> bool:
    """Every reporting queue is bound and consumed: on a fresh broker the service declares
    its 35 queues one by one after it answers RPC, and an event published to an exchange
    before its queue is bound is dropped by the broker."""
    channel = connection.channel()
    try:
        for source, types in facts.CONSUMED.items():
            for event_type in types:
                method = "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", event_type).lower()
                queue = f"evt-{source}-{event_type}--reporting.{method}"
                if channel.queue_declare(queue=queue, passive=True).consumer_count == 0:
                    return False
        return True
    finally:
        channel.close()


def publish(events: Iterable[Published], amqp: str = AMQP) -> None:
    """Publish as the sources' relays do: to ``<source>.events``, keyed by event type."""
    with Connection(amqp) as connection:
        wait_until(lambda: consuming(connection), timeout=30, what="reporting's queues")
        producer = connection.Producer()
        for event in events:
            producer.publish(event.body, serializer="json", routing_key=event.event_type,
                             exchange=Exchange(f"{event.source}.events", type="topic",
                                               durable=True))


def received(events: Iterable[Published]) -> int:
    keys = {(e.source, e.position) for e in events}
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM received_events WHERE (source, position) IN"
            " (SELECT * FROM unnest(%s::text[], %s::bigint[]))",
            ([s for s, _ in keys], [p for _, p in keys]),
        )
        count = int(cursor.fetchone()[0])
    return count


def wait_received(events: list[Published]) -> None:
    expected = len({(e.source, e.position) for e in events})
    wait_until(lambda: received(events) == expected, timeout=60,
               what=f"reporting to receive {expected} events")


def feed(world: World, events: list[Published] | None = None) -> None:
    events = world.events if events is None else events
    publish(events)
    wait_received(events)


def report(platform: Platform, view: str, headers: dict[str, str] | None = None,
           status: int = 200, **params: Any) -> Any:
    response = requests.get(f"{platform.url}/reports/{view}", params=params,
                            headers=anyone(platform, "district_leader") if headers is None
                            else headers, timeout=30)
    assert response.status_code == status, response.text
    if response.headers["Content-Type"].startswith("text/csv"):
        return response.text
    return response.json()


def rows_by_key(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["level"], row["key"]): row for row in body["rows"]}


def cast(platform: Platform, year: int) -> Story:
    """A story whose people who sign in (the CLT representative of R1, the principal of
    S1, coach C2) are on the roster today, so the gateway serves them: S1 and R1 are a
    school and region of the roster, with that principal and representative. The roster
    tells reporting the same from today on, so nothing of the story's year changes."""
    on = school(platform, coaches=1, principal=True, clt_rep=True, since=clock.today())
    return Story(World(year), s1=uuid.UUID(on.id), r1=uuid.UUID(on.region_id),
                 rep1=uuid.UUID(on.clt_rep), principal1=uuid.UUID(on.principal),
                 c2=uuid.UUID(on.coaches[0])).tell()
