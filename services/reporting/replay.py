"""Deriving every read model at once from ``received_events``: for a report "as of" a
past date (into temporary tables), for a rebuild (``rebuild``; from the sources, into a
shadow schema swapped in at the end), and at start when the read models' version is not
the current one (``ensure_current``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from psycopg2.extensions import cursor as Cursor

from coachops import migrations
from coachops.privacy import ERASED
from services.reporting import facts, periods, projections, schema, sql
from services.reporting.projections import PLACE_CYCLES, ROSTER, refold
from services.reporting.rollups import ROLLUP_ALL, ROLLUP_FUNCTIONS
from services.reporting.schema import DERIVED, TABLES, read_model_changed

# Sorts of a rebuild's size (millions of rows) in memory rather than on disk.
REBUILD_WORK_MEM = "256MB"

# Set-wise, each statement equal to applying its events one by one (ROSTER, fold_time_entry):
# a replay is a handful of statements over received_events, not round trips per event.
ROSTER_FROM_EVENTS = {
    **{event_type: f"""
        INSERT INTO labels (unit_id, kind, label, position)
        SELECT DISTINCT ON (r.payload->>'{field}') (r.payload->>'{field}')::uuid, '{kind}',
            r.payload->>'label', r.position
        FROM received_events r WHERE r.event_type = '{event_type}'
        ORDER BY r.payload->>'{field}', r.position DESC
        ON CONFLICT (unit_id) DO UPDATE SET label = EXCLUDED.label,
            position = EXCLUDED.position WHERE labels.position < EXCLUDED.position"""
       for event_type, kind, field in (("RegionDefined", "region", "region_id"),
                                       ("SchoolDefined", "school", "school_id"))},
    **{event_type: f"""
        INSERT INTO {table} ({', '.join(columns)}, effective_on, position)
        SELECT {', '.join(f'p.{c}' for c in columns)}, p.effective_on, r.position
        FROM received_events r, jsonb_populate_record(NULL::{table}, r.payload) p
        WHERE r.event_type = '{event_type}' ON CONFLICT DO NOTHING"""
       for event_type, table, columns in (
           ("SchoolAssignedToRegion", "school_regions", ("school_id", "region_id")),
           ("PrincipalChanged", "principals", ("school_id", "principal_id")),
           ("CltRepresentativeChanged", "representatives", ("region_id", "representative_id")),
       )},
    # The latest name of each, but a forgotten person's (whose kept names read ERASED).
    "StaffMemberNamed": f"""
        INSERT INTO staff_names (person_id, name, position)
        SELECT DISTINCT ON (r.payload->>'person_id') (r.payload->>'person_id')::uuid,
            r.payload->>'name', r.position
        FROM received_events r WHERE r.event_type = 'StaffMemberNamed'
          AND r.payload->>'name' <> '{ERASED}'
        ORDER BY r.payload->>'person_id', r.position DESC""",
    "PersonForgotten": """
        DELETE FROM staff_names s USING received_events f
        WHERE f.event_type = 'PersonForgotten' AND (f.payload->>'person_id')::uuid = s.person_id""",
    **{event_type: f"""
        INSERT INTO coach_schools (coach_id, school_id, assigned, effective_on, position)
        SELECT p.coach_id, p.school_id, {assigned}, p.effective_on, r.position
        FROM received_events r, jsonb_populate_record(NULL::coach_schools, r.payload) p
        WHERE r.event_type = '{event_type}' ON CONFLICT DO NOTHING"""
       for event_type, assigned in (("CoachAssignedToSchool", "true"),
                                    ("CoachUnassignedFromSchool", "false"))},
}
# Every entry's fact: its latest recorded or corrected values, none once voided; stored
# placed (the roster, cycles and agreements are derived first).
TIME_FACTS_FROM_EVENTS = f"""
INSERT INTO time_facts (entry_id, coach_id, school_id, worked_on, minutes, category_id,
    category_kind, cycle_id, focus_area_id, region_id, aligned)
SELECT v.*, region.region_id, COALESCE(v.category_kind = 'coaching' AND (
    v.focus_area_id = ANY(focus.focus_area_ids) OR c.focus_area_ids && focus.focus_area_ids),
  false)
FROM (SELECT DISTINCT ON (r.entity_key) p.entry_id, p.coach_id, p.school_id, p.worked_on,
          p.minutes, p.category_id, p.category_kind, p.cycle_id, p.focus_area_id
      FROM received_events r, jsonb_populate_record(NULL::time_facts, r.payload) p
      WHERE r.event_type IN ('TimeEntryRecorded', 'TimeEntryCorrected')
        AND NOT EXISTS (SELECT 1 FROM received_events x WHERE x.entity_key = r.entity_key
                        AND x.event_type = 'TimeEntryVoided')
      ORDER BY r.entity_key, r.position DESC) v
