"""The reporting database's tables: the events kept as received, the read models derived
from them, and the versions that name both.

The read models are versioned (``SCHEMA_VERSION``, kept in ``read_model_schema``): a
process starting on tables of the current version keeps them as they are; on tables of
another version (or none) it makes them again and derives them from ``received_events``
(``services.reporting.replay.ensure_current``). Change ``DERIVATION`` when a change to how
facts are derived (the folds, the placement) should rebuild them too; a change to their
DDL changes the version by itself.
"""

from __future__ import annotations

import hashlib

from psycopg2.extensions import cursor as Cursor

from coachops import migrations
from coachops.bus import idempotency, parked
from services.reporting import rollups

RECEIVED = """
CREATE TABLE IF NOT EXISTS received_events (
    source text NOT NULL,
    position bigint NOT NULL,
    previous_position bigint,
    stream_id uuid NOT NULL,
    stream_position bigint NOT NULL,
    event_type text NOT NULL,
    entity_key text,
    recorded_at timestamptz NOT NULL,
    occurred_at timestamptz NOT NULL,
    payload jsonb NOT NULL,
    PRIMARY KEY (source, position)
);
CREATE INDEX IF NOT EXISTS received_events_entity ON received_events (entity_key, position);
-- Per source, the position up to which every published event is here or known missing.
CREATE TABLE IF NOT EXISTS gap_marks (
    source text PRIMARY KEY,
    complete_to bigint NOT NULL DEFAULT 0
);
"""

# Everything derived from received_events: dropped and replayed by a rebuild, shadowed by
# temporary tables of the same names for an as-of report.
DERIVED = {
    "time_facts": """
        entry_id uuid PRIMARY KEY, coach_id uuid NOT NULL, school_id uuid NOT NULL,
        worked_on date NOT NULL, minutes integer NOT NULL, category_id text NOT NULL,
        category_kind text NOT NULL, cycle_id uuid, focus_area_id text,
        region_id uuid, aligned boolean NOT NULL DEFAULT false""",
    "categories": """
        category_id text PRIMARY KEY, label text, kind text, retired boolean NOT NULL,
        position bigint NOT NULL""",
    "cycle_facts": """
        cycle_id uuid PRIMARY KEY, coach_id uuid NOT NULL, school_id uuid NOT NULL,
        status text NOT NULL, phase text, focus_area_ids text[] NOT NULL,
        teacher_ids uuid[] NOT NULL, started_on date, closed_on date, outcome text,
        next_steps_complete integer NOT NULL, next_steps_total integer NOT NULL,
        region_id uuid, aligned boolean NOT NULL DEFAULT false""",
    "agreement_versions": """
        agreement_id uuid NOT NULL, version integer NOT NULL, coach_id uuid NOT NULL,
        school_id uuid NOT NULL, school_year integer NOT NULL, focus_area_ids text[] NOT NULL,
        check_in_every_weeks integer, in_force boolean NOT NULL, effective_on date,
        PRIMARY KEY (agreement_id, version)""",
    "check_ins": """
        agreement_id uuid NOT NULL, held_on date NOT NULL, next_due_on date NOT NULL""",
    # Roster: one row per event, effective-dated; "in force on d" = the latest row with
    # effective_on <= d (ties broken by position).
    "labels": "unit_id uuid PRIMARY KEY, kind text NOT NULL, label text NOT NULL, "
              "position bigint NOT NULL",
    # What reports call district staff (``StaffMemberNamed``): erased when they are forgotten.
    "staff_names": "person_id uuid PRIMARY KEY, name text NOT NULL, position bigint NOT NULL",
    "school_regions": "school_id uuid NOT NULL, region_id uuid NOT NULL, "
                      "effective_on date NOT NULL, position bigint PRIMARY KEY",
    "coach_schools": "coach_id uuid NOT NULL, school_id uuid NOT NULL, assigned boolean NOT NULL,"
                     " effective_on date NOT NULL, position bigint PRIMARY KEY",
    "principals": "school_id uuid NOT NULL, principal_id uuid NOT NULL, "
                  "effective_on date NOT NULL, position bigint PRIMARY KEY",
    "representatives": "region_id uuid NOT NULL, representative_id uuid NOT NULL, "
                       "effective_on date NOT NULL, position bigint PRIMARY KEY",
}
DERIVED.update(rollups.ROLLUP_TABLES)

