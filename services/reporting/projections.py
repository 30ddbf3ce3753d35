"""The facts reporting keeps, derived from the received events: one way for every event,
whether it arrives alone, in a batch or caught up by a rebuild (``derive``).

Every consumed event is kept, once, in ``received_events`` (``services.reporting.received``),
in the same transaction as its claim in ``processed_events`` and as the update of the fact
it touches. A fact (a time entry, a cycle, an agreement) is then recomputed from all the
received events of its entity (sorted by the source's position) by the pure folds of
``services.reporting.facts``, under one writer lock held to commit; roster facts are
effective-dated rows, one per event. Each fact stores where it belongs (the region of its
school on its date, whether it served the agreement in force), re-placed when a roster,
agreement or cycle change moves it, and a trigger keeps the time rollups that reports read
(``services.reporting.rollups``). So ten workers handling events in any order,
redeliveries and replays all leave the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg2.extensions import cursor as Cursor

from coachops.contracts import Envelope
from coachops.privacy import ERASED
from services.reporting import facts, periods, received, schema, sql


def receive(cursor: Cursor, event: Envelope) -> None:
    """Keep ``event`` and update what it changes: ``receive_all`` of one event. Runs after
    the event's claim, in the same transaction (``apply_once``)."""
    receive_all(cursor, [event])


def receive_all(cursor: Cursor, events: list[Envelope]) -> None:
    """Keep ``events`` (in one statement) and update what they change (``derive``), in one
    transaction after the events' claims."""
    kept = received.keep_received(cursor, events)
    derive(cursor, [(e.source, e.position, e.event_type, payload, key)
                    for e, payload, key in kept])


# Roster rows first, then the facts that are placed by them: agreements, cycles, entries
# (an entry is then stored placed once, rather than placed again by a later refold).
REFOLD_ORDER = {"agreement_id": 0, "cycle_id": 1, "entry_id": 2}
Kept = tuple[str, int, str, dict[str, Any], "str | None"]  # source, position, type, payload, key


def derive(cursor: Cursor, kept: list[Kept]) -> None:
    """Update what the kept events change, the one way every event is derived (as it
    arrives, in batches, or caught up by a rebuild): take the writer lock once, apply
    roster rows in the source's order and refold each entity the events touch once.
    Handling tolerates any order, so the result is what deriving the events one by one
    in any order leaves."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (schema.WRITER_LOCK,))
    schema.read_model_changed(cursor)
    keys: set[str] = set()
    for _source, position, event_type, payload, key in sorted(kept, key=lambda k: k[:2]):
        if key is not None:
            keys.add(key)
            continue
        ROSTER[event_type](cursor, payload, position)
        if event_type == "SchoolAssignedToRegion":
            place(cursor, school_id=payload["school_id"])
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
    _insert_time_facts(cursor, [fact for fact in map(facts.fold_time_entry, events.values())
                                if fact is not None])


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

# New facts are stored placed, so the rollup trigger counts each once rather than unplaced
# and then moved. One statement for any number of facts: a column's values as one array.
TIME_TYPES = {"entry_id": "uuid", "coach_id": "uuid", "school_id": "uuid", "worked_on": "date",
              "minutes": "integer", "category_id": "text", "category_kind": "text",
              "cycle_id": "uuid", "focus_area_id": "text"}  # facts.TimeFact's fields
TIME_COLUMNS = tuple(TIME_TYPES)
INSERT_TIMES = f"""
INSERT INTO time_facts ({", ".join(TIME_COLUMNS)}, region_id, aligned)
SELECT v.*, {_time_placement('v')}
FROM unnest({", ".join(f"%({c})s::{t}[]" for c, t in TIME_TYPES.items())})
  AS v ({", ".join(TIME_COLUMNS)})"""


def _insert_time_facts(cursor: Cursor, folded: list[facts.TimeFact]) -> None:
    if not folded:
        return
    month, day = periods.school_year_start()
    columns = {c: [getattr(fact, c) for fact in folded] for c in TIME_COLUMNS}
    cursor.execute(INSERT_TIMES, {**columns, "sm": month, "sd": day})


PLACE_CYCLES = f"""
UPDATE cycle_facts c SET
  region_id = {sql.region_on('c.school_id', 'c.started_on')},
  aligned = COALESCE(c.focus_area_ids
    && {sql.focus_in_force('c.coach_id', 'c.school_id', 'c.started_on')}, false)
WHERE """


def place(cursor: Cursor, **match: str) -> None:
    """Place again the cycles and time facts of a school, or of a coach at a school
    (``match``: their ``school_id``, and ``coach_id``)."""
    month, day = periods.school_year_start()
    params = {**match, "sm": month, "sd": day}
    for statement, alias in ((PLACE_CYCLES, "c"), (PLACE_TIME, "f")):
        where = " AND ".join(f"{alias}.{column} = %({column})s" for column in sorted(match))
        cursor.execute(statement + where, params)


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
    _insert_time_facts(cursor, [fact] if fact is not None else [])


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
        place(cursor, coach_id=pair[0], school_id=pair[1])


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


# A forgotten person's name is erased from the read model and from the events kept, and a
# name that arrives after (a redelivery, a gap fetched late) is erased as it is kept.
FORGOTTEN = ("EXISTS (SELECT 1 FROM received_events f WHERE f.event_type = 'PersonForgotten'"
             " AND f.payload->>'person_id' = %(person)s)")


def _staff_name(cursor: Cursor, p: dict[str, Any], position: int) -> None:
    if p["name"] != ERASED:
        cursor.execute(
            "INSERT INTO staff_names (person_id, name, position) VALUES (%s, %s, %s)"
            " ON CONFLICT (person_id) DO UPDATE SET name = EXCLUDED.name,"
            " position = EXCLUDED.position WHERE staff_names.position < EXCLUDED.position",
            (p["person_id"], p["name"], position),
        )
    _erase_if_forgotten(cursor, p, position)


def _erase_if_forgotten(cursor: Cursor, p: dict[str, Any], position: int) -> None:
    person = {"person": str(p["person_id"]), "erased": ERASED}
    cursor.execute(f"DELETE FROM staff_names WHERE person_id = %(person)s::uuid AND {FORGOTTEN}",
                   person)
    cursor.execute(
        "UPDATE received_events SET payload = payload || jsonb_build_object('name', %(erased)s)"
        " WHERE event_type = 'StaffMemberNamed' AND payload->>'person_id' = %(person)s"
        f" AND payload->>'name' <> %(erased)s AND {FORGOTTEN}", person)


def ignore(cursor: Cursor, p: dict[str, Any], position: int) -> None:
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
    "TeacherAssignedToSchool": ignore,
    "TeacherUnassignedFromSchool": ignore,
    "DistrictLeaderAppointed": ignore,
    "DistrictLeaderLeft": ignore,
    "StaffMemberNamed": _staff_name,
    "PersonForgotten": _erase_if_forgotten,
    "PrincipalChanged": _dated("principals", ("school_id", "principal_id")),
    "CltRepresentativeChanged": _dated("representatives", ("region_id", "representative_id")),
    "CategoryAdded": _category,
    "CategoryRenamed": _category,
    "CategoryRetired": _category,
}
