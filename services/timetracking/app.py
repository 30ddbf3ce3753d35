"""The time-tracking service layer: load, decide, save. Thin on purpose.

Every command reloads and decides again when another worker saved the same aggregate
first (optimistic concurrency): that is what keeps two devices syncing one coach's day
from slipping an overlap past each other. After a few lost races it answers Conflict.

What a command only reads and hardly ever changes, the district's category list and a
coach's school assignments, is kept per process (``ReadCache``) and brought up to date
from the store before each use, instead of being reloaded and replayed every time.

The items of a coach's offline batch (``Once.batch``) are decided one after the other on
what the batch changed so far, and saved together at its end, in one transaction with
their client ids (``coachops.commands.sync.apply_batch``). The entry locations and days
they name are read in one statement before the first (``read_ahead``), and checked in one
more before the save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, time, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    Transcoding,
)

from coachops.application import ServiceApplication
from coachops.commands.sync import Batch, Once
from coachops.errors import Conflict, NotFound
from coachops.identity import Actor
from coachops.read_cache import ReadCache
from coachops.store import PostgresAggregateRecorder
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

log = logging.getLogger(__name__)

T = TypeVar("T")


class TimeAsISO(Transcoding):
    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


class EntryValuesAsDict(Transcoding):
    type = EntryValues
    name = "entry_values"

    def encode(self, obj: EntryValues) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> EntryValues:
        return EntryValues(**data)


@dataclass
class ReadAhead:
    """The entry locations and coach days a batch's items name, read for all of them in one
    statement before the first item (``TimeTracking.read_ahead``), in place of a read each.

    An item that changes an aggregate it took has it saved with the batch, and the next
    items find it among the batch's changes; one that changed it and was refused leaves
    events pending on it, and the next item reads for itself, as it would have. The
    versions of those handed out are checked once more before the batch is saved
    (``Batch.checks``)."""

    found: dict[UUID, Any] = field(default_factory=dict)  # id -> aggregate, None: not stored
    versions: dict[UUID, int] = field(default_factory=dict)  # as read; 0: not stored
    used: dict[UUID, int] = field(default_factory=dict)  # handed out, at the version read

    def take(self, aggregate_id: UUID) -> tuple[bool, Any]:
        """(read ahead?, the aggregate or None)."""
        if aggregate_id not in self.versions:
            return False, None
        self.used[aggregate_id] = self.versions[aggregate_id]
        aggregate = self.found.get(aggregate_id)
        if aggregate is None:
            return aggregate_id in self.found, None  # not stored
        if aggregate.pending_events:  # changed by an item that was then refused
            del self.found[aggregate_id]
            return False, None
        return True, aggregate


READ_AHEAD = "read-ahead"  # its key in ``Batch.read``


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def unnamed(coach_id: UUID) -> CoachAssignments:
    """A coach the roster has not (yet) told us of: no school is theirs, so their time is
    refused until it does (never left unchecked)."""
    return CoachAssignments(coach_id=coach_id)


class TimeTracking(ServiceApplication):
    personal_data = domain.PERSONAL_DATA

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_cache = ReadCache(self.repository)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(TimeAsISO())
        transcoder.register(EntryValuesAsDict())

    # Categories ----------------------------------------------------------------------------

    def category_list(self) -> CategoryList:
        """The district's list as stored now, to read only (``ReadCache``); seeded with the
        defaults the first time anyone needs it."""
        try:
            stored: CategoryList = self.read_cache.get(CATEGORY_LIST_ID)
            return stored
        except AggregateNotFoundError:
            pass
        self._seeded_category_list()
        seeded: CategoryList = self.read_cache.get(CATEGORY_LIST_ID)
        return seeded

    def _own_category_list(self) -> CategoryList:
        """A copy of the list of this command's own, to change and save."""
        try:
            return self.repository.get(CATEGORY_LIST_ID)
        except AggregateNotFoundError:
            return self._seeded_category_list()

    def _seeded_category_list(self) -> CategoryList:
        seeded = CategoryList.seeded()
        try:
            self.save(seeded)
        except IntegrityError:  # another worker seeded it first
            return self.repository.get(CATEGORY_LIST_ID)
        return seeded

    def add_category(self, actor: Actor, label: str, kind: str,
                     category_id: str | None = None) -> Category:
        return self._change_categories(lambda c: c.add(actor, label, kind, category_id))

    def rename_category(self, actor: Actor, category_id: str, label: str) -> Category:
        return self._change_categories(lambda c: c.rename(actor, category_id, label))

    def retire_category(self, actor: Actor, category_id: str) -> Category:
        return self._change_categories(lambda c: c.retire(actor, category_id))

    def _change_categories(self, change: Callable[[CategoryList], Category]) -> Category:
        def attempt() -> Category:
            categories = self._own_category_list()
            category = change(categories)
            self.save(categories)
            self.read_cache.saved(categories)
            return category

        return self._retrying(attempt)

    # Entries -------------------------------------------------------------------------------

    def record_entry(self, actor: Actor, coach_id: UUID, values: EntryValues, today: date,
                     entry_id: UUID | None = None, once: Once | None = None) -> UUID:
        require_own(actor, coach_id)
        if entry_id is None and once is not None:
            entry_id = synced_entry_id(coach_id, once.client_id)
        entry_id = entry_id or uuid4()

        def attempt() -> UUID:
            batched = once is not None and once.batch is not None
            if not batched:  # all it reads, in one statement
                location, day, categories, assignments = self._to_record(
                    entry_id, coach_id, values.worked_on)
            else:  # a batch's item: much of it from the batch
                location = self._location_or_none(entry_id, once)
            if location is not None:
                if self._applied_before(location, coach_id, once):
                    return entry_id
                return self._resent(location, coach_id, entry_id, values, once)
            if batched:
                day = self._working_day(coach_id, values.worked_on, once)
                categories = self._categories(once)
                assignments = self._assignments(coach_id, once)
            day.record(actor, entry_id, values, categories, today, assignments=assignments)
            location = EntryLocation(entry_id=entry_id, coach_id=coach_id,
                                     worked_on=values.worked_on)
            self._remember(location, once)
            self._save(once, day, location)
            self._keep(once, day)
            return entry_id

        return self._retrying(attempt)

    def correct_entry(self, actor: Actor, entry_id: UUID, changes: Mapping[str, Any],
                      reason: str, today: date, once: Once | None = None) -> EntryValues:
        def attempt() -> EntryValues:
            location = self._location(entry_id, once)
            require_own(actor, location.coach_id)
            day = self._working_day(location.coach_id, location.worked_on, once)
            if self._applied_before(location, location.coach_id, once):
                self._keep(once, day)
                return day.entries[entry_id].values
            new_date = changes.get("worked_on", location.worked_on)
            if new_date == location.worked_on:
                values = day.correct(actor, entry_id, changes, reason, self._categories(once),
                                     today,
                                     assignments=self._assignments(location.coach_id, once))
                self._remember(location, once)
                self._save(once, day, location)
                self._keep(once, day)
                return values
            target = self._working_day(location.coach_id, new_date, once)
            values = day.correct(actor, entry_id, changes, reason, self._categories(once),
                                 today, move_to=target,
                                 assignments=self._assignments(location.coach_id, once))
            location.move(new_date)
            self._remember(location, once)
            self._save(once, day, target, location)
            self._keep(once, day, target)
            return values

        return self._retrying(attempt)

    def void_entry(self, actor: Actor, entry_id: UUID, reason: str,
                   once: Once | None = None) -> None:
        def attempt() -> None:
            location = self._location(entry_id, once)
            require_own(actor, location.coach_id)
            if self._applied_before(location, location.coach_id, once):
                return
            day = self._working_day(location.coach_id, location.worked_on, once)
            day.void(actor, entry_id, reason)
            self._remember(location, once)
            self._save(once, day, location)  # the void and its client id: one commit
            self._keep(once, day)

        self._retrying(attempt)

    @staticmethod
    def _applied_before(location: EntryLocation, coach_id: UUID, once: Once | None) -> bool:
        """Whether this command, sent from an app, was applied to the entry already."""
        if once is None or location.coach_id != coach_id:
            return False
        once.duplicate = location.applied_before(once.client_id, once.command)
        return once.duplicate

    @staticmethod
    def _remember(location: EntryLocation, once: Once | None) -> None:
        if once is not None:
            location.remember(once.client_id, once.command)

    def _save(self, once: Once | None, *aggregates: Any) -> None:
        """Saved now, or with the rest of the offline batch the command came in
        (``coachops.commands.sync.Batch``)."""
        if once is not None and once.batch is not None:
            once.batch.collect(self.save, *aggregates)
        else:
            self.save(*aggregates)

    def _to_record(self, entry_id: UUID, coach_id: UUID, on: date) -> tuple[
            EntryLocation | None, CoachDay, CategoryList, CoachAssignments | None]:
        """What recording one entry reads, in one read of the store: whether the entry is
        known already, the coach's day (its own copy, to change), and through the read
        cache the category list and the coach's assignments."""
        the_day, the_assignments = day_id(coach_id, on), assignments_id(coach_id)
        found = self.read_cache.read([CATEGORY_LIST_ID, the_assignments],
                                     whole=[entry_id, the_day])
        location = found.get(entry_id)
        day = found.get(the_day)
        categories = found.get(CATEGORY_LIST_ID)
        return (location if isinstance(location, EntryLocation) else None,
                day if isinstance(day, CoachDay) else CoachDay(coach_id=coach_id, worked_on=on),
                categories if isinstance(categories, CategoryList) else self.category_list(),
                found.get(the_assignments) or unnamed(coach_id))

    @staticmethod
    def _changed(once: Once | None, aggregate_id: UUID) -> Any:
        """What the command's batch changed and has not saved yet, if anything."""
        if once is None or once.batch is None:
            return None
        return once.batch.changed.get(aggregate_id)

    def _categories(self, once: Once | None) -> CategoryList:
        """The category list, read once per batch (every item decided on the same one)."""
        if once is None or once.batch is None:
            return self.category_list()
        read = once.batch.read
        if CATEGORY_LIST_ID not in read:
            read[CATEGORY_LIST_ID] = self.category_list()
        categories: CategoryList = read[CATEGORY_LIST_ID]
        return categories

    @staticmethod
    def _keep(once: Once | None, *days: CoachDay) -> None:
        """Saved days, for the batch's next items to start from (see ``Once.loaded``)."""
        if once is not None:
            once.loaded.update((day.id, day) for day in days)

    def import_entries(self, actor: Actor, coach_id: UUID, text: str, school_id: UUID | None,
                       today: date) -> list[UUID]:
        """All or nothing: every line checked first, then every day saved in one transaction."""

        def attempt() -> list[UUID]:
            plan = csv_import.plan_import(
                actor, coach_id, text, school_id, self.category_list(),
                lambda on: self._day(coach_id, on), today,
                assignments=self._assignments(coach_id),
            )
            self.save(*plan.days, *plan.locations)
            return plan.entry_ids

        return self._retrying(attempt)

    # The roster's word on where a coach works ---------------------------------------------

    def learn_assignment(self, coach_id: UUID, school_id: UUID, effective_on: date,
                         assigned: bool) -> bool:
        """A roster fact from the agreements service (it may arrive twice, or late)."""

        def attempt() -> bool:
            try:  # its own copy, to change
                assignments: CoachAssignments = self.repository.get(assignments_id(coach_id))
            except AggregateNotFoundError:
                assignments = CoachAssignments(coach_id=coach_id)
            if not assignments.learn(school_id, effective_on, assigned):
                return False
            self.save(assignments)
            self.read_cache.saved(assignments)  # the roster's news: the next entry reads it
            return True

        return self._retrying(attempt)

    def assignments_of(self, coach_id: UUID) -> CoachAssignments | None:
        return self._assignments(coach_id)

    def _assignments(self, coach_id: UUID, once: Once | None = None) -> CoachAssignments | None:
        """The coach's assignments as stored now, to read only (``ReadCache``); read once
        per batch."""
        if once is not None and once.batch is not None:
            read = once.batch.read
            key = assignments_id(coach_id)
            if key not in read:
                read[key] = self._assignments(coach_id)
            known: CoachAssignments | None = read[key]
            return known
        try:
            stored: CoachAssignments = self.read_cache.get(assignments_id(coach_id))
            return stored
        except AggregateNotFoundError:
            return unnamed(coach_id)

    # Suggestions from the cycles' calendar -----------------------------------------------

    def suggest_from_calendar(self, coach_id: UUID, item_id: UUID, cycle_id: UUID,
                              school_id: UUID, kind: str, done_on: date, minutes: int) -> bool:
        """A calendar item was done: offer it on the coach's day (once, however often the
        event arrives)."""

        def attempt() -> bool:
            day = self._day(coach_id, done_on)
            if not day.suggest(item_id, cycle_id, school_id, kind, minutes):
                return False
            self.save(day)
            return True

        return self._retrying(attempt)

    def confirm_suggestion(self, actor: Actor, coach_id: UUID, on: date, item_id: UUID,
                           changes: Mapping[str, Any], today: date) -> UUID:
        require_own(actor, coach_id)
        entry_id = uuid4()

        def attempt() -> UUID:
            day = self._day(coach_id, on)
            recorded = day.confirm(actor, item_id, entry_id, self.category_list(), today,
                                   changes)
            if recorded == entry_id:
                self.save(day, EntryLocation(entry_id=entry_id, coach_id=coach_id,
                                             worked_on=on))
            return recorded

        return self._retrying(attempt)

    def dismiss_suggestion(self, actor: Actor, coach_id: UUID, on: date, item_id: UUID) -> None:
        require_own(actor, coach_id)

        def attempt() -> None:
            day = self._day(coach_id, on)
            day.dismiss(actor, item_id)
            self.save(day)

        self._retrying(attempt)

    # Queries -------------------------------------------------------------------------------

    def coach_day(self, actor: Actor, coach_id: UUID, on: date) -> CoachDay:
        require_own(actor, coach_id)
        return self._day(coach_id, on)

    def coach_week(self, actor: Actor, coach_id: UUID, on: date) -> list[CoachDay]:
        require_own(actor, coach_id)
        return [self._day(coach_id, day) for day in week_of(on)]

    # Helpers -------------------------------------------------------------------------------

    def _working_day(self, coach_id: UUID, on: date, once: Once | None) -> CoachDay:
        """The coach's day: as this batch last saved it (``once``), or as stored."""
        changed = self._changed(once, day_id(coach_id, on))
        if isinstance(changed, CoachDay):
            return changed
        if once is not None:
            kept = once.loaded.pop(day_id(coach_id, on), None)
            if isinstance(kept, CoachDay):
                return kept
        return self._day(coach_id, on, once)

    def _day(self, coach_id: UUID, on: date, once: Once | None = None) -> CoachDay:
        ahead, found = self._taken(once, day_id(coach_id, on))
        if ahead and found is None:
            return CoachDay(coach_id=coach_id, worked_on=on)
        if isinstance(found, CoachDay):
            return found
        try:
            return self.repository.get(day_id(coach_id, on))
        except AggregateNotFoundError:
            return CoachDay(coach_id=coach_id, worked_on=on)  # saved with its first entry

    def _location_or_none(self, entry_id: UUID,
                          once: Once | None = None) -> EntryLocation | None:
        changed = self._changed(once, entry_id)
        if isinstance(changed, EntryLocation):
            return changed
        ahead, found = self._taken(once, entry_id)
        if ahead:
            return found if isinstance(found, EntryLocation) else None
        try:
            found = self.repository.get(entry_id)
        except AggregateNotFoundError:
            return None
        # Any other aggregate with this id is not an entry (and a record with it conflicts).
        return found if isinstance(found, EntryLocation) else None

    def _location(self, entry_id: UUID, once: Once | None = None) -> EntryLocation:
        location = self._location_or_none(entry_id, once)
        if location is None:
            raise NotFound(f"there is no time entry {entry_id}", field="entry_id")
        return location

    # Reading a batch's aggregates ahead --------------------------------------------------

    def read_ahead(self, batch: Batch, entry_ids: Iterable[UUID],
                   days: Iterable[tuple[UUID, date]]) -> None:
        """Read the entry locations and coach days a batch's items name, all in one
        statement, for its items to take instead of reading each (``ReadAhead``). What an
        item took is checked again before the batch is saved. If the read fails, each item
        reads for itself, as without it."""
        ids = list(dict.fromkeys([*entry_ids, *(day_id(c, on) for c, on in days)]))
        if not ids:
            return
        try:
            found = self.read_cache.read([], whole=ids)
        except Exception:
            log.warning("reading a batch's %d aggregates ahead failed; its items read each",
                        len(ids), exc_info=True)
            return
        ahead = ReadAhead()
        for aggregate_id in ids:
            aggregate = found.get(aggregate_id)
            ahead.found[aggregate_id] = aggregate
            ahead.versions[aggregate_id] = 0 if aggregate is None else aggregate.version
        batch.read[READ_AHEAD] = ahead
        batch.checks.append(lambda: self._unchanged_since(ahead.used))

    def _unchanged_since(self, versions: Mapping[UUID, int]) -> bool:
        """Whether the store holds no event of these aggregates after these versions: in
        one statement on the PostgreSQL store, else one read each. Not known (the read
        failed) counts as changed: the batch is then applied item by item."""
        if not versions:
            return True
        recorder = self.recorder
        try:
            if isinstance(recorder, PostgresAggregateRecorder):
                newer = recorder.select_events_after(versions)
                return not any(newer.values())
            return not any(recorder.select_events(i, gt=v, limit=1)
                           for i, v in versions.items())
        except (OperationalError, InterfaceError):
            log.warning("checking what a batch read ahead failed; applying it item by item",
                        exc_info=True)
            return False

    @staticmethod
    def _taken(once: Once | None, aggregate_id: UUID) -> tuple[bool, Any]:
        """What the command's batch read ahead of this aggregate (``ReadAhead.take``)."""
        if once is None or once.batch is None:
            return False, None
        ahead = once.batch.read.get(READ_AHEAD)
        if not isinstance(ahead, ReadAhead):
            return False, None
        return ahead.take(aggregate_id)

    def _resent(self, location: EntryLocation, coach_id: UUID, entry_id: UUID,
                values: EntryValues, once: Once | None = None) -> UUID:
        """An entry id seen before: the same entry sent again (an offline app retrying) is
        recorded once; anything else reusing the id is a conflict."""
        if location.coach_id == coach_id:
            day = self._changed(once, day_id(coach_id, location.worked_on))
            if not isinstance(day, CoachDay):
                day = self._day(coach_id, location.worked_on, once)
            entry = day.entries.get(entry_id)
            if entry is not None and not entry.voided and entry.values == values:
                return entry_id
        raise Conflict(f"entry {entry_id} is already recorded with other values",
                       field="entry_id")

    def _retrying(self, attempt: Callable[[], T]) -> T:
        return self.retrying(attempt, Conflict(
            "the same entries were changed at the same moment; try again"))
