"""The report queries: SQL over the read models, assembled into rows.

Every view answers for a date range and a scope (the district, a region, a school or a
coach) and returns flat rows ``{"level", "key", ...}``, one per district / region /
school / coach / coach-school pair / month cell, so JSON and CSV say the same thing.

A cycle cell that would describe fewer teachers than the suppression threshold, or whose
numbers would let one be worked out by subtraction, says ``"suppressed": true`` and carries
no numbers (``services.reporting.suppression``: which cells, and why).

Where a fact belongs is decided on its own date: an entry's region is the region its
school was in on the day worked; the agreement it is held to is the one in force for that
coach and school on that day (latest version signed by both, effective on or before it,
of that school year).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from psycopg2.extensions import cursor as Cursor

from coachops import settings
from services.reporting import periods, sql
from services.reporting.rollups import GRAINS
from services.reporting.suppression import ALL, SUPPRESSED, Pattern, lattice

Row = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    start: date
    end: date
    reference: date  # the day flags and "active now" are judged on
    region_id: UUID | None = None
    school_id: UUID | None = None
    coach_id: UUID | None = None
    threshold: int = 3
    # The coaching share a coach is judged against: the district's (COACHING_SHARE_TARGET)
    # unless the query names another.
    target_share: float = field(default_factory=lambda: settings.current().coaching_share_target)
    year_start_month: int = 8
    year_start_day: int = 1

    def params(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end, "ref": self.reference,
            "region": str(self.region_id) if self.region_id else None,
            "school": str(self.school_id) if self.school_id else None,
            "coach": str(self.coach_id) if self.coach_id else None,
            "sm": self.year_start_month, "sd": self.year_start_day,
            **periods.whole_months(self.start, self.end),
        }


SCOPES = {"region_id": "region", "school_id": "school", "coach_id": "coach"}


def scope_filter(columns: tuple[str, ...] = tuple(SCOPES)) -> str:
    """The scope's condition on ``columns`` (the ones a row source has)."""
    return " AND ".join(f"(%({SCOPES[c]})s::uuid IS NULL OR {c} = %({SCOPES[c]})s::uuid)"
                        for c in columns)


SCOPE_FILTER = scope_filter()

# Each level: the columns it groups by and its key.
LEVELS: dict[str, tuple[tuple[str, ...], str]] = {
    "district": ((), "'district'"),
    "region": (("region_id",), "COALESCE(region_id::text, 'unassigned')"),
    "school": (("school_id",), "school_id::text"),
    "coach": (("coach_id",), "coach_id::text"),
    "coach_school": (("coach_id", "school_id"), "coach_id::text || '/' || school_id::text"),
    "month": (("month",), "to_char(month, 'YYYY-MM')"),
}


def _by_levels(levels: tuple[str, ...], source: str, aggregates: str,
               extra: tuple[str, ...] = (), having: str = "HAVING count(*) > 0") -> str:
    """Rows (level, key, *extra, *aggregates) of each level over ``source``, in one pass
    (grouping sets) rather than one scan of it per level. ``having`` keeps the district's
    empty grouping set from making a row out of no rows."""
    grouped = [c for c in ("region_id", "school_id", "coach_id", "month")
               if any(c in LEVELS[level][0] for level in levels)]

    def ungrouped(level: str) -> int:  # GROUPING() of ``grouped``: 1 bits = not grouped
        return sum(1 << (len(grouped) - 1 - n) for n, c in enumerate(grouped)
                   if c not in LEVELS[level][0])

    which = f"GROUPING({', '.join(grouped)})" if grouped else "0"
    level_sql = " ".join(f"WHEN {ungrouped(level)} THEN '{level}'" for level in levels)
    key_sql = " ".join(f"WHEN {ungrouped(level)} THEN {LEVELS[level][1]}" for level in levels)
    sets = ", ".join(f"({', '.join(LEVELS[level][0])})" for level in levels)
    extra_sql = "".join(f", {e}" for e in extra)
    return (f"SELECT CASE {which} {level_sql} END AS level, CASE {which} {key_sql} END AS key"
            f"{extra_sql}, {aggregates} FROM {source}"
            f" GROUP BY {''.join(f'{e}, ' for e in extra)}GROUPING SETS ({sets}) {having}")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# Suppression --------------------------------------------------------------------------------