INDEXES = """
CREATE INDEX IF NOT EXISTS time_facts_school_day ON time_facts (school_id, worked_on);
CREATE INDEX IF NOT EXISTS time_facts_coach_day ON time_facts (coach_id, worked_on);
CREATE INDEX IF NOT EXISTS time_facts_cycle ON time_facts (cycle_id) WHERE cycle_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS cycle_facts_school ON cycle_facts (school_id, status);
CREATE INDEX IF NOT EXISTS agreement_versions_pair ON agreement_versions (coach_id, school_id);
CREATE INDEX IF NOT EXISTS check_ins_agreement ON check_ins (agreement_id);
CREATE INDEX IF NOT EXISTS school_regions_school ON school_regions (school_id, effective_on);
CREATE INDEX IF NOT EXISTS coach_schools_coach ON coach_schools (coach_id, effective_on);
"""


# One writer at a time: a fact's placement (its region, whether it is aligned) depends on
# other facts (roster, agreements, cycles), so concurrent writers could each miss the
# other's change. The lock is taken after the claim and held to commit; the fold then sees
# every committed event. Handling stays cheap (a few rows), so this is not the bottleneck.
WRITER_LOCK = 0x636F616368  # "coach"

# Names the state of the read models for the cache of finished reports
# (``services.reporting.cache``): every transaction that changes what a report could show
# sets a new one (``read_model_changed``). A random value, not a counter, so a database
# restored from a backup cannot bring back a value that once named other rows.
READ_MODEL_VERSION = """
CREATE TABLE IF NOT EXISTS read_model_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO read_model_version DEFAULT VALUES ON CONFLICT DO NOTHING;
"""

DERIVED_DDL = (
    "".join(f"CREATE TABLE IF NOT EXISTS {name} ({columns})"
            + (f" WITH ({rollups.ROLLUP_STORAGE})" if name in rollups.ROLLUPS else "") + ";\n"
            for name, columns in DERIVED.items())
    + INDEXES + rollups.ROLLUP_INDEXES + rollups.ROLLUP_TRIGGER
)
# What a process needs on any start; the derived tables are kept as they are while their
# version is the current one.
KEPT = idempotency.DDL + ";" + parked.DDL + RECEIVED + READ_MODEL_VERSION
SCHEMA = KEPT + DERIVED_DDL

DERIVATION = 1  # raise to rebuild the read models after a change to how they are derived
SCHEMA_VERSION = f"{DERIVATION}:{hashlib.sha256(DERIVED_DDL.encode()).hexdigest()[:16]}"
READ_MODEL_SCHEMA = """
CREATE TABLE IF NOT EXISTS read_model_schema (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version text NOT NULL
);
"""
# The tables kept across versions of the read models are migrated (step 1: as the release
# before migrations made them); the read models are rebuilt instead, their version in
# ``read_model_schema``.
MIGRATIONS = migrations.register("reporting", ("baseline", KEPT + READ_MODEL_SCHEMA))

# Every table of a rebuild from the sources (made in a shadow schema and swapped in).
TABLES = ("processed_events", "received_events", "gap_marks", *DERIVED)


def read_model_changed(cursor: Cursor) -> None:
    """A new read-model version, in the caller's transaction (which changes the read
    models): cached reports of the old one are no longer served once it commits. Writers
    call it under the writer lock, so it adds no contention."""
    cursor.execute("UPDATE read_model_version SET version = gen_random_uuid()")


def read_model_version(cursor: Cursor) -> str:
    """The version the caller's transaction sees now: read it before reading a report."""
    cursor.execute("SELECT version::text FROM read_model_version")
    row = cursor.fetchone()
    return str(row[0]) if row else ""
