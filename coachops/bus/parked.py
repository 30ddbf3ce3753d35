"""Events a consumer parked, remembered beside its read models until they are applied.

A message a consumer cannot apply waits in ``coachops.dead-letters`` for a fix and a
replay (``python -m coachops.bus.dead_letters``). Its source and position are also kept
here, in the consumer's own database, in ``parked_events``, so that:

- the consumer's check for events lost on the bus counts a parked event as received, rather
  than fetching it from its source, failing and trying again forever, and its marks of what
  arrived move on past it: one event nobody can apply holds back no other;
- ``coachops_events_parked`` says, per source, how many wait for a replay (alerted on in
  ``deploy/prometheus/alerts.yml``);
- once replayed and applied (claimed in ``processed_events`` like any event), its row goes.

A service takes part by declaring ``ParkedEvents()`` beside its ``Database``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Gauge
from psycopg2.extensions import cursor as Cursor

from coachops.bus.dead_letters import park_body
from coachops.bus.topology import event_exchange

DDL = """
CREATE TABLE IF NOT EXISTS parked_events (
    source text NOT NULL,
    position bigint NOT NULL,
    previous_position bigint,
    event_type text NOT NULL,
    consumer text NOT NULL,
    reason text NOT NULL,
    times integer NOT NULL DEFAULT 1,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, position)
);
"""

PARKED = Gauge(
    "coachops_events_parked",
    "Events a consumer parked in coachops.dead-letters and has not applied since, per source:"
    " fix the cause, then python -m coachops.bus.dead_letters replay",
    ["source"],
)
MAX_POSITION = 2**63 - 1  # bigint
MAX_REASON = 1000


def storable(text: Any, limit: int = MAX_REASON) -> str:
    """``text`` as PostgreSQL can store it: a hostile event's own strings are what failed."""
    escaped = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    return escaped.replace("\x00", "\\x00")[:limit]


@dataclass(frozen=True)
class Parked:
    source: str
    position: int
    previous_position: int | None
    event_type: str


def _position(value: Any) -> int | None:
    return value if type(value) is int and 0 <= value <= MAX_POSITION else None


def identify(body: Any) -> Parked | None:
    """Which published event ``body`` is, read leniently: a parked body need not be a valid
    envelope. None when it does not say (not JSON, no source or position)."""
    if not isinstance(body, dict) or not isinstance(body.get("source"), str):
        return None
    position = _position(body.get("position"))
    if position is None:
        return None
    return Parked(storable(body["source"], 100), position,
                  _position(body.get("previous_position")),
                  storable(body.get("event_type", "?"), 100))


def record(cursor: Cursor, parked: Parked, consumer: str, reason: str) -> None:
    cursor.execute(
        "INSERT INTO parked_events (source, position, previous_position, event_type, consumer,"
        " reason) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (source, position) DO UPDATE"
        " SET reason = EXCLUDED.reason, consumer = EXCLUDED.consumer,"
        " times = parked_events.times + 1, parked_at = now()",
        (parked.source, parked.position, parked.previous_position, parked.event_type,
         consumer, storable(reason)),
    )


def waiting(cursor: Cursor, sources: list[str]) -> dict[str, int]:
    """Forget the parked events applied since (replayed after a fix); per source, how many
    still wait. Sets the gauge. Writes: run in a transaction that commits."""
    cursor.execute("DELETE FROM parked_events p USING processed_events e"
                   " WHERE e.source = p.source AND e.position = p.position")
    cursor.execute("SELECT source, count(*) FROM parked_events GROUP BY source")
    counts = {source: 0 for source in sources} | {s: int(n) for s, n in cursor.fetchall()}
    for source, count in counts.items():
        PARKED.labels(source).set(count)
    return counts


class ParkedEvents(DependencyProvider):
    """Where a service's consumers remember what they park (``coachops.bus.consumer``),
    in the database of its ``Database`` dependency named ``database``."""

    def __init__(self, database: str = "db") -> None:
        self.database = database
        self.db: Any = None

    def start(self) -> None:
        [db] = [d for d in self.container.dependencies if d.attr_name == self.database]
        self.db = db.database

    def remember(self, body: Any, consumer: str, reason: str) -> None:
        """Keep the event ``body`` is, parked by ``consumer`` for ``reason`` (nothing when
        the body does not say which event it is)."""
        parked = identify(body)
        if parked is not None and self.db is not None:
            with self.db.transaction() as cursor:
                record(cursor, parked, consumer, reason)

    def park(self, body: dict[str, Any], consumer: str, reason: str) -> None:
        """Park an event the service came by other than in a message (fetched from its
        source's log): in the dead-letter queue, to be replayed to its source's exchange
        once fixed, and remembered here."""
        self.remember(body, consumer, reason)
        park_body(self.container.config["AMQP_URI"], json.dumps(body), consumer, reason,
                  event_exchange(str(body.get("source"))).name, str(body.get("event_type")))

    def get_dependency(self, worker_ctx: Any) -> ParkedEvents:
        return self
