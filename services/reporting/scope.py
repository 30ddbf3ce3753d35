"""Scope rules: which region, school or coach an actor may see a report of.

A district leader sees the district; a CLT representative their own region (and the
council); a principal their own school; a coach their own time. Who holds a region or a
school is read from the roster the read models keep, as in force today.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from psycopg2.extensions import cursor as Cursor

from coachops import clock
from coachops.errors import Forbidden
from coachops.identity import Actor, Role
from coachops.json import Json
from services.reporting import sql

COACH_VIEWS = ("time_use", "plan_alignment")  # a coach sees their own time, not cycles


def authorised_scope(cursor: Cursor, actor: Actor, query: Json, view: str) -> Json:
    """The scope ``actor`` may see: the district for a leader, their region for a CLT rep,
    their school for a principal, their own time for a coach; Forbidden otherwise."""
    today = clock.today()
    wanted: Json = {k: query[k] for k in ("region_id", "school_id", "coach_id") if k in query}
    if actor.role is Role.DISTRICT_LEADER:
        return wanted
    if actor.role is Role.CLT_REP:
        mine = region_represented_by(cursor, actor.id, today)
        if view == "council" and mine:
            return {}
        return _own(wanted, "region_id", mine, "a CLT representative sees their own region")
    if actor.role is Role.PRINCIPAL and view != "council":
        mine = schools_led_by(cursor, actor.id, today)
        return _own(wanted, "school_id", mine, "a principal sees their own school")
    if actor.role is Role.COACH and view in COACH_VIEWS:
        return _own(wanted, "coach_id", [str(actor.id)], "a coach sees their own time")
    raise Forbidden(f"a {actor.role.value} cannot see this report", field="view")


def school_in_scope(cursor: Cursor, actor: Actor, school_id: UUID) -> None:
    """A school's counts: for a leader, the school's principal, its region's CLT
    representative; Forbidden otherwise."""
    today = clock.today()
    if actor.role is Role.DISTRICT_LEADER:
        return
    if actor.role is Role.PRINCIPAL and str(school_id) in schools_led_by(
            cursor, actor.id, today):
        return
    if actor.role is Role.CLT_REP and region_of(cursor, school_id, today) in (
            region_represented_by(cursor, actor.id, today)):
        return
    raise Forbidden("a school's counts are for its principal, its region's CLT"
                    " representative and district leaders", field="school_id")


def _own(wanted: Json, field: str, mine: list[str], why: str) -> Json:
    for other in wanted:
        if other != field:
            raise Forbidden(why, field=other)
    chosen = str(wanted.get(field) or (mine[0] if mine else ""))
    if chosen not in mine:
        raise Forbidden(why, field=field)
    return {field: UUID(chosen)}


def region_represented_by(cursor: Cursor, person_id: UUID, on: date) -> list[str]:
    """The regions whose representative in force on ``on`` is ``person_id``."""
    cursor.execute(
        "SELECT region_id FROM (SELECT DISTINCT ON (region_id) region_id, representative_id"
        " FROM representatives WHERE effective_on <= %s"
        " ORDER BY region_id, effective_on DESC, position DESC) r"
        " WHERE representative_id = %s",
        (on, str(person_id)),
    )
    return [str(r) for (r,) in cursor.fetchall()]


def region_of(cursor: Cursor, school_id: UUID, on: date) -> str | None:
    cursor.execute("SELECT " + sql.region_on("%s::uuid", "%s::date"), (str(school_id), on))
    row = cursor.fetchone()
    return str(row[0]) if row and row[0] else None


def schools_led_by(cursor: Cursor, person_id: UUID, on: date) -> list[str]:
    cursor.execute(
        "SELECT school_id FROM (SELECT DISTINCT ON (school_id) school_id, principal_id"
        " FROM principals WHERE effective_on <= %s"
        " ORDER BY school_id, effective_on DESC, position DESC) p WHERE principal_id = %s",
        (on, str(person_id)),
    )
    return [str(s) for (s,) in cursor.fetchall()]
