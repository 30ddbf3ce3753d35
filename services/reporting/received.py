"""The events reporting received, kept once each in ``received_events`` (the source of
every read model), and what is known of the ones that never arrived: the gaps in each
source's positions."""

from __future__ import annotations

from typing import Any

import psycopg2
from psycopg2.extensions import cursor as Cursor
from psycopg2.extras import execute_values

from coachops import metrics
from coachops.contracts import Envelope, json_payload, wire
from services.reporting import facts

# The entity whose fact an event changes (None: a roster or category row of its own).
ENTITY_FIELD = {
    **{t: "entry_id" for t in facts.TIME_EVENTS},
    **{t: "cycle_id" for t in facts.CYCLE_EVENTS},
    **{t: "agreement_id" for t in facts.AGREEMENT_EVENTS},
}


def entity_key(event_type: str, payload: dict[str, Any]) -> str | None:
    field = ENTITY_FIELD.get(event_type)
    return f"{field}:{payload[field]}" if field else None


def keep(cursor: Cursor, events: list[Envelope]) -> list[tuple[Envelope, str]]:
    """Keep ``events`` and claim them, deriving nothing yet: a rebuild derives every table
    in one pass at the end (``replay``), folding each entity once. All in one statement
    each; should PostgreSQL refuse one event, the others are kept one by one and the
    refused ones returned with the reason (neither kept nor claimed: the caller parks
    them, so one event stops no rebuild)."""
    cursor.execute("SAVEPOINT keep")
    try:
        _keep_and_claim(cursor, events)
    except psycopg2.DataError:
        cursor.execute("ROLLBACK TO SAVEPOINT keep")
    else:
        cursor.execute("RELEASE SAVEPOINT keep")
        return []
    refused = []
    for event in events:
        cursor.execute("SAVEPOINT keep_one")
        try:
            _keep_and_claim(cursor, [event])
        except psycopg2.DataError as error:
            cursor.execute("ROLLBACK TO SAVEPOINT keep_one")
            refused.append((event, f"PostgreSQL refused it: {error}".strip()))
        else:
            cursor.execute("RELEASE SAVEPOINT keep_one")
    return refused


def _keep_and_claim(cursor: Cursor, events: list[Envelope]) -> None:
    keep_received(cursor, events)
    execute_values(
        cursor, "INSERT INTO processed_events (source, position, event_id) VALUES %s"
        " ON CONFLICT DO NOTHING",
        [(e.source, e.position, str(e.event_id)) for e in events], page_size=1000,
    )


def keep_received(cursor: Cursor, events: list[Envelope],
                   ) -> list[tuple[Envelope, dict[str, Any], str | None]]:
    """Insert ``events`` into received_events; each with its JSON payload and entity."""
    rows, kept = [], []
    for event in events:
        payload = json_payload(event)
        kept.append((event, payload, entity_key(event.event_type, payload)))
        rows.append((event.source, event.position, event.previous_position,
                     str(event.stream_id), event.stream_position, event.event_type,
                     entity_key(event.event_type, payload), event.recorded_at,
                     event.occurred_at, wire.to_json(payload)))
    execute_values(
        cursor,
        "INSERT INTO received_events (source, position, previous_position, stream_id,"
        " stream_position, event_type, entity_key, recorded_at, occurred_at, payload)"
        " VALUES %s ON CONFLICT DO NOTHING", rows, page_size=1000,
    )
    return kept


def gaps(cursor: Cursor) -> list[dict[str, Any]]:
    """Positions a source published (named as some event's previous_position) that never
    arrived here: events lost on the bus, to fetch from the source's notification log. A
    parked event (``coachops.bus.parked``) did arrive: it waits for a replay, not a fetch.

    Only events past each source's mark are looked at, so a check costs what arrived since
    the last one, not everything ever received. The mark then moves along the unbroken
    chain of what arrived, parked events included (each event naming the one before it,
    the source's first naming none), so every event up to it is here or parked. Writes the
    marks: run in a transaction that commits."""
    cursor.execute("INSERT INTO gap_marks (source) SELECT unnest(%s::text[])"
                   " ON CONFLICT DO NOTHING", (list(facts.CONSUMED),))
    cursor.execute("SELECT source, complete_to FROM gap_marks ORDER BY source")
    found = []
    for source, mark in cursor.fetchall():
        cursor.execute(
            "WITH arrived AS (SELECT position, previous_position FROM received_events"
            "   WHERE source = %(source)s AND position > %(mark)s"
            " UNION ALL SELECT position, previous_position FROM parked_events p"
            "   WHERE source = %(source)s AND position > %(mark)s AND NOT EXISTS (SELECT 1"
            "   FROM received_events r WHERE r.source = p.source AND r.position = p.position))"
            " SELECT a.position, a.previous_position, EXISTS (SELECT 1 FROM received_events q"
            "   WHERE q.source = %(source)s AND q.position = a.previous_position)"
            "   OR EXISTS (SELECT 1 FROM parked_events p"
            "   WHERE p.source = %(source)s AND p.position = a.previous_position)"
            " FROM arrived a ORDER BY a.position", {"source": source, "mark": mark})
        chain, unbroken = mark, True
        for position, previous, here in cursor.fetchall():
            if previous is not None and not here:
                found.append({"source": source, "position": int(previous)})
            unbroken = unbroken and previous == (chain or None)
            if unbroken:
                chain = position
        if chain > mark:
            cursor.execute("UPDATE gap_marks SET complete_to = GREATEST(complete_to, %s)"
                           " WHERE source = %s", (chain, source))
        # A mark only moves on, so one set here and rolled back is set again next check.
        metrics.GAP_MARK.labels(source).set(max(chain, mark))
    return sorted(found, key=lambda gap: (gap["source"], gap["position"]))


def marks(cursor: Cursor) -> dict[str, int]:
    """Each source's mark: every event up to it is here or parked (``gaps`` moves it)."""
    cursor.execute("SELECT source, complete_to FROM gap_marks")
    return {str(source): int(mark) for source, mark in cursor.fetchall()}


def received(cursor: Cursor, source: str, positions: list[int]) -> set[int]:
    """Which of ``positions`` of ``source`` are already here, or parked (not to be fetched
    again: replayed once the reason it failed is fixed)."""
    cursor.execute(
        "SELECT position FROM received_events WHERE source = %(s)s AND position = ANY(%(p)s)"
        " UNION SELECT position FROM parked_events WHERE source = %(s)s"
        " AND position = ANY(%(p)s)", {"s": source, "p": positions},
    )
    return {int(p) for (p,) in cursor.fetchall()}
