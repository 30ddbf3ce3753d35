"""One coach's time entries on one date (see ``services.timetracking.domain``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.timetracking.domain.assignments import CoachAssignments
from services.timetracking.domain.categories import Category, CategoryList, Kind
from services.timetracking.domain.entries import (
    DEFAULT_SUGGESTED_CATEGORY,
    SUGGESTED_CATEGORY,
    Change,
    Entry,
    EntryValues,
    Suggestion,
    require_own,
)
from services.timetracking.domain.ids import day_id
from services.timetracking.domain.written import written

MINUTES_IN_A_DAY = 24 * 60
# An entry's first line of history: logged by its coach, or imported by district IT.
_RECORDED = {"live": "recorded", "imported": "imported"}
MAX_REASON = 500


def _reason(reason: str) -> str:
    return written(reason.strip(), "reason", MAX_REASON, "say why: the reason is empty")


class CoachDay(Aggregate):
    """One coach's time entries on one date: the boundary of the overlap and 24-hour rules."""

    __module__ = "services.timetracking.domain"  # the topic its stored events name
    create_id = staticmethod(day_id)

    @event("Opened")
    def __init__(self, coach_id: UUID, worked_on: date) -> None:
        self.coach_id = coach_id
        self.worked_on = worked_on
        self.entries: dict[UUID, Entry] = {}
        self.suggestions: dict[UUID, Suggestion] = {}

    # Queries -----------------------------------------------------------------------------

    def live(self) -> list[Entry]:
        """Entries that count (not voided): timed ones by start, then the others."""
        entries = [e for e in self.entries.values() if not e.voided]
        return sorted(entries, key=lambda e: (not e.values.timed, e.values.start or time()))

    def logged_minutes(self, excluding: UUID | None = None) -> int:
        return sum(e.values.minutes for e in self.live() if e.entry_id != excluding)

    def pending(self) -> list[Suggestion]:
        return [s for s in self.suggestions.values() if s.status == "pending"]

    def clash(self, values: EntryValues, excluding: UUID | None = None) -> Entry | None:
        """The first live entry whose times overlap ``values`` (touching ends do not)."""
        if not values.timed:
            return None
        assert values.start is not None and values.end is not None
        for other in self.live():
            if other.entry_id == excluding or not other.values.timed:
                continue
            assert other.values.start is not None and other.values.end is not None
            if values.start < other.values.end and other.values.start < values.end:
                return other
        return None

    def check(
        self,
        values: EntryValues,
        categories: CategoryList,
        today: date,
        excluding: UUID | None = None,
        category_changed: bool = True,
        assignments: CoachAssignments | None = None,
    ) -> Category:
        """The rules an entry must keep on this day; returns its category. ``assignments``
        is the roster's word on the coach's schools; None leaves the school unchecked, for
        the rules alone (the application always passes the roster's word, an empty one for
        a coach it has not named: ``services.timetracking.app.unnamed``)."""
        if values.worked_on != self.worked_on:
            raise ValueError(f"an entry of {values.worked_on} checked on {self.worked_on}")
        if values.worked_on > today:
            raise Invalid(f"{values.worked_on} is after today ({today}): log time once it is"
                          " spent", field="worked_on")
        if assignments is not None:
            assignments.require(values.school_id, values.worked_on)
        # A retired category stays on old entries; only a new choice must be active.
        if category_changed:
            category = categories.usable(values.category_id)
        else:
            category = categories.get(values.category_id)
        other = self.clash(values, excluding)
        if other is not None:
            raise Invalid(
                f"overlaps entry {other.entry_id} ({other.values.describe()})", field="start"
            )
        total = self.logged_minutes(excluding) + values.minutes
        if total > MINUTES_IN_A_DAY:
            hours, minutes = divmod(total, 60)
            raise Invalid(
                f"that makes {hours} h {minutes:02d} min logged on {self.worked_on};"
                " a day has 24 hours",
                field="end" if values.timed else "minutes",
            )
        return category

    # Commands ----------------------------------------------------------------------------

    def record(self, actor: Actor, entry_id: UUID, values: EntryValues,
               categories: CategoryList, today: date,
               assignments: CoachAssignments | None = None) -> None:
        self._authorize(actor)
        self._record(actor, entry_id, values, categories, today, assignments)

    def record_history(self, actor: Actor, entry_id: UUID, values: EntryValues,
                       categories: CategoryList, today: date,
                       assignments: CoachAssignments | None = None) -> None:
        """District IT enters time kept before the district used coachops (a spreadsheet,
        another vendor's export): the same rules as the coach's own entry, recorded by IT
        and marked imported."""
        if actor.role is not Role.IT_ADMIN:
            raise Forbidden("district IT imports the time kept before coachops",
                            field="coach_id")
        self._record(actor, entry_id, values, categories, today, assignments, source="imported")

    def _record(self, actor: Actor, entry_id: UUID, values: EntryValues,
                categories: CategoryList, today: date, assignments: CoachAssignments | None,
                **marks: str) -> None:
        # ``marks``: only an imported entry's event says its source (a live one's as before)
        if entry_id in self.entries:
            raise Conflict(f"entry {entry_id} is already recorded", field="entry_id")
        category = self.check(values, categories, today, assignments=assignments)
        self._recorded(actor=actor, coach_id=self.coach_id, entry_id=entry_id, values=values,
                       category_kind=category.kind.value, **marks)

    def correct(
        self,
        actor: Actor,
        entry_id: UUID,
        changes: Mapping[str, Any],
        reason: str,
        categories: CategoryList,
        today: date,
        move_to: CoachDay | None = None,
        assignments: CoachAssignments | None = None,
    ) -> EntryValues:
        """Correct an entry with new values and a reason. A new date moves the entry to the
        coach's day ``move_to``, which must then be given. The old values stay in history."""
        self._authorize(actor)
        entry = self.entry(entry_id)
        reason = _reason(reason)
        values = entry.values.corrected(changes)
        if values == entry.values:
            raise Invalid("the correction changes nothing")
        category_changed = values.category_id != entry.values.category_id
        if values.worked_on == self.worked_on:
            category = self.check(values, categories, today, excluding=entry_id,
                                  category_changed=category_changed, assignments=assignments)
            self._corrected(actor=actor, coach_id=self.coach_id, entry_id=entry_id,
                            values=values, category_kind=category.kind.value, reason=reason)
            return values
        if move_to is None or (move_to.coach_id, move_to.worked_on) != (
            self.coach_id, values.worked_on
        ):
            raise ValueError("moving an entry to another date needs the coach's day there")
        category = move_to.check(values, categories, today, category_changed=category_changed,
                                 assignments=assignments)
        move_to._moved_in(actor=actor, coach_id=self.coach_id, entry_id=entry_id,
                          values=values, category_kind=category.kind.value, reason=reason,
                          from_on=self.worked_on)
        self._moved_out(actor=actor, coach_id=self.coach_id, entry_id=entry_id,
                        to_on=values.worked_on, reason=reason)
        return values

    def void(self, actor: Actor, entry_id: UUID, reason: str) -> None:
        """Take an entry out of the totals, with a reason; it stays in the history."""
        self._authorize(actor)
        self.entry(entry_id)
        self._voided(actor=actor, coach_id=self.coach_id, entry_id=entry_id,
                     worked_on=self.worked_on, reason=_reason(reason))

    def suggest(self, item_id: UUID, cycle_id: UUID, school_id: UUID, kind: str,
                minutes: int) -> bool:
        """Offer a done calendar item as an entry; False (and nothing new) if it already was."""
        if item_id in self.suggestions:
            return False
        self._suggested(item_id=item_id, cycle_id=cycle_id, school_id=school_id, kind=kind,
                        category_id=SUGGESTED_CATEGORY.get(kind, DEFAULT_SUGGESTED_CATEGORY),
                        minutes=minutes if minutes > 0 else None)
        return True

    def confirm(
        self,
        actor: Actor,
        item_id: UUID,
        entry_id: UUID,
        categories: CategoryList,
        today: date,
        changes: Mapping[str, Any] | None = None,
    ) -> UUID:
        """Record the suggested entry in one action; ``changes`` may time it, give it a
        length or choose another category. Confirming again answers the same entry."""
        self._authorize(actor)
        suggestion = self._suggestion(item_id)
        if suggestion.status == "confirmed":
            assert suggestion.entry_id is not None
            return suggestion.entry_id
        if suggestion.status == "dismissed":
            raise Invalid("this suggestion was dismissed", field="item_id")
        changes = dict(changes or {})
        unknown = set(changes) - {"start", "end", "minutes", "category_id", "focus_area_id",
                                  "note"}
        if unknown:
            raise ValueError(f"not for a suggestion: {sorted(unknown)}")
        timed = changes.get("start") is not None or changes.get("end") is not None
        minutes = changes.get("minutes")
        if minutes is None and not timed:
            minutes = suggestion.minutes
        values = EntryValues.of(
            school_id=suggestion.school_id, worked_on=self.worked_on,
            category_id=changes.get("category_id") or suggestion.category_id,
            start=changes.get("start"), end=changes.get("end"), minutes=minutes,
            cycle_id=suggestion.cycle_id, focus_area_id=changes.get("focus_area_id"),
            note=changes.get("note"),
        )
        self.record(actor, entry_id, values, categories, today)
        self._suggestion_confirmed(actor=actor, item_id=item_id, entry_id=entry_id)
        return entry_id

    def dismiss(self, actor: Actor, item_id: UUID, client_id: UUID | None = None) -> bool:
        """Not an entry (e.g. the time is logged already): the suggestion goes away. False
        when an app's command with this ``client_id`` dismissed it already (sent again)."""
        self._authorize(actor)
        suggestion = self._suggestion(item_id)
        if client_id is not None and suggestion.dismissed_by == client_id:
            return False
        if suggestion.status != "pending":
            raise Invalid(f"this suggestion was {suggestion.status} already", field="item_id")
        self._suggestion_dismissed(actor=actor, item_id=item_id, client_id=client_id)
        return True

    def _suggestion(self, item_id: UUID) -> Suggestion:
        suggestion = self.suggestions.get(item_id)
        if suggestion is None:
            raise NotFound(f"there is no suggestion for calendar item {item_id} on"
                           f" {self.worked_on}", field="item_id")
        return suggestion

    def entry(self, entry_id: UUID) -> Entry:
        """A live entry of this day, or why not."""
        entry = self.entries.get(entry_id)
        if entry is None:
            raise NotFound(f"there is no entry {entry_id} on {self.worked_on}",
                           field="entry_id")
        if entry.voided:
            raise Invalid(f"entry {entry_id} was voided; record a new entry instead",
                          field="entry_id")
        return entry

    def _authorize(self, actor: Actor) -> None:
        require_own(actor, self.coach_id)

    # Events ------------------------------------------------------------------------------

    @event("EntryRecorded")
    def _recorded(self, actor: Actor, coach_id: UUID, entry_id: UUID, values: EntryValues,
                  category_kind: str, source: str = "live") -> None:
        # ``source``: "imported" for the history district IT imported (``actor`` is who);
        # events stored before it read as "live".
        self.entries[entry_id] = Entry(entry_id, values, Kind(category_kind),
                                       history=[Change(_RECORDED[source])])

    @event("EntryCorrected")
    def _corrected(self, actor: Actor, coach_id: UUID, entry_id: UUID, values: EntryValues,
                   category_kind: str, reason: str) -> None:
        entry = self.entries[entry_id]
        entry.values = values
        entry.category_kind = Kind(category_kind)
        entry.history.append(Change("corrected", reason))

    @event("EntryMovedIn")
    def _moved_in(self, actor: Actor, coach_id: UUID, entry_id: UUID, values: EntryValues,
                  category_kind: str, reason: str, from_on: date) -> None:
        self.entries[entry_id] = Entry(entry_id, values, Kind(category_kind),
                                       history=[Change("moved", reason, from_on)])

    @event("EntryMovedOut")
    def _moved_out(self, actor: Actor, coach_id: UUID, entry_id: UUID, to_on: date,
                   reason: str) -> None:
        del self.entries[entry_id]  # it lives on the day it moved to

    @event("EntryVoided")
    def _voided(self, actor: Actor, coach_id: UUID, entry_id: UUID, worked_on: date,
                reason: str) -> None:
        entry = self.entries[entry_id]
        entry.voided = True
        entry.history.append(Change("voided", reason))


    @event("EntrySuggested")
    def _suggested(self, item_id: UUID, cycle_id: UUID, school_id: UUID, kind: str,
                   category_id: str, minutes: int | None) -> None:
        self.suggestions[item_id] = Suggestion(item_id, cycle_id, school_id, kind, category_id,
                                               minutes)

    @event("SuggestionConfirmed")
    def _suggestion_confirmed(self, actor: Actor, item_id: UUID, entry_id: UUID) -> None:
        suggestion = self.suggestions[item_id]
        suggestion.status, suggestion.entry_id = "confirmed", entry_id

    @event("SuggestionDismissed")
    def _suggestion_dismissed(self, actor: Actor, item_id: UUID,
                              client_id: UUID | None = None) -> None:
        # ``client_id``: an app's, remembered with the dismissal (stored before: none).
        suggestion = self.suggestions[item_id]
        suggestion.status, suggestion.dismissed_by = "dismissed", client_id
