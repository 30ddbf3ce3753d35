"""Read models and the projections that keep them. SQL on a cursor; no nameko here.

Every consumed event is kept, once, in the append-only ``received_events`` table, in the
same transaction as its claim in ``processed_events`` and as the update of the fact it
touches. A fact (a time entry, a cycle, an agreement) is then recomputed from all the
received events of its entity (sorted by the source's position) by the pure folds of
``services.reporting.facts``, under one writer lock held to commit; roster facts are
effective-dated rows, one per event. Each fact stores where it belongs (the region of its
school on its date, whether it served the agreement in force), re-placed when a roster,
agreement or cycle change moves it, and a trigger keeps the time rollups that reports
read (``time_month``, and month-to-date per day in ``time_day``). So ten workers handling
events in any order, redeliveries and replays all leave the same tables.

The same derivation replays ``received_events`` into temporary tables for a report "as
of" a past date (``as_of``), and into the real tables for a rebuild (``rebuild``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from psycopg2.extensions import cursor as Cursor
from psycopg2.extras import execute_values

from coachops.bus import idempotency, parked
from coachops.contracts import Envelope, encode
from services.reporting import facts, periods, sql

log = logging.getLogger(__name__)

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
    "school_regions": "school_id uuid NOT NULL, region_id uuid NOT NULL, "
                      "effective_on date NOT NULL, position bigint PRIMARY KEY",
    "coach_schools": "coach_id uuid NOT NULL, school_id uuid NOT NULL, assigned boolean NOT NULL,"
                     " effective_on date NOT NULL, position bigint PRIMARY KEY",
    "principals": "school_id uuid NOT NULL, principal_id uuid NOT NULL, "
                  "effective_on date NOT NULL, position bigint PRIMARY KEY",
    "representatives": "region_id uuid NOT NULL, representative_id uuid NOT NULL, "
                       "effective_on date NOT NULL, position bigint PRIMARY KEY",
}
# The time rollups reports read instead of the facts, kept by a trigger on time_facts in
# the fact's own transaction (below), at three grains: per coach, school and region (for
# the coach levels and any coach's scope), per school and per region (so the school,
# region, district and month levels read a few hundred rows, not every coach's). Each
# grain has a monthly table (minutes and aligned minutes per category and month, for
# whole months) and a daily one: the month's minutes to date per category on each day
# from the group's first entry of the month to the month's end, so any part of a month is
# at most two rows per group (to date on its last day, less to date on the day before its
# first) however long it is; no row on a day means no minutes yet that month.
GRAINS: dict[str, tuple[str, ...]] = {
    "time": ("coach_id", "school_id", "region_id"),
    "school_time": ("school_id", "region_id"),
    "region_time": ("region_id",),
}
ROLLUPS = tuple(f"{grain}_{period}" for grain in GRAINS for period in ("month", "day"))
GRAIN_COLUMNS = {"coach_id": "uuid NOT NULL", "school_id": "uuid NOT NULL", "region_id": "uuid"}
DERIVED.update({
    f"{grain}_{period}": "".join(f"{c} {GRAIN_COLUMNS[c]}, " for c in columns)
    + f"{period} date NOT NULL, category_id text NOT NULL, category_kind text NOT NULL,"
      " minutes bigint NOT NULL, aligned_minutes bigint NOT NULL"
    for grain, columns in GRAINS.items() for period in ("month", "day")
})

INDEXES = """
DROP INDEX IF EXISTS time_facts_day;  -- reports read the rollups, not facts by day
CREATE INDEX IF NOT EXISTS time_facts_school_day ON time_facts (school_id, worked_on);
CREATE INDEX IF NOT EXISTS time_facts_coach_day ON time_facts (coach_id, worked_on);
CREATE INDEX IF NOT EXISTS time_facts_cycle ON time_facts (cycle_id) WHERE cycle_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS cycle_facts_school ON cycle_facts (school_id, status);
CREATE INDEX IF NOT EXISTS agreement_versions_pair ON agreement_versions (coach_id, school_id);
CREATE INDEX IF NOT EXISTS check_ins_agreement ON check_ins (agreement_id);
CREATE INDEX IF NOT EXISTS school_regions_school ON school_regions (school_id, effective_on);
CREATE INDEX IF NOT EXISTS coach_schools_coach ON coach_schools (coach_id, effective_on);
"""


def _key(grain: str, period: str) -> str:
    return f"({period}, {', '.join(GRAINS[grain])}, category_id)"


def _same_group(alias: str, grain: str) -> str:
    """``alias``'s row is in the group of the change ``c`` at ``grain`` (region may be
    null)."""
    return " AND ".join(f"{alias}.{c} IS NOT DISTINCT FROM c.{c}" if c == "region_id"
                        else f"{alias}.{c} = c.{c}" for c in GRAINS[grain])


# Keys start with the month or day: reports read one span of months, or a few days, of
# every group in scope. Each index also holds every other column a report reads, so that
# read is an index-only scan (at 10M facts, a district's coaches over a school year are
# 32,000 month rows): the heap is not visited for pages the visibility map marks
# all-visible, which a VACUUM after a bulk load or rebuild sets. The price: an upsert that
# changes the minutes is no HOT update. Made before the key-only index they replace is
# dropped, so a running trigger's ON CONFLICT always finds one.
ROLLUP_INDEXES = "DROP INDEX IF EXISTS time_month_key;\n" + "".join(
    f"CREATE UNIQUE INDEX IF NOT EXISTS {grain}_{period}_covering ON {grain}_{period}"
    f" {_key(grain, period)} INCLUDE (category_kind, minutes, aligned_minutes)"
    f" NULLS NOT DISTINCT;\nDROP INDEX IF EXISTS {grain}_{period}_by_{period};\n"
    for grain in GRAINS for period in ("month", "day"))

# The trigger works per statement, on the rows it added and removed (``added``,
# ``removed``: time_facts[]), so a batch of facts is one upsert per rollup whatever its
# size: each group's change per category and day is summed first, then spread to the
# month's end. A change that nets to nothing leaves its rows alone.
CHANGES = """(SELECT c.*, c.minutes * c.sign AS delta,
          CASE WHEN c.aligned THEN c.minutes * c.sign ELSE 0 END AS aligned_delta
      FROM (SELECT a.*, 1 AS sign FROM unnest(added) a
            UNION ALL SELECT r.*, -1 FROM unnest(removed) r) c)"""
MONTH_END = "date_trunc('month', {day}) + interval '1 month - 1 day'"


def _apply(grain: str) -> str:
    """The statements of the rollup trigger for one grain."""
    columns = ", ".join(f"c.{c}" for c in GRAINS[grain])
    changed = "HAVING sum(c.delta) <> 0 OR sum(c.aligned_delta) <> 0"
    same = {"month": _same_group("m", grain), "day": _same_group("t", grain)}
    return f"""
  INSERT INTO {grain}_month AS m SELECT {columns}, date_trunc('month', c.worked_on)::date,
      c.category_id, min(c.category_kind), sum(c.delta), sum(c.aligned_delta)
  FROM {CHANGES} c
  GROUP BY {columns}, date_trunc('month', c.worked_on), c.category_id {changed}
  ON CONFLICT {_key(grain, "month")} DO UPDATE SET minutes = m.minutes + EXCLUDED.minutes,
      aligned_minutes = m.aligned_minutes + EXCLUDED.aligned_minutes;
  INSERT INTO {grain}_day AS t SELECT {columns}, d::date, c.category_id,
      min(c.category_kind), sum(c.delta), sum(c.aligned_delta)
  FROM (SELECT {columns}, c.worked_on, c.category_id, min(c.category_kind) AS category_kind,
            sum(c.delta) AS delta, sum(c.aligned_delta) AS aligned_delta
        FROM {CHANGES} c GROUP BY {columns}, c.worked_on, c.category_id) c,
       generate_series(c.worked_on, {MONTH_END.format(day="c.worked_on")}, interval '1 day') d
  GROUP BY {columns}, d, c.category_id {changed}
  ON CONFLICT {_key(grain, "day")} DO UPDATE SET minutes = t.minutes + EXCLUDED.minutes,
      aligned_minutes = t.aligned_minutes + EXCLUDED.aligned_minutes;
  IF cardinality(removed) > 0 THEN  -- minutes are positive: only a removal leaves a zero
    DELETE FROM {grain}_month m USING unnest(removed) c WHERE m.minutes = 0
      AND m.aligned_minutes = 0 AND m.month = date_trunc('month', c.worked_on)
      AND m.category_id = c.category_id AND {same["month"]};
    DELETE FROM {grain}_day t USING unnest(removed) c WHERE t.minutes = 0
      AND t.aligned_minutes = 0 AND t.day BETWEEN c.worked_on AND
          {MONTH_END.format(day="c.worked_on")}
      AND t.category_id = c.category_id AND {same["day"]};
  END IF;"""


# What each trigger adds and removes; an update counts only the rows it changed (most
# re-placements move nothing).
ROLLUP_CHANGES = {
    "INSERT": ("ARRAY(SELECT n FROM new_rows n)", "'{}'"),
    "DELETE": ("'{}'", "ARRAY(SELECT o FROM old_rows o)"),
    "UPDATE": tuple(
        f"ARRAY(SELECT x FROM {mine} x WHERE NOT EXISTS (SELECT 1 FROM {theirs} y"
        f" WHERE y.entry_id = x.entry_id AND (y.*) IS NOT DISTINCT FROM (x.*)))"
        for mine, theirs in (("new_rows", "old_rows"), ("old_rows", "new_rows"))),
}
ROLLUP_FUNCTIONS = tuple(f"time_rollups_{op.lower()}()" for op in ROLLUP_CHANGES)
TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
ROLLUP_TRIGGER = """
DROP TRIGGER IF EXISTS time_month_keep ON time_facts;
DROP TRIGGER IF EXISTS time_rollups_keep ON time_facts;
DROP TRIGGER IF EXISTS time_rollups_move ON time_facts;
DROP FUNCTION IF EXISTS time_month_keep();
DROP FUNCTION IF EXISTS time_month_apply(time_facts, integer);
DROP FUNCTION IF EXISTS time_rollups_keep();
DROP FUNCTION IF EXISTS time_rollups_apply(time_facts, integer);
""" + "".join(f"""
CREATE OR REPLACE FUNCTION time_rollups_{op.lower()}() RETURNS trigger AS $$
DECLARE
  added time_facts[] := {added};
  removed time_facts[] := {removed};