def where(scope: Scope, level: str, key: str) -> dict[str, str]:
    """The cycles a row of ``level`` and ``key`` counts in ``scope``: its region, school,
    coach and month, as far as they are fixed."""
    fixed = {name: str(value) for name, value in (
        ("region", scope.region_id), ("school", scope.school_id), ("coach", scope.coach_id))
        if value is not None}
    if level == "coach_school":
        fixed["coach"], fixed["school"] = key.split("/")
    elif level in ("region", "school", "coach", "month"):
        fixed[level] = key
    return fixed


def district_pattern(cursor: Cursor, scope: Scope, cycles: str, start: date, end: date,
                     months: bool = False, depth: int = 3) -> Pattern:
    """The suppressed cells of the whole district's table of ``cycles`` from ``start`` to
    ``end`` (down to ``depth``: 3, coach-school pairs; 2, schools), whoever asks and
    whatever the scope, so that no report undoes another."""
    district = replace(scope, start=start, end=end, region_id=None, school_id=None,
                       coach_id=None)
    columns: tuple[str, ...] = (ALL,)
    if (start, end) != (scope.start, scope.end):
        columns = tuple(sorted({(scope.start + timedelta(days=n)).strftime("%Y-%m")
                                for n in range((scope.end - scope.start).days + 1)}))
    return Pattern.of(lattice(cursor, cycles, district.params(), months, depth),
                      scope.threshold, columns, depth)


def alignment_pattern(cursor: Cursor, scope: Scope) -> Pattern:
    """Plan alignment counts a cycle in the month it started: a report of whole months of
    one school year is cut from that school year's pattern, so a month asked alone and
    the same month in its year are the same cell, suppressed alike."""
    first, last = periods.school_year_range(
        periods.school_year_of(scope.start, scope.year_start_month, scope.year_start_day),
        scope.year_start_month, scope.year_start_day)
    whole = ((scope.start.day == 1 or scope.start == first)
             and ((scope.end + timedelta(days=1)).day == 1 or scope.end == last))
    start, end = (first, last) if whole and scope.end <= last else (scope.start, scope.end)
    return district_pattern(cursor, scope, ALIGNED_CYCLES, start, end, months=True)


# Time use -----------------------------------------------------------------------------------

# Time rows of the range in scope, at one grain of the rollups (rollups.GRAINS): whole
# months from its monthly table; the partial months at either end from its daily table,
# the days in the range added or, when those are more than half the month, the month's
# row added and the days outside the range taken off (``periods.whole_months``), so at
# most half a month of day rows per group each. The rows taken off make some groups net
# to nothing (no minutes in the range): the views drop those (minutes are positive, so a
# cell nets to zero only when no entry of it is in range). One group's minutes of a month
# fit an integer, and summing integers (into a bigint) is twice as fast as summing the
# bigint columns (into a numeric).
TIME_ROWS = """
SELECT {columns}, month, category_id, category_kind, minutes::integer,
       aligned_minutes::integer
FROM {grain}_month WHERE month BETWEEN %(first_month)s AND %(last_month)s AND {scope}
""" + "".join(f"""UNION ALL
SELECT {{columns}}, date_trunc('month', day)::date, category_id, category_kind,
       {sign}minutes::integer, {sign}aligned_minutes::integer
FROM {{grain}}_day WHERE day BETWEEN %({span}_from)s AND %({span}_to)s AND {{scope}}
""" for span, sign in (("plus1", ""), ("plus2", ""), ("minus1", "-"), ("minus2", "-")))


def time_rows(grain: str, coaching_only: bool = False) -> str:
    columns = ", ".join(c if c in GRAINS[grain] else f"NULL::uuid AS {c}"
                        for c in ("coach_id", "school_id", "region_id"))
    scope = scope_filter(GRAINS[grain])
    if coaching_only:
        scope = f"category_kind = 'coaching' AND {scope}"
    return TIME_ROWS.format(grain=grain, columns=columns, scope=scope)


