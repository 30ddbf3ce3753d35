"""District IT setting, one fact at a time, what no SIS export says: a coach at a school, a
school in a CLT region, a region's representative, a district coaching leader. The same
facts as a row of the district's ``assignments.csv`` or ``regions.csv`` (``roster_files``),
recorded as the same dated events, so the next SIS import keeps them as it keeps those.

An import cannot carry one such fact alone: it needs the export's ``orgs.csv`` and
``users.csv``, and an ``assignments.csv`` it is sent says every coach (those it leaves out
leave). Hence this path, for the admin console."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from coachops.aggregate import Aggregate
from coachops.errors import Invalid, NotFound
from coachops.unit_of_work import UnitOfWork
from services.agreements.directory import Directory
from services.agreements.roster import District, Person, Region, School, region_id
from services.agreements.roster_files import MAX_LABEL
from services.agreements.roster_import import KEPT_ROLES

KINDS = ("coach", "school_region", "clt_rep", "district_leader")
NEEDS = {  # the fields each kind needs, besides kind and effective_on
    "coach": ("person_id", "school_id"),
    "school_region": ("school_id", "region"),
    "clt_rep": ("person_id", "region"),
    "district_leader": ("person_id",),
}


@dataclass(frozen=True)
class Fact:
    kind: str
    on: date
    person_id: UUID | None = None
    school_id: UUID | None = None
    region: str | None = None  # a region's name (or code)


def record(unit: UnitOfWork, fact: Fact, directory: Directory,
           teaching_at: set[UUID]) -> dict[str, Any]:
    """The fact's events added to ``unit``; what is now so, by name, and whether it changed.
    ``teaching_at``: the schools where the person teaches on the day (a coach teaches at
    none, as an import decides)."""
    for name in NEEDS[fact.kind]:
        if getattr(fact, name) in (None, ""):
            raise Invalid(f"choose the {name.removesuffix('_id')} for this", field=name)
    if fact.kind == "coach":
        return _coach(unit, fact, directory, teaching_at)
    if fact.kind == "school_region":
        return _school_region(unit, fact, directory)
    if fact.kind == "clt_rep":
        return _representative(unit, fact, directory)
    return _leader(unit, fact, directory)


def _coach(unit: UnitOfWork, fact: Fact, directory: Directory,
           teaching_at: set[UUID]) -> dict[str, Any]:
    person, school = _person(unit, fact), _school(unit, fact)
    changed = _unless_so(unit, school, school.coach_assigned_on(person.id, fact.on),
                         lambda: school.change_post(School.CoachAssigned, person.id, fact.on))
    for place in teaching_at:  # a coach teaches nowhere, as the import has it
        taught = school if place == school.id else unit.get(place, School)
        taught.change_post(School.TeacherLeft, person.id, fact.on)
        unit.add(taught)
        changed = True
    changed = _keep_role(unit, person, "coach") or changed
    return _said(fact, changed, f"{_name(person)} coaches at {school.label}")


def _school_region(unit: UnitOfWork, fact: Fact, directory: Directory) -> dict[str, Any]:
    school = _school(unit, fact)
    region = _region(unit, fact, directory, create=True)
    changed = _unless_so(unit, school, school.region_on(fact.on) == region.id,
                         lambda: school.assign_to_region(region.id, fact.on))
    return _said(fact, changed, f"{school.label} is in {region.label}")


def _representative(unit: UnitOfWork, fact: Fact, directory: Directory) -> dict[str, Any]:
    person = _person(unit, fact)
    region = _region(unit, fact, directory, create=False)
    changed = _unless_so(unit, region, region.representative.on(fact.on) == person.id,
                         lambda: region.change_representative(person.id, fact.on))
    return _said(fact, changed, f"{_name(person)} represents {region.label}")


def _leader(unit: UnitOfWork, fact: Fact, directory: Directory) -> dict[str, Any]:
    person = _person(unit, fact)
    district = unit.find(District.create_id(), District) or District()
    changed = _unless_so(unit, district, district.leaders.on(person.id, fact.on),
                         lambda: district.change_post(District.LeaderAppointed, person.id, fact.on))
    changed = _keep_role(unit, person, "district_leader") or changed
    return _said(fact, changed, f"{_name(person)} leads coaching for the district")


def _unless_so(unit: UnitOfWork, changing: Aggregate, so: bool,
               change: Callable[[], None]) -> bool:
    """Whether the fact changed the roster: ``change`` made and ``changing`` added to the
    unit, unless the roster says so already (``so``) on the day."""
    if not so:
        change()
        unit.add(changing)
    return not so


def _keep_role(unit: UnitOfWork, person: Person, role: str) -> bool:
    """The person's stored role made the district's, so that the next SIS import keeps it
    (it keeps the roles of ``KEPT_ROLES``) rather than making them a teacher again."""
    if person.role in KEPT_ROLES:
        return False
    person.update(role, person.given_name, person.family_name, person.email)
    unit.add(person)
    return True


def _person(unit: UnitOfWork, fact: Fact) -> Person:
    assert fact.person_id is not None
    person = unit.find(fact.person_id, Person)
    if person is None:
        raise NotFound("there is no such person on the roster", field="person_id")
    if person.forgotten_on is not None:
        raise Invalid("this person was forgotten: they hold no role", field="person_id")
    return person


def _school(unit: UnitOfWork, fact: Fact) -> School:
    assert fact.school_id is not None
    return unit.get(fact.school_id, School,
                    NotFound("there is no such school on the roster", field="school_id"))


def _region(unit: UnitOfWork, fact: Fact, directory: Directory, create: bool) -> Region:
    """The region named ``fact.region`` (its name or its code, in any case); a new one of
    that name when ``create``."""
    name = " ".join((fact.region or "").split())
    wanted = name.casefold()
    for found, place in directory.regions.items():
        if wanted in (place.label.casefold(), place.sourced_id.casefold()):
            return unit.get(found, Region)
    if not create:
        raise NotFound(f"there is no region named {name!r}", field="region")
    if len(name) > MAX_LABEL:
        raise Invalid(f"a region's name has at most {MAX_LABEL} characters", field="region")
    code = _code(name, directory)
    region = unit.find(region_id(code), Region) or Region(code=code, label=name)
    unit.add(region)
    return region


def _code(name: str, directory: Directory) -> str:
    """A new region's code (as regions.csv's ``region_code``), made of its name."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:36] or "region"
    taken = {place.sourced_id for place in directory.regions.values()}
    code, number = base, 1
    while code in taken:
        number += 1
        code = f"{base}-{number}"
    return code


def _name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}".strip()


def _said(fact: Fact, changed: bool, what: str) -> dict[str, Any]:
    when = f" from {fact.on.isoformat()}"
    return {"kind": fact.kind, "effective_on": fact.on.isoformat(), "changed": changed,
            "said": f"{what}{when}." if changed else f"Already so: {what}."}