BEGIN
  IF cardinality(added) + cardinality(removed) = 0 THEN RETURN NULL; END IF;
  {"".join(_apply(grain) for grain in GRAINS)}
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER time_rollups_{op.lower()} AFTER {op} ON time_facts
  REFERENCING {TRANSITIONS[op]} FOR EACH STATEMENT EXECUTE FUNCTION time_rollups_{op.lower()}();
""" for op, (added, removed) in ROLLUP_CHANGES.items())

# Each rollup made in one statement, equal to what the trigger keeps: for an as-of
# report's temporary tables (no trigger) and after a rebuild or a bulk load. The finest
# monthly grain from time_facts, the coarser ones from it; each daily grain from the
# facts' daily sums: the month to date on each day that has minutes, repeated on every day
# up to the next such day (or the month's end). Inserted in day order, which keeps the
# index on (day, ...) growing at its end.
ROLLUP_MONTH = """
INSERT INTO time_month SELECT coach_id, school_id, region_id,
    date_trunc('month', worked_on)::date, category_id, category_kind, sum(minutes),
    COALESCE(sum(minutes) FILTER (WHERE aligned), 0)
FROM time_facts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 4"""


def _rollup_day(grain: str) -> str:
    columns = ", ".join(GRAINS[grain])
    return f"""