def _by_grain(levels: tuple[str, ...], scope: Scope) -> dict[str, tuple[str, ...]]:
    """The levels each grain of the rollups answers: the coarsest that has what a level
    groups by and the scope filters on."""
    by_grain: dict[str, tuple[str, ...]] = {}
    for level in levels:
        wanted = {*LEVELS[level][0], *(["coach_id"] if scope.coach_id else []),
                  *(["school_id"] if scope.school_id else [])} - {"month"}
        grain = next(g for g in reversed(GRAINS) if wanted <= set(GRAINS[g]))
        by_grain[grain] = (*by_grain.get(grain, ()), level)
    return by_grain


IN_RANGE = "HAVING sum(minutes) <> 0"


TIME_LEVELS = ("district", "region", "school", "coach", "month")


# Each cell of time use in one row: its per-category sums (a grain's rows, ``_by_levels``)
# folded in SQL, so a district's thousand coaches come back as a thousand rows rather than
# eight thousand to fold here. Unordered arrays (sorted here, a few categories each) let
# PostgreSQL hash the cells rather than sort eight thousand rows.
TIME_CELLS = """
SELECT level, key, sum(minutes)::bigint,
       COALESCE(sum(minutes) FILTER (WHERE category_kind = 'coaching'), 0)::bigint,
       array_agg(category_id), array_agg(minutes)
FROM ({by_category}) c (level, key, category_id, category_kind, minutes)
GROUP BY level, key"""


def time_use(cursor: Cursor, scope: Scope, levels: tuple[str, ...] = TIME_LEVELS) -> list[Row]:
    cursor.execute(
        TIME_CELLS.format(by_category=" UNION ALL ".join(
            _by_levels(grain_levels, f"({time_rows(grain)}) t", "sum(minutes)::bigint",
                       ("category_id", "category_kind"), IN_RANGE)
            for grain, grain_levels in _by_grain(levels, scope).items())),
        scope.params(),
    )
    rows = []
    for level, key, total, coaching, categories, minutes in sorted(cursor.fetchall(),
                                                                 key=_cell_order):
        share = _share(coaching, total)
        row: Row = {"level": level, "key": key, "minutes": total,
                    "coaching_minutes": coaching, "coaching_share": share,
                    "minutes_by_category": dict(sorted(zip(categories, minutes,
                                                           strict=True)))}
        if level == "coach":
            row["below_target"] = share is not None and share < scope.target_share
        rows.append(row)
    return rows


LEVEL_ORDER = ("district", "region", "school", "coach_school", "coach", "month")


def _order(item: tuple[tuple[str, str], Any]) -> tuple[int, str]:
    (level, key), _ = item
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 99, key


def _cell_order(row: tuple[Any, ...]) -> tuple[int, str]:
    """``_order`` of a row that starts with its level and key."""
    return _order(((row[0], row[1]), None))


# Plan alignment ---------------------------------------------------------------------------


ALIGNED_CYCLES = """
SELECT c.cycle_id, c.coach_id, c.school_id, c.teacher_ids,
       date_trunc('month', c.started_on)::date AS month, c.region_id, c.aligned
FROM cycle_facts c
WHERE c.started_on BETWEEN %(start)s AND %(end)s AND c.status IN ('active', 'closed')"""

ALIGNMENT_LEVELS = ("district", "region", "school", "coach_school", "month")