LEFT JOIN {sql.REGION_PERIODS} region ON region.school_id = v.school_id
  AND {sql.in_period("region", "v.worked_on")}
LEFT JOIN {sql.FOCUS_PERIODS} focus ON (focus.coach_id, focus.school_id) = (v.coach_id,
    v.school_id) AND focus.school_year = {sql.school_year("v.worked_on")}
  AND {sql.in_period("focus", "v.worked_on")}
LEFT JOIN cycle_facts c ON c.cycle_id = v.cycle_id"""


def replay(cursor: Cursor, progress: Callable[[int, int], None] | None = None) -> int:
    """Derive every table of DERIVED (but the rollups) from ``received_events`` into empty
    tables: the roster set-wise, each cycle and agreement folded once and every cycle
    placed in one statement, then every time fact, placed, in one. Returns the events
    replayed."""
    cursor.execute("SELECT event_type, count(*) FROM received_events GROUP BY 1")
    counts = dict(cursor.fetchall())
    total, done = sum(counts.values()), 0
    for statement in ROSTER_FROM_EVENTS.values():
        cursor.execute(statement)
    ignored = [event_type for event_type, apply in ROSTER.items() if apply is projections.ignore]
    done += sum(counts.get(t, 0) for t in (*ROSTER_FROM_EVENTS, *ignored))
    cursor.execute(  # categories (a few events) one by one, in order
        "SELECT event_type, payload, position FROM received_events WHERE entity_key IS NULL"
        " AND event_type <> ALL(%s) ORDER BY source, position",
        ([*ROSTER_FROM_EVENTS, *ignored],))
    for event_type, payload, position in cursor.fetchall():
        ROSTER[event_type](cursor, payload, position)
        done += 1
    cursor.execute(
        "SELECT entity_key, count(*) FROM received_events WHERE entity_key IS NOT NULL"
        " AND event_type <> ALL(%s) GROUP BY entity_key", (list(facts.TIME_EVENTS),))
    for key, count in cursor.fetchall():
        refold(cursor, key, placing=False)
        done += count
        if progress is not None and done % 1000 < count:
            progress(done, total)
    month, day = periods.school_year_start()
    params = {"sm": month, "sd": day}
    cursor.execute(PLACE_CYCLES + "true", params)
    cursor.execute(TIME_FACTS_FROM_EVENTS, params)
    done += sum(counts.get(event_type, 0) for event_type in facts.TIME_EVENTS)
    if progress is not None:
        progress(done, total)
    return total


@contextmanager
def as_of(cursor: Cursor, instant: datetime) -> Iterator[None]:
    """Within the caller's (rolled-back) transaction, temporary tables named like the read
    models, derived from the events recorded up to ``instant``, shadow the real ones (the
    session's temporary schema comes first in the search path)."""
    # A cycle withdrawn from reporting is left out of past dates too: consent withdrawn
    # is withdrawn for every report, not only for those after it.
    cursor.execute(
        "CREATE TEMPORARY TABLE received_events ON COMMIT DROP AS"
        " SELECT r.* FROM public.received_events r WHERE r.recorded_at <= %s AND NOT EXISTS"
        " (SELECT 1 FROM public.received_events w WHERE w.entity_key = r.entity_key"
        " AND w.event_type = 'CycleWithdrawnFromReporting')",
        (instant,),
    )
    cursor.execute("CREATE INDEX ON received_events (entity_key, position)")
    for name, columns in DERIVED.items():
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns}) ON COMMIT DROP")
    replay(cursor)
    cursor.execute(ROLLUP_ALL)
    try:
        yield
    finally:
        for name in (*DERIVED, "received_events"):
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")


def rebuild(cursor: Cursor, progress: Callable[[int, int], None] | None = None) -> int:
    """Drop what the read models hold and derive it again from ``received_events``, in one
    transaction: readers keep the old rows until it commits, then see the new ones all at
    once; consumers wait (SHARE lock on received_events) and then refold on top."""
    cursor.execute("LOCK TABLE received_events IN SHARE MODE")
    total = derive_all(cursor, progress)
    read_model_changed(cursor)
    return total


def derive_all(cursor: Cursor, progress: Callable[[int, int], None] | None = None) -> int:
    """Empty every derived table and ``replay``, with no writer beside it: the time
    rollups are made in one statement each at the end rather than row by row by the
    trigger."""
    cursor.execute("ALTER TABLE time_facts DISABLE TRIGGER USER")
    cursor.execute("SELECT set_config('work_mem', %s, true)", (REBUILD_WORK_MEM,))
    for name in DERIVED:
        cursor.execute(f"DELETE FROM {name}")
    total = replay(cursor, progress)
    cursor.execute(ROLLUP_ALL)
    cursor.execute("ALTER TABLE time_facts ENABLE TRIGGER USER")
    return total