INSERT INTO {grain}_day SELECT {columns}, d::date, category_id, category_kind, minutes,
    aligned_minutes
FROM (SELECT {columns}, day, category_id, category_kind, sum(minutes) OVER to_date AS minutes,
          sum(aligned_minutes) OVER to_date AS aligned_minutes, lead(day) OVER to_date AS next
      FROM (SELECT {columns}, worked_on AS day, category_id, category_kind,
                sum(minutes) AS minutes,
                COALESCE(sum(minutes) FILTER (WHERE aligned), 0) AS aligned_minutes
            FROM time_facts GROUP BY {columns}, worked_on, category_id, category_kind) AS daily
      WINDOW to_date AS (PARTITION BY {columns}, category_id, category_kind,
                         date_trunc('month', day) ORDER BY day)) AS s,
  generate_series(s.day, COALESCE(s.next - 1,
      (date_trunc('month', s.day) + interval '1 month - 1 day')::date), interval '1 day') AS d
ORDER BY d"""


ROLLUP_ALL = ";".join((
    ROLLUP_MONTH,
    *(f"INSERT INTO {grain}_month SELECT {', '.join(columns)}, month, category_id,"
      f" category_kind, sum(minutes), sum(aligned_minutes) FROM time_month"
      f" GROUP BY {', '.join(columns)}, month, category_id, category_kind ORDER BY month"
      for grain, columns in GRAINS.items() if grain != "time"),
    *(_rollup_day(grain) for grain in GRAINS),
))
# Sorts of a rebuild's size (millions of rows) in memory rather than on disk.
REBUILD_WORK_MEM = "256MB"

# One writer at a time: a fact's placement (its region, whether it is aligned) depends on
# other facts (roster, agreements, cycles), so concurrent writers could each miss the
# other's change. The lock is taken after the claim and held to commit; the fold then sees
# every committed event. Handling stays cheap (a few rows), so this is not the bottleneck.
WRITER_LOCK = 0x636F616368  # "coach"

# A database made before the daily and coarse rollups existed gets them made once, under
# the writer lock.
FILL_NEW_ROLLUPS = f"""
DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM time_facts) AND NOT EXISTS (SELECT 1 FROM region_time_day) THEN
    PERFORM pg_advisory_xact_lock({WRITER_LOCK});
    IF NOT EXISTS (SELECT 1 FROM region_time_day) THEN
      {"; ".join(f"DELETE FROM {table}" for table in ROLLUPS)}; {ROLLUP_ALL};
    END IF;
  END IF;