def plan_alignment(cursor: Cursor, scope: Scope, levels: tuple[str, ...] = ALIGNMENT_LEVELS,
                   flags: bool = True) -> list[Row]:
    params = scope.params()
    cursor.execute(
        " UNION ALL ".join(
            _by_levels(grain_levels, f"({time_rows(grain, coaching_only=True)}) t",
                       "sum(minutes)::bigint, sum(aligned_minutes)::bigint", having=IN_RANGE)
            for grain, grain_levels in _by_grain(levels, scope).items()),
        params,
    )
    cells: dict[tuple[str, str], Row] = defaultdict(dict)
    for level, key, minutes, aligned in cursor.fetchall():
        cells[(level, key)].update(coaching_minutes=int(minutes),
                                   aligned_minutes=int(aligned or 0))
    cursor.execute(
        f"WITH c AS (SELECT * FROM ({ALIGNED_CYCLES}) r WHERE {SCOPE_FILTER}),"
        " u AS (SELECT c.*, unnest(c.teacher_ids) AS teacher_id FROM c) "
        + _by_levels(levels, "u",
                     "count(DISTINCT cycle_id), count(DISTINCT cycle_id) FILTER (WHERE aligned),"
                     " count(DISTINCT teacher_id)"),
        params,
    )
    for level, key, cycles, aligned, teachers in cursor.fetchall():
        cells[(level, key)].update(cycles=cycles, aligned_cycles=aligned, teachers=teachers)
    pattern = alignment_pattern(cursor, scope)
    rows = []
    for (level, key), cell in sorted(cells.items(), key=_order):
        row: Row = {"level": level, "key": key,
                    "coaching_minutes": cell.get("coaching_minutes", 0),
                    "aligned_minutes": cell.get("aligned_minutes", 0)}
        row["aligned_time_share"] = _share(row["aligned_minutes"], row["coaching_minutes"])
        if cell.get("cycles") and pattern.hides(where(scope, level, key), cell["teachers"]):
            for name in ("cycles", "aligned_cycles", "aligned_cycle_share"):
                row[name] = SUPPRESSED
        else:
            row["cycles"] = cell.get("cycles", 0)
            row["aligned_cycles"] = cell.get("aligned_cycles", 0)
            row["aligned_cycle_share"] = _share(row["aligned_cycles"], row["cycles"])
        rows.append(row)
    return rows + (alignment_flags(cursor, scope) if flags else [])


ASSIGNED_ON_REF = f"""
SELECT DISTINCT ON (cs.coach_id, cs.school_id) cs.coach_id, cs.school_id, cs.assigned,
       {sql.region_on('cs.school_id', '%(ref)s::date')} AS region_id
FROM coach_schools cs WHERE cs.effective_on <= %(ref)s
ORDER BY cs.coach_id, cs.school_id, cs.effective_on DESC, cs.position DESC"""

IN_FORCE_ON_REF = f"""
SELECT DISTINCT ON (av.coach_id, av.school_id) av.*,
       {sql.region_on('av.school_id', '%(ref)s::date')} AS region_id
FROM agreement_versions av
WHERE av.in_force AND av.effective_on <= %(ref)s
  AND av.school_year = {sql.school_year('%(ref)s::date')}
ORDER BY av.coach_id, av.school_id, av.effective_on DESC, av.version DESC"""


def alignment_flags(cursor: Cursor, scope: Scope) -> list[Row]:
    """Coach-school pairs assigned on the reference day with no agreement in force, and
    agreements in force whose next check-in was due before it."""
    params = scope.params()
    cursor.execute(
        f"SELECT a.school_id, a.coach_id FROM ({ASSIGNED_ON_REF}) a"
        f" WHERE a.assigned AND {SCOPE_FILTER}"
        f" AND NOT EXISTS (SELECT 1 FROM ({IN_FORCE_ON_REF}) f"
        "  WHERE f.coach_id = a.coach_id AND f.school_id = a.school_id)"
        " ORDER BY 1, 2",
        params,
    )
    rows: list[Row] = [
        {"level": "flag_no_agreement", "key": f"{coach}/{school}", "school_id": school,
         "coach_id": coach}
        for school, coach in cursor.fetchall()
    ]
    cursor.execute(
        f"SELECT * FROM (SELECT f.agreement_id, f.coach_id, f.school_id, f.region_id,"
        " COALESCE((SELECT max(ci.next_due_on) FROM check_ins ci"
        "   WHERE ci.agreement_id = f.agreement_id AND ci.held_on <= %(ref)s),"
        "  f.effective_on + 7 * f.check_in_every_weeks) AS due_on"
        f" FROM ({IN_FORCE_ON_REF}) f) d WHERE d.due_on < %(ref)s AND {SCOPE_FILTER}"
        " ORDER BY d.due_on, d.agreement_id",
        params,
    )
    rows += [
        {"level": "flag_check_in_overdue", "key": str(agreement), "agreement_id": agreement,
         "coach_id": coach, "school_id": school, "due_on": due.isoformat()}
        for agreement, coach, school, _region, due in cursor.fetchall()
    ]
    return rows


