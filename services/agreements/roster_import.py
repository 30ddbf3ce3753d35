"""Importing the district roster: the files as ``roster_files`` read them, compared with the
roster in the store. Only the differences become events, saved by the caller in one
transaction: importing the same files again records nothing. ``changes`` says what a plan
changes (people arriving, leaving, moving, changing role; schools and regions added): a dry
run answers it without saving the plan, and an import's record keeps it.

Who decides what (``roster_files`` says it for district IT): the SIS's export gives the
people, their names, the schools and who teaches where; the district's files give what the
export cannot say, and that is kept until the district's own file says otherwise. A
coach's, district leader's or IT administrator's role (``KEPT_ROLES``) is kept by an import
without ``assignments.csv``; so is a principal the district named, by their school
(``School.principal_named_on``), where the export's administrators
(``ROSTER_PRINCIPAL_ROLES``) would otherwise become principal. In a delta, the district's
files may name people of the stored roster, and a row no newer (``dateLastModified``)
than what the roster applied for its person or school is left out (``Plan.stale``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.agreements.roster import (
    District,
    Person,
    PostChanged,
    Region,
    School,
    region_id,
    roster_id,
)
from services.agreements.roster_files import DISTRICT_WIDE, HEADS, Problems, Roster

A = TypeVar("A", bound=Aggregate)
class Loader(Protocol):
    """The stored aggregate of this kind with this id, or None."""

    def __call__(self, kind: type[A], aggregate_id: UUID, /) -> A | None: ...


@dataclass
class Plan:
    """The aggregates with new events, to save in one transaction."""

    changed: dict[UUID, Aggregate] = field(default_factory=dict)
    roles: dict[UUID, tuple[str, str]] = field(default_factory=dict)  # person: was, now
    # A principal replaced (the school's sourcedId): no event of theirs says they left.
    replaced: list[tuple[UUID, str]] = field(default_factory=list)
    # Rows of a delta no newer than what the roster applied (sourcedIds): they change nothing.
    stale: dict[str, list[str]] = field(default_factory=lambda: {"users": [], "orgs": []})

    def touch(self, aggregate: A) -> A:
        self.changed[aggregate.id] = aggregate
        return aggregate

    @property
    def aggregates(self) -> list[Aggregate]:
        return [a for a in self.changed.values() if a.pending_events]

    def counts(self) -> dict[str, int]:
        return dict(Counter(type(e).__qualname__ for a in self.aggregates
                            for e in a.pending_events))


# A person's role where the assignments name one (the first that names them), before the
# role the users file gives.
ASSIGNED_ROLES = ("coach", "principal", "district_leader", "it_admin")
# The roles only the district's files give: an import without assignments.csv keeps them.
# A principal is kept too, but by their school (``School.principal_named_on``): the export
# also makes principals (``ROSTER_PRINCIPAL_ROLES``), and only one the district named is kept.
KEPT_ROLES = ("coach", "district_leader", "it_admin")


def no_progress(done: int) -> None:
    pass


def _nowhere(person_id: UUID) -> set[UUID]:
    return set()


def plan(roster: Roster, load: Loader, effective_on: date,
         progress: Callable[[int], None] = no_progress,
         teaching_at: Callable[[UUID], set[UUID]] = _nowhere,
         heads: tuple[str, ...] = HEADS) -> Plan:
    """The differences between ``roster`` and the store, as events on the aggregates.
    ``progress`` hears how many rows of the files have been compared with the store (of
    ``roster.total_rows``), as it goes: reading the store is what takes the time.
    ``teaching_at`` gives the schools (ids) where a teacher teaches on ``effective_on``
    as stored, for a delta users.csv (a teacher moving or leaving a school it does not name).
    ``heads``: the OneRoster roles that make someone at a school its principal, ranked."""
    changes = Plan()
    roster = _without_stale(roster, load, changes)
    _found_elsewhere(roster, load)
    assigned = {role: roster.named_as(role) for role in ASSIGNED_ROLES}
    if "assignments" not in roster.given:
        # The SIS's export alone says nothing of the district's own roles: a coach, a
        # district leader or an IT administrator stays one (and a coach is not made a
        # teacher again) until the district's assignments.csv says otherwise.
        for sourced_id in roster.staff:
            stored = load(Person, roster_id(sourced_id))
            if stored is not None and stored.role in KEPT_ROLES:
                assigned[stored.role].add(sourced_id)
    coaches = assigned["coach"]
    done = 0

    schools: dict[str, School] = {}  # the schools of orgs.csv
    for number, (sourced_id, label) in enumerate(roster.schools.items(), 1):
        progress(done + number)
        school = load(School, roster_id(sourced_id))
        stamp = roster.org_modified.get(sourced_id)
        if school is None:
            school = changes.touch(School(sourced_id=sourced_id, label=label,
                                          modified_at=stamp))
        elif school.label != label and sourced_id not in changes.stale["orgs"]:
            later = stamp is not None and (school.modified_at is None
                                           or stamp > school.modified_at)
            changes.touch(school).relabel(label, modified_at=stamp if later else None)
        schools[sourced_id] = school
    done += roster.rows.get("orgs", 0)
    progress(done)

    # A delta's rows name schools its orgs.csv leaves out: those stored.
    known: dict[str, School | None] = dict(schools)

    def school_of(sourced_id: str) -> School | None:
        if sourced_id not in known:
            stored = None if not (roster.delta("orgs") or roster.delta("users")) else load(
                School, roster_id(sourced_id))
            known[sourced_id] = stored
        return known[sourced_id]

    def stored_school(school_id: UUID) -> School | None:
        stored = load(School, school_id)
        if stored is not None:
            known.setdefault(stored.sourced_id, stored)
            return known[stored.sourced_id]
        return None

    principals = _principals(roster, school_of, changes, effective_on, heads)

    # Each person's details, recorded once the plan knows whom it changes (``_people``).
    people: dict[str, tuple[Person | None, dict[str, Any]]] = {}
    for number, (sourced_id, staff) in enumerate(roster.staff.items(), 1):
        progress(done + number)
        role = next((r for r in ASSIGNED_ROLES if sourced_id in assigned[r]),
                    "principal" if roster_id(sourced_id) in principals
                    else staff.oneroster_role)
        details: dict[str, Any] = {"role": role, "given_name": staff.given_name,
                   "family_name": staff.family_name, "email": staff.email}
        person = load(Person, roster_id(sourced_id))
        if person is not None and person.forgotten_on is not None:
            continue  # forgotten stays forgotten: the next export's names are not kept
        people[sourced_id] = (person, details)
    # In a delta, stored people the district's files name take the role they give them.
    for _, _, _, sourced_id in roster.elsewhere:
        person = load(Person, roster_id(sourced_id))
        given = next((r for r in ASSIGNED_ROLES if sourced_id in assigned[r]), None)
        if person is not None and given is not None and sourced_id not in people:
            people[sourced_id] = (person, {**person.details(), "role": given})
    done += roster.rows.get("users", 0)  # students and families too, read and skipped
    progress(done)

    for code, (label, rep) in roster.regions.items():
        region = load(Region, region_id(code))
        if region is None:
            region = changes.touch(Region(code=code, label=label))
        elif region.label != label:
            changes.touch(region).relabel(label)
        if rep is not None and region.representative.latest() != roster_id(rep):
            changes.touch(region).change_representative(roster_id(rep), effective_on)
    done += roster.rows.get("regions", 0)
    progress(done)

    district = load(District, District.create_id())
    listed: dict[str, set[UUID]] = {s: set() for s in schools}
    listed_district: dict[str, set[UUID]] = {kind: set() for kind in DISTRICT_WIDE}
    unknown = Problems()
    for number, fact in enumerate(sorted(roster.facts, key=lambda f: f.effective_on), 1):
        progress(done + number)
        on = fact.effective_on
        if fact.kind in DISTRICT_WIDE:
            person_id = roster_id(fact.value)
            listed_district[fact.kind].add(person_id)
            if district is None:
                district = changes.touch(District())
            if fact.kind == "district_leader" and not district.leaders.on(person_id, on):
                changes.touch(district).change_post(District.LeaderAppointed, person_id, on)
            if fact.kind == "it_admin" and not district.it_admins.on(person_id, on):
                changes.touch(district).change_post(District.ItAdminAppointed, person_id, on)
            continue
        found = school_of(fact.school)
        if found is None:  # a delta orgs.csv leaves it out, and it is not stored
            unknown.add("assignments", None, "school_sourced_id",
                        f"there is no school {fact.school!r} in orgs.csv or on the roster")
            continue
        school = found
        if fact.kind == "school_region":
            if school.region_on(on) != region_id(fact.value):
                changes.touch(school).assign_to_region(region_id(fact.value), on)
        elif fact.kind == "principal":
            previous = school.principal_on(on)
            if previous != roster_id(fact.value) or not school.principal_named_on(on):
                if previous not in (None, roster_id(fact.value)):
                    changes.replaced.append((previous, school.sourced_id))
                changes.touch(school).change_principal(roster_id(fact.value), on, named=True)
        else:
            coach = roster_id(fact.value)
            listed.setdefault(fact.school, set()).add(coach)
            if not school.coach_assigned_on(coach, on):
                changes.touch(school).change_post(School.CoachAssigned, coach, on)
    if unknown.found:
        raise unknown.reject()

    if "assignments" in roster.given:
        # The district's own file, when sent, says every coach: those it leaves out leave.
        for sourced_id, school in schools.items():
            for coach in school.currently_assigned_coaches() - listed[sourced_id]:
                changes.touch(school).change_post(School.CoachUnassigned, coach, effective_on)
    if district is not None and "assignments" in roster.given:
        # Only people users.csv names: the others are not this export's to end.
        named = {roster_id(u) for u in roster.named["users"]}
        for leader in district.leaders.current() & named - listed_district["district_leader"]:
            changes.touch(district).change_post(District.LeaderLeft, leader, effective_on)
        for admin in district.it_admins.current() & named - listed_district["it_admin"]:
            changes.touch(district).change_post(District.ItAdminLeft, admin, effective_on)

    if roster.delta("users"):
        _teachers_of_delta(roster, coaches, school_of, stored_school, teaching_at, changes,
                           effective_on)
    else:
        _teachers_of_bulk(roster, coaches, schools, school_of, changes, effective_on)
    _people(roster, people, load, changes)
    progress(roster.total_rows)
    return changes


def _without_stale(roster: Roster, load: Loader, changes: Plan) -> Roster:
    """A delta's rows that are no newer (dateLastModified) than what the roster last applied
    from the SIS for the same record (``Person.modified_at``, ``School.modified_at``) left
    out, listed in ``changes.stale``: an old delta sent again does not undo a newer one. A
    row or a record without a date is applied, as is every row of a bulk file (the whole
    export says how things are)."""
    def stale(kind: type[Person] | type[School], sourced_id: str, stamp: str | None) -> bool:
        if stamp is None:
            return False
        stored = load(kind, roster_id(sourced_id))
        applied = getattr(stored, "modified_at", None)
        return applied is not None and stamp <= applied

    if roster.delta("users"):
        changes.stale["users"] = sorted(
            s for s in (*roster.staff, *roster.ended)
            if stale(Person, s, roster.modified.get(s)))
    if roster.delta("orgs"):
        changes.stale["orgs"] = sorted(
            s for s in roster.schools if stale(School, s, roster.org_modified.get(s)))
    if not changes.stale["users"]:
        return roster
    old = set(changes.stale["users"])
    return replace(roster, staff={s: v for s, v in roster.staff.items() if s not in old},
                   ended={s: v for s, v in roster.ended.items() if s not in old})


def _found_elsewhere(roster: Roster, load: Loader) -> None:
    """People a delta's assignments.csv or regions.csv name whom its users.csv has no row
    of: on the stored roster, or refused (every one, with its file, line and column)."""
    missing = Problems()
    for file, line, column, sourced_id in roster.elsewhere:
        person = load(Person, roster_id(sourced_id))
        if person is None or person.forgotten_on is not None:
            missing.add(file, line, column, f"there is no staff member {sourced_id!r} in "
                                            "users.csv or on the roster")
    if missing.found:
        raise missing.reject()


def _people(roster: Roster, people: dict[str, tuple[Person | None, dict[str, Any]]],
            load: Loader, changes: Plan) -> None:
    """Each person registered or updated where their details changed; with the row's
    dateLastModified (``Person.modified_at``) when it is newer than the one stored and the
    row changed anything of theirs (their details, schools, principalship)."""
    affected = {_person_in(event) for aggregate in changes.aggregates
                for event in aggregate.pending_events}
    affected |= {replaced for replaced, _ in changes.replaced}

    def newer(person: Person, stamp: str | None) -> bool:
        return stamp is not None and (person.modified_at is None or stamp > person.modified_at)

    for sourced_id, (person, details) in people.items():
        stamp = roster.modified.get(sourced_id)
        if person is None:
            changes.touch(Person(sourced_id=sourced_id, **details, modified_at=stamp))
            continue
        later = newer(person, stamp)
        if person.details() != details or (later and person.id in affected):
            if person.role != details["role"]:
                changes.roles[person.id] = (person.role, details["role"])
            changes.touch(person).update(**details, modified_at=stamp if later else None)
    for sourced_id in roster.ended.keys() - people.keys():
        stamp = roster.modified.get(sourced_id)
        ended = load(Person, roster_id(sourced_id))
        if (ended is not None and ended.forgotten_on is None and roster_id(sourced_id) in affected
                and newer(ended, stamp)):
            changes.touch(ended).update(**ended.details(), modified_at=stamp)


def _teachers_of_bulk(roster: Roster, coaches: set[str], schools: dict[str, School],
                      school_of: Callable[[str], School | None], changes: Plan,
                      effective_on: date) -> None:
    """A whole export: each teacher teaches at the schools their row names, and a teacher
    a school of orgs.csv had, whom users.csv no longer lists there, has left it."""
    teaching: dict[str, set[UUID]] = {s: set() for s in schools}
    present = {s: school.current_teachers() for s, school in schools.items()}
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role != "teacher" or sourced_id in coaches:
            continue
        teacher = roster_id(sourced_id)
        for org in staff.org_ids:
            school = school_of(org)
            if school is None:
                continue  # the district, or another org that is not a school
            teaching.setdefault(org, set()).add(teacher)
            if teacher not in present.setdefault(org, school.current_teachers()):
                changes.touch(school).change_post(School.TeacherAssigned, teacher, effective_on)
    for sourced_id, school in schools.items():
        for teacher in present[sourced_id] - teaching[sourced_id]:
            changes.touch(school).change_post(School.TeacherLeft, teacher, effective_on)


def _teachers_of_delta(roster: Roster, coaches: set[str],
                       school_of: Callable[[str], School | None],
                       stored_school: Callable[[UUID], School | None],
                       teaching_at: Callable[[UUID], set[UUID]], changes: Plan,
                       effective_on: date) -> None:
    """A delta: only the teachers it has a row for change. A teacher's row names the schools
    they teach at now (they leave those it no longer names); an ended row (tobedeleted,
    inactive, not enabled) ends them at every school, as being a coach does."""
    rows: dict[str, tuple[str, ...]] = {**roster.ended}
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role == "teacher" and sourced_id not in coaches:
            rows[sourced_id] = staff.org_ids
    # A coach the delta names (in users.csv or only in assignments.csv) teaches nowhere.
    for sourced_id in coaches & {*roster.staff, *(e[3] for e in roster.elsewhere)}:
        rows[sourced_id] = ()
    for sourced_id, orgs in rows.items():
        teacher = roster_id(sourced_id)
        now = {org for org in orgs if school_of(org) is not None}
        if sourced_id in roster.ended:
            now = set()
        places: dict[str, School] = {}
        for school_id in teaching_at(teacher):
            stored = stored_school(school_id)
            if stored is not None:
                places[stored.sourced_id] = stored
        for org in {*orgs} - set(places):
            found = school_of(org)
            if found is not None:
                places[org] = found
        for org, school in sorted(places.items()):
            here = teacher in school.current_teachers()
            if org in now and not here:
                changes.touch(school).change_post(School.TeacherAssigned, teacher, effective_on)
            elif org not in now and here:
                changes.touch(school).change_post(School.TeacherLeft, teacher, effective_on)


def _principals(roster: Roster, school_of: Callable[[str], School | None], changes: Plan,
                effective_on: date, heads: tuple[str, ...]) -> set[UUID]:
    """The principals the export gives or keeps: at each school it names whose principal
    assignments.csv does not give, someone at the school in one of the roles ``heads`` (the
    district's ``ROSTER_PRINCIPAL_ROLES``, the first ranked first). The principal on
    ``effective_on`` stays while they are one of them (or, in a delta, while it has no row
    of theirs); else the first becomes principal from that date. A principal the district
    named (``School.principal_named_on``) is district configuration: an import without
    assignments.csv keeps them whatever the export says; one with it, naming no principal
    for the school, leaves the school to the export's administrators again."""
    decided = {f.school for f in roster.facts if f.kind == "principal"}
    at: dict[str, list[str]] = {}  # the staff at each school in one of those roles
    for sourced_id, staff in roster.staff.items():
        if staff.oneroster_role in heads:
            for org in staff.org_ids:
                at.setdefault(org, []).append(sourced_id)
    places = set(roster.schools)
    if roster.delta("users"):
        places |= {org for staff in roster.staff.values() for org in staff.org_ids}
        places |= {org for orgs in roster.ended.values() for org in orgs}
    in_file = {roster_id(s) for s in (*roster.staff, *roster.ended)}
    principals: set[UUID] = set()
    for org in sorted(places - decided):
        school = school_of(org)
        if school is None:
            continue
        candidates = sorted(at.get(org, []),
                            key=lambda s: heads.index(roster.staff[s].oneroster_role))
        current = school.principal_on(effective_on)
        if (current is not None and "assignments" not in roster.given
                and school.principal_named_on(effective_on)):
            principals.add(current)  # the district's choice: only its own file changes it
            continue
        if current is not None and current in {roster_id(s) for s in candidates}:
            principals.add(current)
            continue
        if current is not None and roster.delta("users") and current not in in_file:
            continue  # a delta without a row of theirs changes nothing of them
        if candidates:
            if current is not None:
                changes.replaced.append((current, school.sourced_id))
            changes.touch(school).change_principal(roster_id(candidates[0]), effective_on)
            principals.add(roster_id(candidates[0]))
    return principals


# What an import changes, as district IT reads it ------------------------------------------

GROUPS = ("arriving", "leaving", "moving", "role_changes", "schools_added", "regions_added")
MAX_LISTED = 1000  # of each group; the counts are always whole
DISTRICT_OFFICE = ""  # the place of a district leader or IT administrator, who have no school


def changes(found: Plan, load: Loader) -> dict[str, Any]:
    """What ``found`` (the plan that is saved, or would be) changes, by sourcedIds and
    codes only (the import's record keeps it, and names are personal): people arriving
    (new on the roster, or joining a school or the district office while leaving none),
    leaving (a school or the district office, joining none; a principal replaced leaves),
    moving (leaving one place for another), changing role; schools and regions added. Each
    person's places are the sourcedIds of their schools, ``DISTRICT_OFFICE`` for the
    district's own roles. ``stale``: the rows of a delta (users, orgs) left out because
    their dateLastModified is no newer than what the roster applied, by sourcedId."""
    joined: dict[UUID, list[str]] = {}
    left: dict[UUID, list[str]] = {}
    arrived: set[UUID] = set()
    schools_added: list[str] = []
    regions_added: list[str] = []
    for aggregate in found.aggregates:
        place = getattr(aggregate, "sourced_id", DISTRICT_OFFICE)
        for event in aggregate.pending_events:
            if isinstance(event, Person.Registered):
                arrived.add(aggregate.id)
            elif isinstance(event, School.Defined):
                schools_added.append(event.sourced_id)
            elif isinstance(event, Region.Defined):
                regions_added.append(event.code)
            elif isinstance(event, School.PrincipalChanged) or (
                    isinstance(event, PostChanged) and event.JOINS):
                joined.setdefault(_person_of(event), []).append(place)
            elif isinstance(event, PostChanged):
                left.setdefault(_person_of(event), []).append(place)

    for person_id, place in found.replaced:
        left.setdefault(person_id, []).append(place)
    people: dict[UUID, Person | None] = {}

    def who(person_id: UUID) -> dict[str, Any]:
        if person_id not in people:  # new, changed by the plan, or as stored
            planned = found.changed.get(person_id)
            people[person_id] = (planned if isinstance(planned, Person)
                                 else load(Person, person_id))
        person = people[person_id]
        if person is None:  # named by an assignment only (the first IT administrator)
            return {"sourced_id": None, "role": None}
        return {"sourced_id": person.sourced_id, "role": person.role}

    def places(found_in: list[str]) -> list[str]:
        return sorted(set(found_in))

    groups: dict[str, list[Any]] = {name: [] for name in GROUPS}
    for person_id in sorted({*joined, *left, *arrived}, key=str):
        to, away = joined.get(person_id, []), left.get(person_id, [])
        if to and away and places(to) != places(away):
            groups["moving"].append({**who(person_id), "from": places(away), "to": places(to)})
        elif to or (person_id in arrived and not away):
            groups["arriving"].append({**who(person_id), "places": places(to)})
        elif away:
            groups["leaving"].append({**who(person_id), "places": places(away)})
    for person_id, (was, now) in sorted(found.roles.items(), key=lambda item: str(item[0])):
        groups["role_changes"].append({**who(person_id), "from": was, "to": now})
    groups["schools_added"] = sorted(schools_added)
    groups["regions_added"] = sorted(regions_added)
    counts = {name: len(listed) for name, listed in groups.items()}
    events = found.counts()
    return {"counts": counts, **{name: listed[:MAX_LISTED] for name, listed in groups.items()},
            "recorded": sum(events.values()), "events": events,
            "stale": {kind: rows[:MAX_LISTED] for kind, rows in found.stale.items()}}


def _person_in(event: Any) -> UUID | None:
    """Whom a roster event places or takes out: a post's holder, or a school's principal."""
    if isinstance(event, PostChanged):
        return event.person
    if isinstance(event, School.PrincipalChanged):
        principal: UUID = event.principal_id
        return principal
    return None


def _person_of(event: Any) -> UUID:
    person = _person_in(event)
    if person is None:
        raise TypeError(f"{type(event).__qualname__} names no person")
    return person


def named(stored: dict[str, Any], person: Callable[[str | None], str],
          place: Callable[[str], str], region: Callable[[str], str]) -> dict[str, Any]:
    """``changes`` as district IT reads it: each person, school and region by name
    (``person``, ``place`` and ``region`` name them) beside the roster's sourcedId,
    people in order of their names."""
    def one(entry: dict[str, Any]) -> dict[str, Any]:
        shown = {**entry, "name": person(entry["sourced_id"])}
        for key in ("places", "from", "to"):
            if key in entry and isinstance(entry[key], list):
                shown[key] = [place(p) for p in entry[key]]
        return shown

    answer = {"counts": stored["counts"], "recorded": stored["recorded"],
              "events": stored["events"]}
    for name in ("arriving", "leaving", "moving", "role_changes"):
        answer[name] = sorted((one(e) for e in stored[name]),
                              key=lambda e: (e["name"].split()[-1:], e["name"]))
    answer["schools_added"] = [{"sourced_id": s, "name": place(s)}
                               for s in stored["schools_added"]]
    answer["regions_added"] = [{"code": c, "name": region(c)} for c in stored["regions_added"]]
    stale = stored.get("stale", {})  # kept by imports since dateLastModified is read
    answer["stale"] = {
        "users": [{"sourced_id": s, "name": person(s)} for s in stale.get("users", [])],
        "orgs": [{"sourced_id": s, "name": place(s)} for s in stale.get("orgs", [])]}
    return answer