# Rebuilding beside the live tables: from the sources' notification logs into a shadow
# schema while the live tables keep serving, then swapped in. -------------------------

SHADOW = "reporting_rebuild"
RETIRED = "reporting_retired"



def create_shadow(cursor: Cursor) -> datetime:
    """An empty copy of every table (and the rollup trigger) in the shadow schema; the
    caller's transaction then works in it (``SET LOCAL search_path``). Returns when the
    rebuild began: an event the rebuild does not fetch from its source was published after
    that, so the live tables claim it later than that."""
    cursor.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE")
    cursor.execute(f"CREATE SCHEMA {SHADOW}")
    use_shadow(cursor)
    cursor.execute(schema.SCHEMA)
    cursor.execute("SELECT now()")
    began: datetime = cursor.fetchall()[0][0]
    return began


def use_shadow(cursor: Cursor) -> None:
    cursor.execute(f"SET LOCAL search_path TO {SHADOW}")


def swap_in_shadow(cursor: Cursor, began: datetime) -> int:
    """Catch up with what the live tables received since the rebuild ``began``, then make
    the shadow tables the live ones, in one transaction; returns the events caught up.

    Consumers are held at their first statement (the claim) while this runs and then go on
    against the new tables: PostgreSQL looks a table's name up again after waiting for its
    lock. Readers see the old tables until the commit, the new ones after."""
    cursor.execute("LOCK TABLE public.processed_events, public.received_events"
                   " IN EXCLUSIVE MODE")
    use_shadow(cursor)
    cursor.execute(
        "INSERT INTO processed_events SELECT * FROM public.processed_events"
        " WHERE processed_at >= %s ON CONFLICT DO NOTHING", (began,),
    )
    cursor.execute(
        "INSERT INTO received_events SELECT r.* FROM public.received_events r"
        " JOIN public.processed_events p USING (source, position) WHERE p.processed_at >= %s"
        " ON CONFLICT DO NOTHING RETURNING source, position, event_type, payload, entity_key",
        (began,),
    )
    late = cursor.fetchall()
    projections.derive(cursor, late)
    cursor.execute(f"DROP SCHEMA IF EXISTS {RETIRED} CASCADE")
    cursor.execute(f"CREATE SCHEMA {RETIRED}")
    for table in TABLES:
        cursor.execute(f"ALTER TABLE public.{table} SET SCHEMA {RETIRED}")
    for function in ROLLUP_FUNCTIONS:
        cursor.execute(f"ALTER FUNCTION public.{function} SET SCHEMA {RETIRED}")
    for table in TABLES:
        cursor.execute(f"ALTER TABLE {SHADOW}.{table} SET SCHEMA public")
    for function in ROLLUP_FUNCTIONS:
        cursor.execute(f"ALTER FUNCTION {SHADOW}.{function} SET SCHEMA public")
    cursor.execute(f"DROP SCHEMA {RETIRED} CASCADE")
    cursor.execute(f"DROP SCHEMA {SHADOW} CASCADE")
    cursor.execute("SET LOCAL search_path TO public")
    read_model_changed(cursor)  # the live version: not one of the swapped tables
    return len(late)


def ensure_current(cursor: Cursor, progress: Callable[[int, int], None] | None = None,
                   ) -> int | None:
    """Make the tables a process needs; keep the read models while their version is the
    current one (``schema.SCHEMA_VERSION``), else make them again and derive them from
    ``received_events``: returns the events derived then, None when kept. Under the writer
    lock, so two processes starting at once do it once and no consumer writes meanwhile."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (schema.WRITER_LOCK,))
    migrations.apply(cursor, schema.MIGRATIONS)
    cursor.execute("SELECT version FROM read_model_schema")
    row = cursor.fetchone()
    if row is not None and row[0] == schema.SCHEMA_VERSION:
        return None
    cursor.execute(schema.KEPT)
    for name in DERIVED:
        cursor.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
    for function in (*ROLLUP_FUNCTIONS, *RETIRED_FUNCTIONS):
        cursor.execute(f"DROP FUNCTION IF EXISTS {function}")
    cursor.execute(schema.DERIVED_DDL)
    total = derive_all(cursor, progress)
    read_model_changed(cursor)
    cursor.execute("INSERT INTO read_model_schema (version) VALUES (%s) ON CONFLICT (only_row)"
                   " DO UPDATE SET version = EXCLUDED.version", (schema.SCHEMA_VERSION,))
    return total


# Functions of read models made before they were versioned (the tables' go with them).
RETIRED_FUNCTIONS = ("time_month_keep()", "time_rollups_keep()")


class Progress:
    """Prints how far a rebuild is and how fast it goes."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.started = time.monotonic()
        self.write = write

    def __call__(self, done: int, total: int) -> None:
        seconds = max(time.monotonic() - self.started, 1e-6)
        self.write(f"rebuilt {done}/{total} events ({done / seconds:.0f} events/s)")
