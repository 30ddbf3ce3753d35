"""The read models are versioned: a start on tables of the current version keeps them as
they are; on tables of another version (or none) it makes them again and derives them from
the received events. In a schema of its own (``scratch``), rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from psycopg2.extensions import cursor as Cursor

from coachops.contracts import Envelope
from services.reporting import projections, replay, rollups, schema


def region_defined(position: int, label: str) -> Envelope:
    now = datetime.now(UTC)
    region = uuid.uuid5(uuid.NAMESPACE_URL, label)
    return Envelope(event_type="RegionDefined", version=1, source="agreements",
                    stream_id=region, stream_position=1, position=position,
                    previous_position=None, occurred_at=now, recorded_at=now,
                    payload={"region_id": str(region), "label": label})


def labels(cursor: Cursor) -> list[str]:
    cursor.execute("SELECT label FROM labels ORDER BY label")
    return [label for (label,) in cursor.fetchall()]


def test_tables_of_the_current_version_are_kept_and_others_derived_again(
        scratch: Cursor) -> None:
    scratch.execute("DROP TABLE labels CASCADE")  # as if made by another release
    assert replay.ensure_current(scratch) == 0  # none there: made, and derived from nothing
    projections.receive(scratch, region_defined(1, "North"))
    # Written behind the projections' back: a start on the current version keeps it.
    scratch.execute("INSERT INTO labels VALUES (%s, 'region', 'Kept', 99)", (str(uuid.uuid4()),))
    assert replay.ensure_current(scratch) is None
    assert labels(scratch) == ["Kept", "North"]
    scratch.execute("UPDATE read_model_schema SET version = 'an older release'")
    assert replay.ensure_current(scratch) == 1
    assert labels(scratch) == ["North"]  # derived from the received events alone
    scratch.execute("SELECT version FROM read_model_schema")
    assert scratch.fetchone() == (schema.SCHEMA_VERSION,)


def test_autovacuum_visits_each_rollup_after_a_hundredth_of_it_changed(scratch: Cursor) -> None:
    """What keeps a report's read of recent rows index-only under live ingest
    (``rollups.ROLLUP_STORAGE``): in the live tables and in a rebuild's shadow ones."""
    replay.ensure_current(scratch)
    scratch.execute("SELECT current_schema()")
    live = scratch.fetchall()[0][0]
    replay.create_shadow(scratch)
    scratch.execute(
        "SELECT n.nspname, c.relname, c.reloptions FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = ANY(%s) AND n.nspname = ANY(%s)",
        (list(rollups.ROLLUPS), [live, replay.SHADOW]))
    found = {(schema_name == replay.SHADOW, name): set(options or [])
             for schema_name, name, options in scratch.fetchall()}
    assert len(found) == 2 * len(rollups.ROLLUPS)
    assert all(options == {"autovacuum_vacuum_scale_factor=0.01",
                           "autovacuum_vacuum_insert_scale_factor=0.01"}
               for options in found.values())