END $$;
"""

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

SCHEMA = (
    idempotency.DDL + ";" + parked.DDL + RECEIVED
    + "".join(f"CREATE TABLE IF NOT EXISTS {name} ({columns});\n"
              for name, columns in DERIVED.items())
    + INDEXES + ROLLUP_INDEXES + ROLLUP_TRIGGER + FILL_NEW_ROLLUPS + READ_MODEL_VERSION
)

# The entity whose fact an event changes (None: a roster or category row of its own).
ENTITY_FIELD = {
    **{t: "entry_id" for t in facts.TIME_EVENTS},
    **{t: "cycle_id" for t in facts.CYCLE_EVENTS},
    **{t: "agreement_id" for t in facts.AGREEMENT_EVENTS},
}


def entity_key(event_type: str, payload: dict[str, Any]) -> str | None:
    field = ENTITY_FIELD.get(event_type)
    return f"{field}:{payload[field]}" if field else None


# Consuming ---------------------------------------------------------------------------------


def receive(cursor: Cursor, event: Envelope) -> None:
    """Keep ``event`` and update what it changes. Runs after the event's claim, in the same
    transaction (``apply_once``)."""
    payload = encode(event)["payload"]  # the JSON form, as it travelled
    key = entity_key(event.event_type, payload)
    cursor.execute(
        "INSERT INTO received_events (source, position, previous_position, stream_id,"
        " stream_position, event_type, entity_key, recorded_at, occurred_at, payload)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (event.source, event.position, event.previous_position, str(event.stream_id),
         event.stream_position, event.event_type, key, event.recorded_at,
         event.occurred_at, json.dumps(payload)),
    )
    derive(cursor, event.event_type, payload, event.position, key)
    read_model_changed(cursor)  # under the writer lock ``derive`` took


# Roster rows first, then the facts that are placed by them: agreements, cycles, entries
# (an entry is then stored placed once, rather than placed again by a later refold).
REFOLD_ORDER = {"agreement_id": 0, "cycle_id": 1, "entry_id": 2}


def receive_all(cursor: Cursor, events: list[Envelope]) -> None:
    """``receive`` for a batch, in one transaction after the events' claims: keep them all
    in one statement, take the writer lock once and refold each entity the batch touches
    once. Handling already tolerates any order, so the result is what handling the
    events one by one in any order leaves."""
    kept = _keep_received(cursor, events)
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
    read_model_changed(cursor)
    keys: set[str] = set()
    for event, payload, key in sorted(kept, key=lambda k: (k[0].source, k[0].position)):
        if key is not None:
            keys.add(key)
            continue
        ROSTER[event.event_type](cursor, payload, event.position)
        if event.event_type == "SchoolAssignedToRegion":
            place(cursor, "f.school_id = %(id)s", payload["school_id"])
    entries = sorted(k for k in keys if k.startswith("entry_id:"))
    for key in sorted(keys - set(entries), key=lambda k: (REFOLD_ORDER[k.partition(":")[0]], k)):
        refold(cursor, key)
    if entries:
        _refold_entries(cursor, entries)


def _refold_entries(cursor: Cursor, keys: list[str]) -> None:
    """``refold`` of many time entries in three statements rather than three each: most of
    a batch of offline time is entries."""
    cursor.execute(
        "SELECT entity_key, event_type, payload FROM received_events"
        " WHERE entity_key = ANY(%s) ORDER BY position", (keys,),
    )
    events: dict[str, list[tuple[str, dict[str, Any]]]] = {key: [] for key in keys}
    for key, event_type, payload in cursor.fetchall():
        events[key].append((event_type, payload))
    cursor.execute("DELETE FROM time_facts WHERE entry_id = ANY(%s::uuid[])",
                   ([key.partition(":")[2] for key in keys],))
    folded = [fact for fact in map(facts.fold_time_entry, events.values()) if fact is not None]
    if folded:
        month, day = periods.school_year_start()
        # execute_values takes one placeholder: the school year's start goes in as integers.
        statement = INSERT_TIMES.replace("%(sm)s", str(int(month))).replace(
            "%(sd)s", str(int(day)))
        execute_values(cursor, statement, [dataclasses.astuple(f) for f in folded],
                       template=TIME_VALUES, page_size=len(folded))


def derive(cursor: Cursor, event_type: str, payload: dict[str, Any], position: int,
           key: str | None) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))
    if key is not None:
        refold(cursor, key)
    else:
        ROSTER[event_type](cursor, payload, position)
        if event_type == "SchoolAssignedToRegion":
            place(cursor, "f.school_id = %(id)s", payload["school_id"])


# Placement: stored on each fact so that reports need no per-row lookups. Recomputed for
# the facts a change can move: the fact itself, the entries of a cycle whose focus areas
# changed, the entries and cycles of a coach-school pair whose agreement changed, those of
# a school that changed region.

def _time_placement(f: str) -> str:
    """``region_id`` and ``aligned`` of the time fact aliased ``f``."""
    focus = sql.focus_in_force(f"{f}.coach_id", f"{f}.school_id", f"{f}.worked_on")
    return f"""{sql.region_on(f'{f}.school_id', f'{f}.worked_on')},
  COALESCE({f}.category_kind = 'coaching' AND (
    {f}.focus_area_id = ANY({focus}::text[])
    OR (SELECT c.focus_area_ids FROM cycle_facts c WHERE c.cycle_id = {f}.cycle_id)
       && {focus}), false)"""


PLACE_TIME = f"UPDATE time_facts f SET (region_id, aligned) = ({_time_placement('f')}) WHERE "

# A new fact is stored placed, so the rollup trigger counts it once rather than unplaced
# and then moved.
INSERT_TIME = f"""
INSERT INTO time_facts (entry_id, coach_id, school_id, worked_on, minutes, category_id,
    category_kind, cycle_id, focus_area_id, region_id, aligned)
