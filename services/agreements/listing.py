"""The roster as the API lists it (``GET /roster/regions``, ``/roster/schools``,
``/roster/people``, ``/roster/people/<id>``): regions, schools and people, each with their
roster id, their sourcedId and their roles on a day, as far as the caller's role sees them.

The route table says which roles may call each route; this module says whom each sees
(``scope_of``), and why:

- district IT and a district leader: everyone. IT runs the roster; a leader leads every
  coach of the district and finds anyone in it.
- a principal: the people of the schools they head on the day (its coaches, teachers and
  principal), whom their app names already (``/me``).
- a CLT representative: the coaches and principals of their region's schools on the day,
  and the region's representative: the people their region's reports name. Never a
  teacher, whom no report names either.
- a coach or a teacher: themselves only (``/roster/people/<their id>``); their schools'
  people come with their app (``/me``).

A forgotten person holds no role (``RosterIndex``), so no listing shows them, and where
they are shown by id their name is gone (``name`` is None).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from coachops.identity import Actor, Role
from coachops.json import Json

T = TypeVar("T")
Places = list[tuple[Role, UUID | None]]  # each role held, with its school or region
AT_SCHOOLS = (Role.COACH, Role.TEACHER, Role.PRINCIPAL)


@dataclass(frozen=True)
class Scope:
    """Whom a caller sees: everyone; or those holding one of ``roles`` at one of
    ``places`` (schools, regions); and ``person`` (themselves)."""

    everyone: bool = False
    places: frozenset[UUID] = frozenset()
    roles: frozenset[Role] = frozenset()
    person: UUID | None = None
    why: str = ""

    def sees(self, person: UUID, places: Places) -> bool:
        return (self.everyone or person == self.person
                or any(role in self.roles and place in self.places for role, place in places))

    def covers(self, place: UUID) -> bool:
        """Whether a filter may name this school or region."""
        return self.everyone or place in self.places


def scope_of(actor: Actor, own: Places, regions: Mapping[UUID, UUID | None]) -> Scope:
    """Whom ``actor`` sees on a day: ``own`` is what they hold on it, ``regions`` each
    school's region on it."""
    if actor.role in (Role.IT_ADMIN, Role.DISTRICT_LEADER):
        return Scope(everyone=True)
    held = frozenset(place for role, place in own if role is actor.role and place is not None)
    if actor.role is Role.PRINCIPAL:
        return Scope(places=held, roles=frozenset(AT_SCHOOLS), person=actor.id,
                     why="a principal sees the people of the school they head")
    if actor.role is Role.CLT_REP:
        schools = frozenset(school for school, region in regions.items() if region in held)
        return Scope(places=held | schools,
                     roles=frozenset({Role.COACH, Role.PRINCIPAL, Role.CLT_REP}),
                     person=actor.id, why="a CLT representative sees the coaches and "
                                         "principals of their region")
    return Scope(person=actor.id, why=f"a {actor.role.value} sees only themselves on the "
                                      "roster")


def matches(places: Places, role: Role | None = None, school: UUID | None = None,
            region: UUID | None = None,
            regions: Mapping[UUID, UUID | None] | None = None) -> bool:
    """Whether someone holding ``places`` passes the listing's filters: holds ``role``,
    works at ``school``, works at a school of ``region`` or represents it."""
    if role is not None and all(held is not role for held, _ in places):
        return False
    if school is not None and not any(held in AT_SCHOOLS and place == school
                                      for held, place in places):
        return False
    return region is None or any(
        (held is Role.CLT_REP and place == region)
        or (held in AT_SCHOOLS and place is not None and (regions or {}).get(place) == region)
        for held, place in places)


def roles_view(places: Places, name_of: Callable[[UUID], str | None]) -> Json:
    """What someone holds on a day, each place with its id and name."""
    def at(role: Role, key: str) -> list[Json]:
        return sorted(({key: str(place), "name": name_of(place)}
                       for held, place in places if held is role and place is not None),
                      key=lambda p: (str(p["name"] or ""), p[key]))

    held = {role for role, _ in places}
    return {"roles": [role.value for role in Role if role in held],
            "coach_at": at(Role.COACH, "school_id"), "teacher_at": at(Role.TEACHER, "school_id"),
            "principal_of": at(Role.PRINCIPAL, "school_id"),
            "clt_rep_of": at(Role.CLT_REP, "region_id"),
            "district_leader": Role.DISTRICT_LEADER in held, "it_admin": Role.IT_ADMIN in held}


def names_view(person: UUID, sourced_id: str | None, given_name: str | None,
               family_name: str | None, forgotten: bool) -> Json:
    """Who a person is as the listing shows them (what it is ordered by); no name once
    forgotten."""
    named = not forgotten and given_name is not None
    return {"person_id": str(person), "sourced_id": sourced_id,
            "name": f"{given_name} {family_name or ''}".strip() if named else None,
            "given_name": given_name if named else None,
            "family_name": family_name if named else None, "forgotten": forgotten}


def by_name(person: Json) -> tuple[str, str, str, str]:
    """The listing's order: family name, given name, then sourcedId and id (stable)."""
    return (str(person["family_name"] or "").casefold(),
            str(person["given_name"] or "").casefold(), str(person["sourced_id"] or ""),
            str(person["person_id"]))


def page_of(items: Sequence[T], page: int, limit: int) -> dict[str, Any]:
    """Page ``page`` (from 1) of ``limit`` items, the total and the next page (None at the
    end): a district's thousands of staff are read a page at a time."""
    start = (page - 1) * limit
    return {"items": list(items[start:start + limit]), "page": page, "limit": limit,
            "total": len(items), "next_page": page + 1 if start + limit < len(items) else None}