# Cycle activity -----------------------------------------------------------------------------

CYCLES_IN_RANGE = """
SELECT c.* FROM cycle_facts c
WHERE c.status IN ('active', 'closed') AND c.started_on <= %(end)s
  AND (c.closed_on IS NULL OR c.closed_on >= %(start)s)"""

CYCLE_LEVELS = ("district", "region", "school")


def cycle_activity(cursor: Cursor, scope: Scope,
                   levels: tuple[str, ...] = CYCLE_LEVELS) -> list[Row]:
    params = scope.params()
    cursor.execute(
        f"WITH c AS (SELECT * FROM ({CYCLES_IN_RANGE}) r WHERE {SCOPE_FILTER}) "
        + _by_levels(
            levels, "c",
            "count(*) FILTER (WHERE started_on >= %(start)s),"
            " count(*) FILTER (WHERE status = 'closed' AND closed_on <= %(end)s),"
            " sum(next_steps_complete)::bigint, sum(next_steps_total)::bigint",
        ),
        params,
    )
    cells: dict[tuple[str, str], Row] = {}
    for level, key, started, closed, complete, total in cursor.fetchall():
        cells[(level, key)] = {"started": started, "closed": closed,
                               "next_steps_complete": int(complete),
                               "next_steps_total": int(total),
                               "active_by_phase": {}, "closed_by_outcome": {}}
    # Active cycles by phase, closed ones by outcome: one count by levels each.
    for which, by, into in (("status = 'active'", "phase", "active_by_phase"),
                            ("status = 'closed' AND closed_on <= %(end)s", "outcome",
                             "closed_by_outcome")):
        cursor.execute(
            f"WITH c AS (SELECT * FROM ({CYCLES_IN_RANGE}) r WHERE {SCOPE_FILTER}"
            f"  AND {which}) " + _by_levels(levels, "c", "count(*)", (by,)),
            params,
        )
        for level, key, value, count in cursor.fetchall():
            cells[(level, key)][into][value] = count
    cursor.execute(
        f"WITH c AS (SELECT * FROM ({CYCLES_IN_RANGE}) r WHERE {SCOPE_FILTER}),"
        " u AS (SELECT c.*, unnest(c.teacher_ids) AS teacher_id FROM c) "
        + _by_levels(levels, "u", "count(DISTINCT teacher_id)"),
        params,
    )
    teachers = {(level, key): count for level, key, count in cursor.fetchall()}
    # Cycle activity shows no coach-school pairs: its table ends at schools (a coach's
    # cycle activity, finer than that, is suppressed whole).
    pattern = district_pattern(cursor, scope, CYCLES_IN_RANGE, scope.start, scope.end,
                               depth=2)
    rows = []
    for (level, key), cell in sorted(cells.items(), key=_order):
        coached = teachers.get((level, key), 0)
        if pattern.hides(where(scope, level, key), coached):
            rows.append({"level": level, "key": key, **SUPPRESSED})
            continue
        rows.append({
            "level": level, "key": key, "teachers_coached": coached,
            "started": cell["started"], "closed": cell["closed"],
            "active_by_phase": dict(sorted(cell["active_by_phase"].items())),
            "closed_by_outcome": dict(sorted(cell["closed_by_outcome"].items())),
            "next_step_completion": _share(cell["next_steps_complete"],
                                           cell["next_steps_total"]),
            "next_steps_complete": cell["next_steps_complete"],
            "next_steps_total": cell["next_steps_total"],
        })
    return rows


def active_cycles(cursor: Cursor, scope: Scope) -> int | dict[str, bool]:
    """The cycles active on the reference day at the scope's school, suppressed as the
    school's cell of that day's cycle activity is (cycles withdrawn from reporting are in
    no read model)."""
    day = replace(scope, start=scope.reference, end=scope.reference)
    for row in cycle_activity(cursor, day, ("school",)):
        if row.get("suppressed"):
            return SUPPRESSED
        return int(sum(row["active_by_phase"].values()))
    return 0


# Who may see what ---------------------------------------------------------------------------