SELECT v.*, {_time_placement('v')}
FROM (VALUES (%(entry_id)s::uuid, %(coach_id)s::uuid, %(school_id)s::uuid,
    %(worked_on)s::date, %(minutes)s::integer, %(category_id)s::text,
    %(category_kind)s::text, %(cycle_id)s::uuid, %(focus_area_id)s::text))
  AS v (entry_id, coach_id, school_id, worked_on, minutes, category_id, category_kind,
        cycle_id, focus_area_id)"""

# INSERT_TIME for many facts (``execute_values``).
TIME_VALUES = ("(%s::uuid, %s::uuid, %s::uuid, %s::date, %s::integer, %s::text, %s::text,"
               " %s::uuid, %s::text)")
INSERT_TIMES = f"""
INSERT INTO time_facts (entry_id, coach_id, school_id, worked_on, minutes, category_id,
    category_kind, cycle_id, focus_area_id, region_id, aligned)
SELECT v.*, {_time_placement('v')}
FROM (VALUES %s)
  AS v (entry_id, coach_id, school_id, worked_on, minutes, category_id, category_kind,
        cycle_id, focus_area_id)"""

PLACE_CYCLES = f"""
UPDATE cycle_facts c SET
  region_id = {sql.region_on('c.school_id', 'c.started_on')},
  aligned = COALESCE(c.focus_area_ids
    && {sql.focus_in_force('c.coach_id', 'c.school_id', 'c.started_on')}, false)
