"""Exactly-once effects for consumers that may see an event twice or out of order.

nameko runs up to ten handlers at once and RabbitMQ redelivers unacknowledged messages,
so a single "last position" per source would either skip events handled out of order or
apply redeliveries twice. Instead every handled event is claimed by its (source,
position) in the same transaction as its effect: a second claim finds the row and the
effect is skipped; a crash before commit leaves no row, so the redelivery applies it.
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg2.extensions import cursor as Cursor

from coachops.contracts import Envelope
from coachops.store import Datastore

DDL = """
CREATE TABLE IF NOT EXISTS processed_events (
    source text NOT NULL,
    position bigint NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, position)
)
"""


def claim(cursor: Cursor, event: Envelope) -> bool:
    """Record ``event`` as processed; False when it already was (skip the effect)."""
    # A concurrent claim of the same key waits for the first transaction to end.
    cursor.execute(
        "INSERT INTO processed_events (source, position, event_id) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event.source, event.position, str(event.event_id)),
    )
    return cursor.rowcount == 1



def apply_once(
    datastore: Datastore, event: Envelope, project: Callable[[Cursor, Envelope], None]
) -> bool:
    """Claim ``event`` and apply ``project`` in one transaction; False if already done."""
    with datastore.transaction() as cursor:
        if not claim(cursor, event):
            return False
        project(cursor, event)
        return True
