"""A rebuild keeps what it fetched a page at a time, in one statement; an event PostgreSQL
cannot store (a NUL in a string, which jsonb refuses) is handed back to be parked, and the
rest of its page is kept and claimed: one event stops no rebuild. In a schema of its own
(``scratch``), rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from psycopg2.extensions import cursor as Cursor

from coachops.contracts import Envelope
from services.reporting import received


def category(position: int, label: str) -> Envelope:
    now = datetime.now(UTC)
    return Envelope(event_type="CategoryAdded", version=1, source="timetracking",
                    stream_id=uuid.uuid4(), stream_position=1, position=position,
                    previous_position=position - 1 if position > 1 else None,
                    occurred_at=now, recorded_at=now,
                    payload={"category_id": f"c{position}", "label": label, "kind": "coaching"})


def test_an_event_postgresql_refuses_is_handed_back_and_the_rest_of_its_page_kept(
        scratch: Cursor) -> None:
    page = [category(1, "Coaching"), category(2, "Bad\x00label"), category(3, "Planning")]
    refused = received.keep(scratch, page)
    assert [(event.position, "PostgreSQL refused it" in why) for event, why in refused] == [
        (2, True)]
    scratch.execute("SELECT position FROM received_events ORDER BY 1")
    assert scratch.fetchall() == [(1,), (3,)]
    scratch.execute("SELECT position FROM processed_events ORDER BY 1")
    assert scratch.fetchall() == [(1,), (3,)]


def test_a_page_postgresql_stores_is_kept_whole(scratch: Cursor) -> None:
    assert received.keep(scratch, [category(1, "Coaching"), category(2, "Planning")]) == []
    scratch.execute("SELECT count(*) FROM received_events")
    assert scratch.fetchone() == (2,)
