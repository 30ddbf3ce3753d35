"""The time-tracking service layer: read, decide, save, in one unit of work
(``coachops.unit_of_work``). Thin on purpose.

Every command decides again from the store when another worker saved the same aggregate
first (optimistic concurrency): that is what keeps two devices syncing one coach's day
from slipping an overlap past each other. After a few lost races it answers Conflict.

What a command only reads and hardly ever changes, the district's category list and a
coach's school assignments, is kept per process by the application's repository and
brought up to date from the store before each use, instead of being replayed every time.

The items of a coach's offline batch share one unit of work (``coachops.sync_batch``):
each is decided on what the items before it changed, and all are saved together at its
end with their client ids. The entry locations and days they name are read in one
statement before the first (``read_ahead``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, time, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import JSONTranscoder

from coachops.application import AsISO, FieldsAsDict, ServiceApplication
from coachops.errors import Conflict, NotFound
from coachops.identity import Actor
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.timetracking import csv_import, domain
from services.timetracking.domain import (
    CATEGORY_LIST_ID,
    Category,
    CategoryList,
    CoachAssignments,
    CoachDay,
    EntryLocation,
    EntryValues,
    assignments_id,
    day_id,
    require_own,
    synced_entry_id,
)

T = TypeVar("T")


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def unnamed(coach_id: UUID) -> CoachAssignments:
    """A coach the roster has not (yet) told us of: no school is theirs, so their time is
    refused until it does (never left unchecked)."""
    return CoachAssignments(coach_id=coach_id)


class TimeTracking(ServiceApplication):
    personal_data = domain.PERSONAL_DATA
    kept_between_commands = (CategoryList, CoachAssignments)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(AsISO(time, "time_iso"))
        transcoder.register(FieldsAsDict(EntryValues, "entry_values"))

    # Categories ----------------------------------------------------------------------------

    def category_list(self) -> CategoryList:
        """The district's list as stored now; seeded with the defaults the first time
        anyone needs it."""
        return self._within(None, self._categories)

    def _categories(self, unit: UnitOfWork) -> CategoryList:
        found = unit.find(CATEGORY_LIST_ID, CategoryList)
        if found is None:  # saved with the unit (another worker seeding it first: a retry)
            found = CategoryList.seeded()
            unit.add(found)
        return found

    def add_category(self, actor: Actor, label: str, kind: str,
                     category_id: str | None = None) -> Category:
        return self._change_categories(lambda c: c.add(actor, label, kind, category_id))

    def rename_category(self, actor: Actor, category_id: str, label: str) -> Category:
        return self._change_categories(lambda c: c.rename(actor, category_id, label))

    def retire_category(self, actor: Actor, category_id: str) -> Category:
        return self._change_categories(lambda c: c.retire(actor, category_id))

    def _change_categories(self, change: Callable[[CategoryList], Category]) -> Category:
        def decide(unit: UnitOfWork) -> Category:
            categories = self._categories(unit)
            category = change(categories)
            unit.add(categories)
            return category

        return self._within(None, decide)

    # Entries -------------------------------------------------------------------------------

    def record_entry(self, actor: Actor, coach_id: UUID, values: EntryValues, today: date,
                     entry_id: UUID | None = None, once: Once | None = None,
                     unit: UnitOfWork | None = None) -> Answer[UUID]:
        require_own(actor, coach_id)
        if entry_id is None and once is not None:
            entry_id = synced_entry_id(coach_id, once.client_id)
        the_entry = entry_id or uuid4()

        def decide(unit: UnitOfWork) -> Answer[UUID]:
            # All it reads, in one statement (in a batch, read ahead for every item).
            unit.read_ahead([the_entry, day_id(coach_id, values.worked_on), CATEGORY_LIST_ID,
                             assignments_id(coach_id)])
            location = unit.find(the_entry, EntryLocation)
            if location is not None:
                if _applied_before(location, coach_id, once):
                    return Answer(the_entry, duplicate=True)
                return Answer(self._resent(unit, location, coach_id, the_entry, values))
            day = self._day(unit, coach_id, values.worked_on)
            day.record(actor, the_entry, values, self._categories(unit), today,
                       assignments=self._assignments(unit, coach_id))
            location = _placed(the_entry, coach_id, values.worked_on, once)
            unit.add(day, location)  # the entry and its client id: one commit
            return Answer(the_entry)

        return self._within(unit, decide)

    def correct_entry(self, actor: Actor, entry_id: UUID, changes: Mapping[str, Any],
                      reason: str, today: date, once: Once | None = None,
                      unit: UnitOfWork | None = None) -> Answer[EntryValues]:
        def decide(unit: UnitOfWork) -> Answer[EntryValues]:
            location = _location(unit, entry_id)
            require_own(actor, location.coach_id)
            coach_id = location.coach_id
            new_date = changes.get("worked_on", location.worked_on)
            unit.read_ahead([day_id(coach_id, location.worked_on), day_id(coach_id, new_date),
                             CATEGORY_LIST_ID, assignments_id(coach_id)])
            day = self._day(unit, coach_id, location.worked_on)
            if _applied_before(location, coach_id, once):
                return Answer(day.entries[entry_id].values, duplicate=True)
            categories = self._categories(unit)
            assignments = self._assignments(unit, coach_id)
            if new_date == location.worked_on:
                values = day.correct(actor, entry_id, changes, reason, categories, today,
                                     assignments=assignments)
                _remember(location, once)
                unit.add(day, location)
                return Answer(values)
            target = self._day(unit, coach_id, new_date)
            values = day.correct(actor, entry_id, changes, reason, categories, today,
                                 move_to=target, assignments=assignments)
            location.move(new_date)
            _remember(location, once)
            unit.add(day, target, location)
            return Answer(values)

        return self._within(unit, decide)

    def void_entry(self, actor: Actor, entry_id: UUID, reason: str,
                   once: Once | None = None, unit: UnitOfWork | None = None) -> Answer[None]:
        def decide(unit: UnitOfWork) -> Answer[None]:
            location = _location(unit, entry_id)
            require_own(actor, location.coach_id)
            if _applied_before(location, location.coach_id, once):
                return Answer(None, duplicate=True)
            day = self._day(unit, location.coach_id, location.worked_on)
            day.void(actor, entry_id, reason)
            _remember(location, once)
            unit.add(day, location)  # the void and its client id: one commit
            return Answer(None)

        return self._within(unit, decide)

    def read_ahead(self, unit: UnitOfWork, entry_ids: Iterable[UUID],
                   days: Iterable[tuple[UUID, date]]) -> None:
        """What a batch's items name (entry locations, coach days, the coaches' school
        assignments) and what every item reads (the category list), in one statement
        before the first item."""
        days = list(days)
        unit.read_ahead([*entry_ids, *(day_id(c, on) for c, on in days),
                         *(assignments_id(c) for c, _ in days), CATEGORY_LIST_ID])

    def import_entries(self, actor: Actor, coach_id: UUID, text: str, school_id: UUID | None,
                       today: date) -> list[UUID]:
        """All or nothing: every line checked first, then every day saved in one transaction."""

        def decide(unit: UnitOfWork) -> list[UUID]:
            plan = csv_import.plan_import(
                actor, coach_id, text, school_id, self._categories(unit),
                lambda on: self._day(unit, coach_id, on), today,
                assignments=self._assignments(unit, coach_id),
            )
            unit.add(*plan.days, *plan.locations)
            return plan.entry_ids

        return self._within(None, decide)

    def import_history(self, actor: Actor, text: str, today: date,
                       dry_run: bool) -> csv_import.Plan:
        """District IT's file of the time kept before coachops: all or nothing, every line
        checked first. A dry run decides the same in a unit of work never committed."""

        def decide(unit: UnitOfWork) -> csv_import.Plan:
            plan = csv_import.plan_history(
                actor, text, self._categories(unit), lambda c, on: self._day(unit, c, on),
                today, lambda c: self._assignments(unit, c))
            unit.add(*plan.days, *plan.locations)
            return plan

        if dry_run:
            return decide(self.work())
        return self._within(None, decide)

    # The roster's word on where a coach works ---------------------------------------------

    def learn_assignment(self, coach_id: UUID, school_id: UUID, effective_on: date,
                         assigned: bool) -> bool:
        """A roster fact from the agreements service (it may arrive twice, or late)."""

        def decide(unit: UnitOfWork) -> bool:
            assignments = (unit.find(assignments_id(coach_id), CoachAssignments)
                           or CoachAssignments(coach_id=coach_id))
            if not assignments.learn(school_id, effective_on, assigned):
                return False
            unit.add(assignments)
            return True

        return self._within(None, decide)

    def assignments_of(self, coach_id: UUID) -> CoachAssignments:
        return self._within(None, lambda unit: self._assignments(unit, coach_id))

    @staticmethod
    def _assignments(unit: UnitOfWork, coach_id: UUID) -> CoachAssignments:
        return unit.find(assignments_id(coach_id), CoachAssignments) or unnamed(coach_id)

    # Suggestions from the cycles' calendar -----------------------------------------------

    def suggest_from_calendar(self, coach_id: UUID, item_id: UUID, cycle_id: UUID,
                              school_id: UUID, kind: str, done_on: date, minutes: int) -> bool:
        """A calendar item was done: offer it on the coach's day (once, however often the
        event arrives)."""

        def decide(unit: UnitOfWork) -> bool:
            day = self._day(unit, coach_id, done_on)
            if not day.suggest(item_id, cycle_id, school_id, kind, minutes):
                return False
            unit.add(day)
            return True

        return self._within(None, decide)

    def confirm_suggestion(self, actor: Actor, coach_id: UUID, on: date, item_id: UUID,
                           changes: Mapping[str, Any], today: date, once: Once | None = None,
                           unit: UnitOfWork | None = None) -> Answer[UUID]:
        """The entry the suggestion became. From an app (``once``), the entry's id is made
        from the client id, and its location remembers the command: sent again, a
        duplicate."""
        require_own(actor, coach_id)
        entry_id = uuid4() if once is None else synced_entry_id(coach_id, once.client_id)

        def decide(unit: UnitOfWork) -> Answer[UUID]:
            unit.read_ahead([day_id(coach_id, on), CATEGORY_LIST_ID, entry_id])
            location = unit.find(entry_id, EntryLocation)
            if location is not None and _applied_before(location, coach_id, once):
                return Answer(entry_id, duplicate=True)
            day = self._day(unit, coach_id, on)
            recorded = day.confirm(actor, item_id, entry_id, self._categories(unit), today,
                                   changes)
            if recorded == entry_id:
                location = _placed(entry_id, coach_id, on, once)
                unit.add(day, location)  # the entry and its client id: one commit
            return Answer(recorded)

        return self._within(unit, decide)

    def dismiss_suggestion(self, actor: Actor, coach_id: UUID, on: date, item_id: UUID,
                           once: Once | None = None,
                           unit: UnitOfWork | None = None) -> Answer[None]:
        require_own(actor, coach_id)

        def decide(unit: UnitOfWork) -> Answer[None]:
            day = self._day(unit, coach_id, on)
            if not day.dismiss(actor, item_id, None if once is None else once.client_id):
                return Answer(None, duplicate=True)
            unit.add(day)  # the dismissal and its client id: one commit
            return Answer(None)

        return self._within(unit, decide)

    # Queries -------------------------------------------------------------------------------

    def coach_day(self, actor: Actor, coach_id: UUID, on: date) -> CoachDay:
        require_own(actor, coach_id)
        return self._within(None, lambda unit: self._day(unit, coach_id, on))

    def coach_week(self, actor: Actor, coach_id: UUID, on: date) -> list[CoachDay]:
        require_own(actor, coach_id)

        def read(unit: UnitOfWork) -> list[CoachDay]:
            unit.read_ahead(day_id(coach_id, day) for day in week_of(on))
            return [self._day(unit, coach_id, day) for day in week_of(on)]

        return self._within(None, read)

    # Helpers -------------------------------------------------------------------------------

    @staticmethod
    def _day(unit: UnitOfWork, coach_id: UUID, on: date) -> CoachDay:
        return (unit.find(day_id(coach_id, on), CoachDay)
                or CoachDay(coach_id=coach_id, worked_on=on))  # saved with its first entry

    def _resent(self, unit: UnitOfWork, location: EntryLocation, coach_id: UUID,
                entry_id: UUID, values: EntryValues) -> UUID:
        """An entry id seen before: the same entry sent again (an offline app retrying) is
        recorded once; anything else reusing the id is a conflict."""
        if location.coach_id == coach_id:
            day = self._day(unit, coach_id, location.worked_on)
            entry = day.entries.get(entry_id)
            if entry is not None and not entry.voided and entry.values == values:
                return entry_id
        raise Conflict(f"entry {entry_id} is already recorded with other values",
                       field="entry_id")

    def _within(self, unit: UnitOfWork | None, decide: Callable[[UnitOfWork], T]) -> T:
        return self.within(unit, decide, Conflict(
            "the same entries were changed at the same moment; try again"))


def _location(unit: UnitOfWork, entry_id: UUID) -> EntryLocation:
    # Any other aggregate with this id is not an entry (and a record with it conflicts).
    return unit.get(entry_id, EntryLocation,
                    NotFound(f"there is no time entry {entry_id}", field="entry_id"))


def _applied_before(location: EntryLocation, coach_id: UUID, once: Once | None) -> bool:
    """Whether this command, sent from an app, was applied to the entry already."""
    if once is None or location.coach_id != coach_id:
        return False
    return location.applied_before(once.client_id, once.command)


def _placed(entry_id: UUID, coach_id: UUID, on: date, once: Once | None) -> EntryLocation:
    """A new entry's location, with the app's command that placed it (one stored event)."""
    if once is None:
        return EntryLocation(entry_id=entry_id, coach_id=coach_id, worked_on=on)
    return EntryLocation(entry_id=entry_id, coach_id=coach_id, worked_on=on,
                         client_id=once.client_id, command=once.command)


def _remember(location: EntryLocation, once: Once | None) -> None:
    if once is not None:
        location.remember(once.client_id, once.command)