# The reports the service answers, each a function of the cursor and the scope.
REPORTS: dict[str, Callable[[Cursor, Scope], list[Row]]] = {
    "time_use": time_use,
    "plan_alignment": plan_alignment,
    "cycle_activity": cycle_activity,
}
# The council shows the district and its regions only: no query computes the finer levels
# (every school and coach of the district) for it.
COUNCIL = ("district", "region")
COUNCIL_REPORTS: dict[str, Callable[[Cursor, Scope], list[Row]]] = {
    "time_use": lambda cursor, scope: time_use(cursor, scope, COUNCIL),
    "plan_alignment": lambda cursor, scope: plan_alignment(cursor, scope, COUNCIL,
                                                           flags=False),
    "cycle_activity": lambda cursor, scope: cycle_activity(cursor, scope, COUNCIL),
}
REPORT_NAMES = (*REPORTS, "council")


def report_rows(cursor: Cursor, view: str, scope: Scope) -> list[Row]:
    """The rows of report ``view``, named (``named``); the council's are every region side
    by side, each report's region row under its name."""
    return named(cursor, _rows(cursor, view, scope))


# Names -------------------------------------------------------------------------------------

# The id a row of each level is about, from its key: a coach-school pair is its coach's.
KEYED = {"region": "region_id", "school": "school_id", "coach": "coach_id",
         "coach_school": "coach_id"}
# A row's ids beside its key, and the names they gain.
NAMES_OF = {"school_id": "school_name", "region_id": "region_name"}


def _ids(row: Row) -> dict[str, str]:
    """The ids ``row`` names: by its key and by its columns."""
    ids = {column: str(row[column]) for column in ("coach_id", *NAMES_OF) if row.get(column)}
    if row["level"] == "coach_school":
        ids["coach_id"], ids["school_id"] = row["key"].split("/")
    elif row["level"] in KEYED and row["key"] != "unassigned":
        ids[KEYED[row["level"]]] = row["key"]
    return ids


def named(cursor: Cursor, rows: list[Row]) -> list[Row]:
    """``rows`` with the names of what they are about: ``name`` of the region, school or
    coach a row is keyed by (a flag's and a coach-school pair's: its coach's), and
    ``school_name`` and ``region_name`` beside a school's or region's id. A name reporting
    was not told (or a forgotten person's) is null; the ids stay."""
    wanted = sorted({i for row in rows for i in _ids(row).values()})
    cursor.execute(
        "SELECT unit_id::text, label FROM labels WHERE unit_id = ANY(%(ids)s::uuid[])"
        " UNION ALL SELECT person_id::text, name FROM staff_names"
        " WHERE person_id = ANY(%(ids)s::uuid[])", {"ids": wanted})
    names = dict(cursor.fetchall())
    for row in rows:
        ids = _ids(row)
        if row["level"] in KEYED or "coach_id" in row:
            row["name"] = names.get(ids.get(KEYED.get(row["level"], "coach_id"), ""))
        for column, name in NAMES_OF.items():
            if column in ids and (column in row or row["level"] == "coach_school"):
                row[name] = names.get(ids[column])
    return rows


def described(cursor: Cursor, scope: Scope) -> Row:
    """What a report of ``scope`` covers, as a row of its level (named): the district, or
    the region, school or coach it names."""
    level, key = next(((SCOPES[column], str(value)) for column in SCOPES
                       if (value := getattr(scope, column)) is not None),
                      ("district", "district"))
    if scope.coach_id and scope.school_id:
        level, key = "coach_school", f"{scope.coach_id}/{scope.school_id}"
    return named(cursor, [{"level": level, "key": key}])[0]


def _rows(cursor: Cursor, view: str, scope: Scope) -> list[Row]:
    if view != "council":
        return REPORTS[view](cursor, scope)
    side_by_side: dict[str, Row] = {}
    for name, compute in COUNCIL_REPORTS.items():
        for row in compute(cursor, scope):
            if row["level"] in ("region", "district"):
                cell = side_by_side.setdefault(
                    row["key"], {"level": row["level"], "key": row["key"]})
                cell[name] = {k: v for k, v in row.items() if k not in ("level", "key")}
    return sorted(side_by_side.values(), key=lambda r: (r["level"] != "district", r["key"]))