WHERE """


def place(cursor: Cursor, where: str, entity_id: str, school_id: str | None = None) -> None:
    month, day = periods.school_year_start()
    params = {"id": entity_id, "school": school_id, "sm": month, "sd": day}
    cursor.execute(PLACE_CYCLES + where.replace("f.", "c."), params)
    cursor.execute(PLACE_TIME + where, params)


def _events_of(cursor: Cursor, key: str) -> list[tuple[str, dict[str, Any]]]:
    cursor.execute(
        "SELECT event_type, payload FROM received_events WHERE entity_key = %s"
        " ORDER BY position",
        (key,),
    )
    return [(event_type, payload) for event_type, payload in cursor.fetchall()]


def refold(cursor: Cursor, key: str, placing: bool = True) -> None:
    """Fold the entity's events into its fact. Without ``placing``, the facts it moves are
    left for the caller to place (a replay places every fact once, at the end)."""
    kind, _, entity_id = key.partition(":")
    events = _events_of(cursor, key)
    if kind == "entry_id":
        _store_time_fact(cursor, entity_id, facts.fold_time_entry(events))
    elif kind == "cycle_id":
        _store_cycle_fact(cursor, entity_id, facts.fold_cycle(entity_id, events), placing)
    else:
        _store_agreement(cursor, entity_id, *facts.fold_agreement(events), placing=placing)


def _store_time_fact(cursor: Cursor, entry_id: str, fact: facts.TimeFact | None) -> None:
    cursor.execute("DELETE FROM time_facts WHERE entry_id = %s", (entry_id,))
    if fact is not None:
        month, day = periods.school_year_start()
        cursor.execute(INSERT_TIME, {**dataclasses.asdict(fact), "sm": month, "sd": day})


def _store_cycle_fact(cursor: Cursor, cycle_id: str, fact: facts.CycleFact | None,
                      placing: bool = True) -> None:
    cursor.execute("DELETE FROM cycle_facts WHERE cycle_id = %s", (cycle_id,))
    if fact is not None:
        cursor.execute(
            "INSERT INTO cycle_facts (cycle_id, coach_id, school_id, status, phase,"
            " focus_area_ids, teacher_ids, started_on, closed_on, outcome,"
            " next_steps_complete, next_steps_total)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s, %s, %s)",
            (fact.cycle_id, fact.coach_id, fact.school_id, fact.status, fact.phase,
             list(fact.focus_area_ids), list(fact.teacher_ids), fact.started_on,
             fact.closed_on, fact.outcome, fact.next_steps_complete, fact.next_steps_total),
        )
    if not placing:
        return
    month, day = periods.school_year_start()
    params = {"id": cycle_id, "sm": month, "sd": day}
    cursor.execute(PLACE_CYCLES + "c.cycle_id = %(id)s", params)
    cursor.execute(PLACE_TIME + "f.cycle_id = %(id)s", params)


def _store_agreement(cursor: Cursor, agreement_id: str,
                     versions: dict[int, facts.AgreementVersion],
                     check_ins: list[facts.CheckIn], placing: bool = True) -> None:
    cursor.execute("DELETE FROM agreement_versions WHERE agreement_id = %s", (agreement_id,))
    cursor.execute("DELETE FROM check_ins WHERE agreement_id = %s", (agreement_id,))
    for v in versions.values():
        cursor.execute(
            "INSERT INTO agreement_versions (agreement_id, version, coach_id, school_id,"
            " school_year, focus_area_ids, check_in_every_weeks, in_force, effective_on)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (v.agreement_id, v.version, v.coach_id, v.school_id, v.school_year,
             list(v.focus_area_ids), v.check_in_every_weeks, v.in_force, v.effective_on),
        )
    for c in check_ins:
        cursor.execute(
            "INSERT INTO check_ins (agreement_id, held_on, next_due_on) VALUES (%s, %s, %s)",
            (c.agreement_id, c.held_on, c.next_due_on),
        )
    for pair in {(v.coach_id, v.school_id) for v in versions.values()} if placing else ():
        place(cursor, "f.coach_id = %(id)s AND f.school_id = %(school)s", *pair)


# Roster and categories: rows keyed by the event's position, so a redelivery is a no-op
# and arrival order does not matter (the latest by effective_on, then position, holds).


def _label(kind: str, field: str) -> Callable[[Cursor, dict[str, Any], int], None]:
    def apply(cursor: Cursor, p: dict[str, Any], position: int) -> None:
        cursor.execute(
            "INSERT INTO labels (unit_id, kind, label, position) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (unit_id) DO UPDATE SET label = EXCLUDED.label,"
            " position = EXCLUDED.position WHERE labels.position < EXCLUDED.position",
            (p[field], kind, p["label"], position),
        )
    return apply


def _dated(table: str, columns: tuple[str, ...],
           extra: dict[str, Any] | None = None) -> Callable[[Cursor, dict[str, Any], int], None]:
    extra = extra or {}
    names = (*columns, *extra, "effective_on", "position")

    def apply(cursor: Cursor, p: dict[str, Any], position: int) -> None:
        values = (*(p[c] for c in columns), *extra.values(), p["effective_on"], position)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES"
            f" ({', '.join(['%s'] * len(names))}) ON CONFLICT DO NOTHING",
            values,
        )
    return apply


def _category(cursor: Cursor, p: dict[str, Any], position: int) -> None:
    cursor.execute(
        "INSERT INTO categories (category_id, label, kind, retired, position)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (category_id) DO UPDATE SET"
        " label = CASE WHEN categories.position < EXCLUDED.position AND EXCLUDED.label"
        "   IS NOT NULL THEN EXCLUDED.label ELSE COALESCE(categories.label, EXCLUDED.label) END,"
        " kind = COALESCE(categories.kind, EXCLUDED.kind),"
        " retired = categories.retired OR EXCLUDED.retired,"
        " position = GREATEST(categories.position, EXCLUDED.position)",
        (p["category_id"], p.get("label"), p.get("kind"), "label" not in p, position),
    )


def _ignore(cursor: Cursor, p: dict[str, Any], position: int) -> None:
    """Received (so no gap is seen in the source's positions) but not projected: reports
    count teachers through cycles, and a district leader's scope is the whole district."""


ROSTER: dict[str, Callable[[Cursor, dict[str, Any], int], None]] = {
    "RegionDefined": _label("region", "region_id"),
    "SchoolDefined": _label("school", "school_id"),
    "SchoolAssignedToRegion": _dated("school_regions", ("school_id", "region_id")),
    "CoachAssignedToSchool": _dated("coach_schools", ("coach_id", "school_id"),
                                    {"assigned": True}),
    "CoachUnassignedFromSchool": _dated("coach_schools", ("coach_id", "school_id"),
                                        {"assigned": False}),
    "TeacherAssignedToSchool": _ignore,
    "TeacherUnassignedFromSchool": _ignore,
    "DistrictLeaderAppointed": _ignore,
    "DistrictLeaderLeft": _ignore,
    "PersonForgotten": _ignore,  # read models hold no names: nothing to erase here
    "PrincipalChanged": _dated("principals", ("school_id", "principal_id")),
    "CltRepresentativeChanged": _dated("representatives", ("region_id", "representative_id")),
    "CategoryAdded": _category,
    "CategoryRenamed": _category,
    "CategoryRetired": _category,
}


# Replaying: as-of reports and rebuilds -------------------------------------------------


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
    ignored = [event_type for event_type, apply in ROSTER.items() if apply is _ignore]
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
TABLES = ("processed_events", "received_events", "gap_marks", *DERIVED)



def create_shadow(cursor: Cursor) -> datetime:
    """An empty copy of every table (and the rollup trigger) in the shadow schema; the
    caller's transaction then works in it (``SET LOCAL search_path``). Returns when the
    rebuild began: an event the rebuild does not fetch from its source was published after
    that, so the live tables claim it later than that."""
    cursor.execute(f"DROP SCHEMA IF EXISTS {SHADOW} CASCADE")
    cursor.execute(f"CREATE SCHEMA {SHADOW}")
    use_shadow(cursor)
    cursor.execute(SCHEMA)
    cursor.execute("SELECT now()")
    began: datetime = cursor.fetchone()[0]
    return began


def use_shadow(cursor: Cursor) -> None:
    cursor.execute(f"SET LOCAL search_path TO {SHADOW}")


def keep(cursor: Cursor, events: list[Envelope]) -> None:
    """Keep ``events`` and claim them, deriving nothing yet: a rebuild derives every table
    in one pass at the end (``replay``), folding each entity once."""
    _keep_received(cursor, events)
    execute_values(
        cursor, "INSERT INTO processed_events (source, position, event_id) VALUES %s"
        " ON CONFLICT DO NOTHING",
        [(e.source, e.position, str(e.event_id)) for e in events], page_size=1000,
    )


def _keep_received(cursor: Cursor, events: list[Envelope],
                   ) -> list[tuple[Envelope, dict[str, Any], str | None]]:
    """Insert ``events`` into received_events; each with its JSON payload and entity."""
    rows, kept = [], []
    for event in events:
        payload = encode(event)["payload"]
        kept.append((event, payload, entity_key(event.event_type, payload)))
        rows.append((event.source, event.position, event.previous_position,
                     str(event.stream_id), event.stream_position, event.event_type,
                     entity_key(event.event_type, payload), event.recorded_at,
                     event.occurred_at, json.dumps(payload)))
    execute_values(
        cursor,
        "INSERT INTO received_events (source, position, previous_position, stream_id,"
        " stream_position, event_type, entity_key, recorded_at, occurred_at, payload)"
        " VALUES %s ON CONFLICT DO NOTHING", rows, page_size=1000,
    )
    return kept


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
        " ON CONFLICT DO NOTHING RETURNING event_type, payload, position, entity_key",
        (began,),
    )
    late = cursor.fetchall()
    for event_type, payload, position, key in sorted(late, key=lambda r: r[2]):
        derive(cursor, event_type, payload, position, key)
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
    return sorted(found, key=lambda gap: (gap["source"], gap["position"]))


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


def received(cursor: Cursor, source: str, positions: list[int]) -> set[int]:
    """Which of ``positions`` of ``source`` are already here, or parked (not to be fetched
    again: replayed once the reason it failed is fixed)."""
    cursor.execute(
        "SELECT position FROM received_events WHERE source = %(s)s AND position = ANY(%(p)s)"
        " UNION SELECT position FROM parked_events WHERE source = %(s)s"
        " AND position = ANY(%(p)s)", {"s": source, "p": positions},
    )
    return {int(p) for (p,) in cursor.fetchall()}


class Progress:
    """Prints how far a rebuild is and how fast it goes."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.started = time.monotonic()
        self.write = write

    def __call__(self, done: int, total: int) -> None:
        seconds = max(time.monotonic() - self.started, 1e-6)
        self.write(f"rebuilt {done}/{total} events ({done / seconds:.0f} events/s)")

