"""The roster's service layer: imports (checked, compared, run in the background) and the
roster as the API lists it. ``Agreements`` (``app.py``) is this application with the
agreements themselves; the stored aggregates and tables are that one application's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from coachops import settings
from coachops.application import ServiceApplication
from coachops.errors import CoachopsError, Conflict, Forbidden, NotFound, Rejected
from coachops.identity import Actor, Role
from coachops.unit_of_work import UnitOfWork
from services.agreements import listing, roster_files, roster_import, setup
from services.agreements.directory import Directory
from services.agreements.domain import coaching_agreement_id
from services.agreements.imports import OpenImports, RosterImport
from services.agreements.roles import RosterIndex
from services.agreements.roster import District, History, School, region_id, roster_id
from services.agreements.runs import InProcessRuns, PostgresRuns, Runs

log = logging.getLogger(__name__)
T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)




class RosterApplication(ServiceApplication):
    # The roster -----------------------------------------------------------------------------

    def import_roster(self, actor: Actor, files: dict[str, str],
                      effective_on: date) -> dict[str, int]:
        """All or nothing, at once; only the differences with the store are recorded.
        Returns the number of events of each kind recorded (empty when nothing changed)."""
        _district_it(actor)
        roster = roster_files.parse(files)  # Rejected before anything is loaded
        changes = self._within(lambda unit: self._compare(unit, roster, effective_on, True))
        events: dict[str, int] = changes["events"]
        return events

    def preview_roster_import(self, actor: Actor, files: dict[str, str],
                              effective_on: date) -> dict[str, Any]:
        """A dry run: what importing ``files`` would change, by name, decided by the same
        plan as the import in a unit of work that is never committed (so nothing is saved)."""
        _district_it(actor)
        roster = roster_files.parse(files)
        return self._named(self._compare(self.work(), roster, effective_on, False), roster)

    def _compare(self, unit: UnitOfWork, roster: roster_files.Roster, effective_on: date,
                 apply: bool, record: UUID | None = None,
                 progress: Callable[[int], None] | None = None) -> dict[str, Any]:
        """The import's one decision: the plan of the roster's changes and what they are;
        added to ``unit`` when they are to be applied, with the end of ``record`` (the
        import's own record) in the same transaction."""
        def load(kind: type[A], aggregate_id: UUID) -> A | None:
            return unit.find(aggregate_id, kind)

        def teaching_at(person_id: UUID) -> set[UUID]:
            return self.roster_index.teacher_schools_on(person_id, effective_on)

        found = roster_import.plan(roster, load, effective_on,
                                   progress or roster_import.no_progress, teaching_at,
                                   settings.current().roster_principal_roles)
        changes = roster_import.changes(found, load)
        if apply:
            unit.add(*found.aggregates)
        if apply and record is not None:
            done = unit.get(record, RosterImport)
            done.finish(changes)
            unit.add(done)
        return changes

    # An import in the background: queued, run, looked at -------------------------------

    @property
    def runs(self) -> Runs:
        """Which imports a live process is running (``services.agreements.runs``)."""
        if not hasattr(self, "_runs"):
            database = getattr(self.factory, "database", None)
            self._runs: Runs = InProcessRuns() if database is None else PostgresRuns(database)
        return self._runs

    @property
    def open_imports(self) -> OpenImports:
        if not hasattr(self, "_open_imports"):
            self._open_imports = OpenImports(self)
        return self._open_imports

    def queue_roster_import(self, actor: Actor, effective_on: date) -> RosterImport:
        """The record of an import about to run; the caller holds it (``runs.holding``)
        before saving it, so no one takes a queued import for an abandoned one."""
        _district_it(actor)
        return RosterImport(requested_by=actor.id, effective_on=effective_on)

    def run_roster_import(self, record: RosterImport, files: dict[str, str],
                          progress_every: int = 20) -> None:
        """The import of ``record`` (saved by now): the files checked, compared with the
        store (``Progressed`` about ``progress_every`` times), then its changes and its end
        saved together. Ends done or failed with the reason; raises nothing."""
        try:
            roster = roster_files.parse(files)
        except Rejected as refused:
            record.fail(refused.message, refused.errors)
            self.save(record)
            return
        record.start(roster.total_rows)
        self.save(record)
        step = max(1, roster.total_rows // progress_every)

        def progress(done: int) -> None:
            if done - record.rows_done >= step and done < record.rows:
                record.progress(done)
                self.save(record)

        try:
            self._within(lambda unit: self._compare(
                unit, roster, record.effective_on, True, record.id, progress))
        except Rejected as refused:  # a delta naming a school neither sent nor stored
            self._fail(record.id, refused.message, refused.errors)
        except CoachopsError as refused:
            self._fail(record.id, f"nothing was imported: {refused.message}")
        except Exception:
            log.exception("roster import %s failed", record.id)
            self._fail(record.id, "nothing was imported: the import stopped on an error "
                                  "the agreements service logged; send the files again")

    def _fail(self, import_id: UUID, reason: str,
              errors: list[dict[str, Any]] | None = None) -> None:
        def decide(unit: UnitOfWork) -> None:
            record = unit.get(import_id, RosterImport)
            record.fail(reason, errors)
            if record.pending_events:
                unit.add(record)

        self._within(decide)

    def fail_abandoned_imports(self) -> int:
        """Every open import that no live process runs, failed (its process stopped before
        its changes were saved, so none were); how many. Run when the service starts."""
        abandoned = [i for i in self.open_imports.now() if not self.runs.running(i)]
        for import_id in abandoned:
            self._fail(import_id, ABANDONED)
        return len(abandoned)

    def roster_import_state(self, actor: Actor, import_id: UUID) -> dict[str, Any]:
        """Where an import stands, for district IT: queued, running (rows compared of the
        rows of the files), done with what it changed by name, or failed with why and each
        problem of the files (``file``, ``line``, ``field``)."""
        _district_it(actor)
        record = self._within(lambda unit: stored(unit, RosterImport, import_id, "import_id"))
        if record.is_open and not self.runs.running(import_id):
            self._fail(import_id, ABANDONED)  # its process stopped: see fail_abandoned_imports
            record = self._within(lambda unit: unit.get(import_id, RosterImport))
        name = self._names(None)  # the directory brought up to date first
        by = self.directory.people.get(record.requested_by)
        requested_by = name(by.sourced_id) if by else "district IT"
        return {"import_id": str(record.id), "state": record.state,
                "requested_by": requested_by,
                "effective_on": record.effective_on.isoformat(),
                "queued_at": record.created_on.isoformat(),
                "updated_at": record.modified_on.isoformat(),
                "rows": {"done": record.rows_done, "total": record.rows},
                "changes": None if record.changes is None
                else self._named(record.changes, None),
                "reason": record.reason, "errors": record.errors}

    def _names(self, roster: roster_files.Roster | None) -> Callable[[str | None], str]:
        """A person by name: as the files give it (a dry run's new people are in no store
        yet), else as the store has it."""
        self.directory.catch_up()

        def name(sourced_id: str | None) -> str:
            if sourced_id is None:
                return "someone users.csv does not list"
            staff = roster.staff.get(sourced_id) if roster else None
            if staff is not None:
                return f"{staff.given_name} {staff.family_name}".strip()
            entry = self.directory.people.get(roster_id(sourced_id))
            if entry is None:
                return sourced_id
            if entry.forgotten:
                return "someone forgotten"
            return f"{entry.given_name} {entry.family_name}".strip()

        return name

    def _named(self, changes: dict[str, Any],
               roster: roster_files.Roster | None) -> dict[str, Any]:
        places = self.directory.places

        def school(sourced_id: str) -> str:
            if sourced_id == roster_import.DISTRICT_OFFICE:
                return "the district"
            if roster and sourced_id in roster.schools:
                return roster.schools[sourced_id]
            return places.get(roster_id(sourced_id), sourced_id)

        def region(code: str) -> str:
            if roster and code in roster.regions:
                return roster.regions[code][0]
            return places.get(region_id(code), code)

        return roster_import.named(changes, self._names(roster), school, region)

    @property
    def roster_index(self) -> RosterIndex:
        # One per process, shared by its workers, kept up to date from the store.
        if not hasattr(self, "_roster_index"):
            self._roster_index = RosterIndex(self)
        return self._roster_index

    def roles_on(self, person_id: UUID, day: date) -> list[Role]:
        return self.roster_index.roles_on(person_id, day)

    def roles_changed_since(self, position: int | None) -> tuple[int, set[UUID]]:
        return self.roster_index.changed_since(position)

    @property
    def directory(self) -> Directory:
        if not hasattr(self, "_directory"):
            self._directory = Directory(self, self.roster_index)
        return self._directory

    def find_people(self, actor: Actor, query: str, today: date) -> dict[str, Any]:
        """District IT finds people by name, email or sourcedId: their roles and places."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT finds people on the roster", field="actor")
        found, more = self.directory.search(query)
        return {"people": [self.directory.person(p, how, today) for p, how in found],
                "more": more}

    def identify_person(self, identifier: str, today: date) -> dict[str, Any] | None:
        """The person with this sourcedId or email, for issuing them a token."""
        person = self.directory.identify(identifier)
        return None if person is None else self.directory.person(person, "", today)

    def appoint_it_admin(self, person_id: UUID, effective_on: date) -> bool:
        """District IT's first administrator (``python -m services.agreements.appoint``):
        someone must hold the role before anyone can import the roster. False when they
        hold it already."""

        def decide(unit: UnitOfWork) -> bool:
            district = unit.find(District.create_id(), District) or District()
            if district.it_admins.on(person_id, effective_on):
                return False
            district.change_post(District.ItAdminAppointed, person_id, effective_on)
            unit.add(district)
            return True

        return self._within(decide)

    def set_up_roster(self, actor: Actor, command: dict[str, Any], on: date) -> dict[str, Any]:
        """District IT sets one fact no SIS export says (``setup``): a coach at a school, a
        school's region, a region's representative, a district coaching leader."""
        _district_it(actor)
        self.directory.catch_up()
        fact = setup.Fact(command["kind"], on, command["person_id"], command["school_id"],
                          command["region"])
        teaching = (self.roster_index.teacher_schools_on(fact.person_id, on)
                    if fact.kind == "coach" and fact.person_id is not None else set())
        return self._within(lambda unit: setup.record(unit, fact, self.directory, teaching))

    def school_roster(self, actor: Actor, school_id: UUID, on: date) -> School:
        school = self._within(lambda unit: stored(unit, School, school_id, "school_id"))
        allowed = (actor.role in (Role.IT_ADMIN, Role.DISTRICT_LEADER)
                   or (actor.role is Role.PRINCIPAL and actor.id == school.principal_on(on))
                   or (actor.role is Role.COACH and school.coach_assigned_on(actor.id, on)))
        if not allowed:
            raise Forbidden("this school's roster is for its principal, its coaches and the "
                            "district", field="school_id")
        return school

    # The roster as the API lists it: whom each role sees is ``listing``'s to say ----------

    def roster_regions(self, actor: Actor, on: date) -> dict[str, Any]:
        """The district's regions on ``on``, each with its representative by name."""
        _reads_the_roster(actor)
        self.directory.catch_up()
        self.roster_index.catch_up()
        regions = [{"region_id": str(region), "code": place.sourced_id, "name": place.label,
                    "representative": self._who(self._holder(
                        self.roster_index.representative_of, region, on))}
                   for region, place in self.directory.regions.items()]
        regions.sort(key=lambda r: (str(r["name"]).casefold(), r["region_id"]))
        return {"on": on.isoformat(), "regions": regions}

    def roster_schools(self, actor: Actor, on: date,
                       region: UUID | None = None) -> dict[str, Any]:
        """The district's schools on ``on`` (or one region's), each with its region and its
        principal by name."""
        _reads_the_roster(actor)
        self.directory.catch_up()
        self.roster_index.catch_up()
        if region is not None and region not in self.directory.regions:
            raise NotFound(f"there is no region {region}", field="region_id")
        schools = []
        for school, place in self.directory.schools.items():
            in_region = place.region.on(on)
            if region is not None and in_region != region:
                continue
            schools.append({
                "school_id": str(school), "sourced_id": place.sourced_id, "name": place.label,
                "region": None if in_region is None else {
                    "region_id": str(in_region), "name": self.directory.places.get(in_region)},
                "principal": self._who(self._holder(self.roster_index.principal_of, school,
                                                    on))})
        schools.sort(key=lambda s: (str(s["name"]).casefold(), s["school_id"]))
        return {"on": on.isoformat(), "schools": schools}

    def roster_unset(self, actor: Actor, on: date) -> dict[str, Any]:
        """What no SIS export says and the roster still lacks on ``on``: schools without a
        region, a coach or a principal, regions without a representative, whether anyone
        leads coaching, and district IT besides the caller (who imported the export)."""
        _district_it(actor)
        self.directory.catch_up()
        held = self.roster_index.everyone_on(on)
        taken: dict[Role, set[UUID | None]] = {}
        for places in held.values():
            for role, place in places:
                taken.setdefault(role, set()).add(place)

        def schools(lacking: Callable[[UUID], bool]) -> list[dict[str, Any]]:
            found = [{"school_id": str(school), "name": place.label}
                     for school, place in self.directory.schools.items() if lacking(school)]
            return sorted(found, key=lambda s: (str(s["name"]).casefold(), s["school_id"]))

        no_region = schools(lambda s: self.directory.schools[s].region.on(on) is None)
        no_coach = schools(lambda s: s not in taken.get(Role.COACH, set()))
        no_principal = schools(lambda s: s not in taken.get(Role.PRINCIPAL, set()))
        no_rep = sorted(({"region_id": str(region), "name": place.label}
                         for region, place in self.directory.regions.items()
                         if region not in taken.get(Role.CLT_REP, set())),
                        key=lambda r: (str(r["name"]).casefold(), r["region_id"]))
        leaders = sum(1 for places in held.values()
                      if any(role is Role.DISTRICT_LEADER for role, _ in places))
        others = sum(1 for person, places in held.items() if person != actor.id
                     and any(role is Role.IT_ADMIN for role, _ in places))
        return {"on": on.isoformat(), "schools_without_region": no_region,
                "schools_without_coach": no_coach, "schools_without_principal": no_principal,
                "regions_without_representative": no_rep, "district_leaders": leaders,
                "other_it_admins": others,
                "complete": not (no_region or no_coach or no_principal or no_rep)
                and leaders > 0 and others > 0}

    def roster_people(self, actor: Actor, on: date, role: Role | None = None,
                      school: UUID | None = None, region: UUID | None = None,
                      page: int = 1, limit: int = 100) -> dict[str, Any]:
        """The people holding a role on ``on`` whom ``actor`` sees, by name, filtered by
        ``role``, ``school`` and ``region``: page ``page`` of ``limit``."""
        self.directory.catch_up()
        everyone = self.roster_index.everyone_on(on)
        regions = self._school_regions(on)
        scope = listing.scope_of(actor, everyone.get(actor.id, []), regions)
        if actor.role in (Role.COACH, Role.TEACHER):  # themselves only, not a listing
            raise Forbidden(scope.why, field="role")
        for place, known, what in ((school, self.directory.schools, "school_id"),
                                   (region, self.directory.regions, "region_id")):
            if place is None:
                continue
            if place not in known:
                raise NotFound(f"there is no {what[:-3]} {place}", field=what)
            if not scope.covers(place):
                raise Forbidden(scope.why, field=what)
        found = [(person, places) for person, places in everyone.items()
                 if scope.sees(person, places)
                 and listing.matches(places, role, school, region, regions)]
        # Ordered by name alone, and only the page's people shown whole: a district's
        # thousands were each made whole for every page.
        found.sort(key=lambda held: listing.by_name(self._names_of(held[0])))
        paged = listing.page_of(found, page, limit)
        people = [self._person(person, places) for person, places in paged.pop("items")]
        return {"on": on.isoformat(), "people": people, **paged}

    def roster_person(self, actor: Actor, person: UUID, on: date) -> dict[str, Any]:
        """One person and their roles on ``on``, for whom ``actor`` sees (404: nobody the
        roster knows; 403: someone they do not see)."""
        self.directory.catch_up()
        if person not in self.directory.people and not self.roster_index.ever_named(person):
            raise NotFound(f"there is no person {person} on the roster", field="person_id")
        places = self.roster_index.places_on(person, on)
        regions = self._school_regions(on) if actor.role is Role.CLT_REP else {}
        scope = listing.scope_of(actor, self.roster_index.places_on(actor.id, on), regions)
        if not scope.sees(person, places):
            raise Forbidden(scope.why, field="person_id")
        return {"on": on.isoformat(), **self._person(person, places)}

    def _school_regions(self, on: date) -> dict[UUID, UUID | None]:
        return {school: place.region.on(on) for school, place in self.directory.schools.items()}

    @staticmethod
    def _holder(holders: dict[UUID, History[UUID]], place: UUID, on: date) -> UUID | None:
        found = holders.get(place)
        return None if found is None else found.on(on)

    def _who(self, person: UUID | None) -> dict[str, Any] | None:
        """A principal or a representative: their id, and their name unless forgotten."""
        if person is None:
            return None
        entry = self.directory.people.get(person)
        return {"person_id": str(person), "name": None if entry is None else entry.name}

    def _names_of(self, person: UUID) -> dict[str, Any]:
        entry = self.directory.people.get(person)  # None: appointed, not in users.csv
        if entry is None:
            return listing.names_view(person, None, None, None, False)
        return listing.names_view(person, entry.sourced_id, entry.given_name,
                                  entry.family_name, entry.forgotten)

    def _person(self, person: UUID, places: listing.Places) -> dict[str, Any]:
        """A person as the listing shows them, with what they hold (nothing once forgotten)."""
        names = self._names_of(person)
        return {**names, **listing.roles_view([] if names["forgotten"] else places,
                                              self.directory.places.get)}

    def me(self, actor: Actor, today: date, school_year: int) -> dict[str, Any]:
        """Who the signed-in person is, for their app: their name, and the schools where
        they hold the role they signed in with, each with its people by name as their role
        needs them (a coach and a principal the teachers and coaches; a teacher the school's
        coaches) and the coaching agreements of its coaches for this school year."""
        self.directory.catch_up()
        if actor.id not in self.directory.people:
            raise NotFound("you are not on the district's roster", field="actor")
        entry = self.directory.person(actor.id, "", today)
        schools = [place for role, place in self.roster_index.places_on(actor.id, today)
                   if role is actor.role and place is not None
                   and role in (Role.COACH, Role.TEACHER, Role.PRINCIPAL)]

        def named(person: UUID | None) -> dict[str, str] | None:
            if person is None or person not in self.directory.people:
                return None
            found = self.directory.people[person]
            return {"id": str(person),
                    "name": f"{found.given_name} {found.family_name}".strip()}

        def place(school: School) -> dict[str, Any]:
            coaches = [c for c in school.coaches_on(today)
                       if actor.role is not Role.COACH or c == actor.id]
            teachers = (school.teachers_on(today) if actor.role is not Role.TEACHER else [])
            return {"school_id": str(school.id), "label": school.label,
                    "principal": named(school.principal_on(today)),
                    "coaches": [n for n in map(named, school.coaches_on(today)) if n],
                    "teachers": sorted((n for n in map(named, teachers) if n),
                                       key=lambda n: n["name"].split()[-1:]),
                    "agreements": [] if actor.role is Role.TEACHER else [
                        {"coach_id": str(c), "school_year": school_year,
                         "agreement_id": str(coaching_agreement_id(c, school.id, school_year))}
                        for c in coaches]}

        def read(unit: UnitOfWork) -> list[School]:
            return [stored(unit, School, school, "school_id") for school in schools]

        found = self._within(read)
        return {"person_id": str(actor.id), "role": actor.role.value,
                "given_name": entry["given_name"], "family_name": entry["family_name"],
                "roles": entry["roles"], "today": today.isoformat(),
                "school_year": school_year, "schools": [place(s) for s in found]}

    # Helpers -------------------------------------------------------------------------------

    def _within(self, decide: Callable[[UnitOfWork], T], unit: UnitOfWork | None = None) -> T:
        return self.within(unit, decide, Conflict(
            "the same agreement or roster was changed at the same moment; try again"))



ABANDONED = ("nothing was imported: the agreements service stopped during the import, "
             "before saving anything; send the files again")


def _reads_the_roster(actor: Actor) -> None:
    """Regions and schools: the district's structure and who heads each school, which every
    school's own website says; for all but a teacher, whose app names their school."""
    if actor.role is Role.TEACHER:
        raise Forbidden("a teacher's school comes with their app (GET /me)", field="role")


def _district_it(actor: Actor) -> None:
    if actor.role is not Role.IT_ADMIN:
        raise Forbidden("district IT imports the roster", field="actor")


def stored(unit: UnitOfWork, kind: type[A], aggregate_id: UUID, field: str) -> A:
    what = kind.__name__.lower().replace("coachingagreement", "coaching agreement")
    return unit.get(aggregate_id, kind, NotFound(f"there is no {what} {aggregate_id}",
                                                 field=field))

