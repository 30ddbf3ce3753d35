"""Where coaches' time goes, as event-sourced aggregates. Pure: no I/O, and no clock
(the district's ``today`` is passed in).

Why one aggregate per coach per day (``CoachDay``)
--------------------------------------------------
The rules that span entries (a coach's entries never overlap; a coach never logs more
than 24 hours in a day) only ever compare entries of one coach on one date. An aggregate
is the boundary inside which a rule is checked against a consistent state, so a coach's
day is the smallest aggregate that keeps both rules true under concurrency: two devices
syncing entries for the same day race for the same aggregate version, the loser reloads
and checks again, and neither can slip an overlap past the other. One aggregate per
coach would be just as consistent, but every command would replay the coach's whole
history (thousands of events a year), and edits to different days would conflict for
nothing. A day stays at tens of events.

An entry keeps its ``entry_id`` for life. A correction that changes its date moves it
from one day to the other (``EntryMovedOut`` there, ``EntryMovedIn`` here, saved in one
transaction), and an ``EntryLocation`` keyed by the entry id says which day holds it
now, so a correction or a void names the entry alone.

A coach's app that was offline sends its queued commands with ids of its own
(``client_id``), and sends them again after a time-out. The ``EntryLocation`` remembers
the client ids of the commands applied to its entry, saved in the same transaction as
their events, so a command sent again changes nothing; an entry recorded from an app
without an ``entry_id`` gets one made from its client id (``synced_entry_id``), so a
second sending finds it.

Calendar items a coach marks done in a cycle (``CalendarItemDone`` from the cycles
service) become suggested entries on that coach's day, keyed by the item's id, so the
same event delivered twice suggests once. Confirming one records a real entry under
every rule, in the same aggregate and the same save: no double entry.

The category list is one ``CategoryList`` per deployment (a deployment serves one
district) with a fixed id, seeded with defaults. Categories are added, renamed and
retired, never deleted: an old entry always finds its category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.privacy import Personal

NAMESPACE = UUID("6f1d1c8e-2b4a-4f0e-9d51-7a3c2e8b90d4")
CATEGORY_LIST_ID = uuid5(NAMESPACE, "category-list")
MINUTES_IN_A_DAY = 24 * 60
MAX_LABEL = 100
MAX_REASON = 500
CATEGORY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def day_id(coach_id: UUID, worked_on: date) -> UUID:
    return uuid5(NAMESPACE, f"coach-day:{coach_id}:{worked_on.isoformat()}")


def synced_entry_id(coach_id: UUID, client_id: UUID) -> UUID:
    """The id of an entry an app recorded without choosing one: the same command sent
    twice is the same entry. Scoped by the coach, so nobody can take another's id."""
    return uuid5(NAMESPACE, f"synced-entry:{coach_id}:{client_id}")


def require_own(actor: Actor, coach_id: UUID) -> None:
    """A coach logs, changes and sees their own time; nobody else acts on it here."""
    if actor.role is not Role.COACH or actor.id != coach_id:
        raise Forbidden("a coach logs and sees their own time only", field="coach_id")


def hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


class Kind(StrEnum):
    """Coaching: work with teachers. Other: everything a coach should not be doing much of."""

    COACHING = "coaching"
    OTHER = "other"


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    kind: Kind
    retired: bool = False


DEFAULT_CATEGORIES: tuple[tuple[str, str, Kind], ...] = (
    ("coaching-cycle", "Coaching cycle work (one-on-one)", Kind.COACHING),
    ("group-coaching", "Group coaching / PLC", Kind.COACHING),
    ("co-planning", "Co-planning", Kind.COACHING),
    ("modelling", "Modelling", Kind.COACHING),
    ("professional-learning", "Professional learning design and facilitation", Kind.COACHING),
    ("relationship-building", "Relationship building", Kind.COACHING),
    ("covering-classes", "Covering classes", Kind.OTHER),
    ("tech-support", "Tech support", Kind.OTHER),
    ("testing-and-data", "Testing and data reports", Kind.OTHER),
    ("duties", "Duties (bus, lunch, recess)", Kind.OTHER),
    ("non-coaching-meetings", "Non-coaching meetings", Kind.OTHER),
    ("admin-tasks", "Admin tasks", Kind.OTHER),
)

MANAGERS = (Role.DISTRICT_LEADER, Role.IT_ADMIN)


def _label(label: str) -> str:
    cleaned = " ".join(label.split())
    if not cleaned:
        raise Invalid("the label is empty", field="label")
    if len(cleaned) > MAX_LABEL:
        raise Invalid(f"the label is longer than {MAX_LABEL} characters", field="label")
    return cleaned


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise Invalid("say why: the reason is empty", field="reason")
    if len(cleaned) > MAX_REASON:
        raise Invalid(f"the reason is longer than {MAX_REASON} characters", field="reason")
    return cleaned


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:63].rstrip("-")


class CategoryList(Aggregate):
    """The district's categories of time use, each coaching or other, each with a stable id."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Opened: ClassVar[type[Any]]
        Added: ClassVar[type[Any]]
        Renamed: ClassVar[type[Any]]
        Retired: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return CATEGORY_LIST_ID

    @classmethod
    def seeded(cls) -> CategoryList:
        categories = cls()
        for category_id, label, kind in DEFAULT_CATEGORIES:
            categories._added(actor=None, category_id=category_id, label=label, kind=kind.value)
        return categories

    @event("Opened")
    def __init__(self) -> None:
        self.categories: dict[str, Category] = {}

    # Queries -----------------------------------------------------------------------------

    def get(self, category_id: str) -> Category:
        try:
            return self.categories[category_id]
        except KeyError:
            raise NotFound(f"there is no category {category_id!r}", field="category_id") from None

    def usable(self, category_id: str) -> Category:
        """The category a new or changed entry may use: one that exists and is not retired."""
        category = self.categories.get(category_id)
        if category is None:
            raise Invalid(f"there is no category {category_id!r}", field="category_id")
        if category.retired:
            raise Invalid(
                f"the category {category_id!r} ({category.label}) is retired; choose another",
                field="category_id",
            )
        return category

    def find(self, id_or_label: str) -> Category | None:
        """A category by its id or its label, ignoring case (spreadsheets use labels)."""
        wanted = " ".join(id_or_label.split()).casefold()
        if wanted in self.categories:
            return self.categories[wanted]
        matches = [c for c in self.categories.values() if c.label.casefold() == wanted]
        active = [c for c in matches if not c.retired]
        found = active or matches
        return found[0] if found else None

    def active(self) -> list[Category]:
        return [c for c in self.categories.values() if not c.retired]

    # Commands ----------------------------------------------------------------------------

    def add(self, actor: Actor, label: str, kind: str, category_id: str | None = None) -> Category:
        self._authorize(actor)
        label = _label(label)
        try:
            kind = Kind(kind)
        except ValueError:
            raise Invalid("the kind is 'coaching' or 'other'", field="kind") from None
        category_id = category_id or slug(label)
        if not CATEGORY_ID.match(category_id):
            raise Invalid(
                "the id is 1-63 lower-case letters, digits and dashes", field="category_id"
            )
        if category_id in self.categories:
            existing = self.categories[category_id]
            raise Invalid(
                f"there is already a category {category_id!r} ({existing.label})",
                field="category_id",
            )
        self._check_label_is_free(label)
        self._added(actor=actor, category_id=category_id, label=label, kind=kind.value)
        return self.categories[category_id]

    def rename(self, actor: Actor, category_id: str, label: str) -> Category:
        self._authorize(actor)
        category = self.get(category_id)
        label = _label(label)
        if label == category.label:
            raise Invalid(f"the category is already called {label!r}", field="label")
        self._check_label_is_free(label, besides=category_id)
        self._renamed(actor=actor, category_id=category_id, label=label)
        return self.categories[category_id]

    def retire(self, actor: Actor, category_id: str) -> Category:
        self._authorize(actor)
        category = self.get(category_id)
        if category.retired:
            raise Invalid(f"the category {category_id!r} is already retired", field="category_id")
        self._retired(actor=actor, category_id=category_id)
        return self.categories[category_id]

    def _authorize(self, actor: Actor) -> None:
        if actor.role not in MANAGERS:
            raise Forbidden("only a district coaching leader or district IT can change the"
                            " category list")

    def _check_label_is_free(self, label: str, besides: str | None = None) -> None:
        for other in self.active():
            if other.id != besides and other.label.casefold() == label.casefold():
                raise Invalid(f"the category {other.id!r} is already called {other.label!r}",
                              field="label")

    # Events: they only apply, they never check (they run again on every replay) ----------

    @event("Added")
    def _added(self, actor: Actor | None, category_id: str, label: str, kind: str) -> None:
        self.categories[category_id] = Category(category_id, label, Kind(kind))

    @event("Renamed")
    def _renamed(self, actor: Actor, category_id: str, label: str) -> None:
        self.categories[category_id] = replace(self.categories[category_id], label=label)

    @event("Retired")
    def _retired(self, actor: Actor, category_id: str) -> None:
        self.categories[category_id] = replace(self.categories[category_id], retired=True)


# Time entries --------------------------------------------------------------------------

CORRECTABLE = frozenset(
    {"school_id", "worked_on", "start", "end", "minutes", "category_id", "cycle_id",
     "focus_area_id", "note"}
)


def minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def length(start: time | None, end: time | None, minutes: int | None) -> int:
    """An entry's minutes, from its start and end or as given; the length rules."""
    if start is not None or end is not None:
        if minutes is not None:
            raise Invalid("give start and end, or minutes, not both", field="minutes")
        if start is None:
            raise Invalid("give the start with the end", field="start")
        if end is None:
            raise Invalid("give the end with the start", field="end")
        for name, moment in (("start", start), ("end", end)):
            if moment.second or moment.microsecond:
                raise Invalid("give the time to the minute", field=name)
        if end < start:
            raise Invalid(f"the end ({hhmm(end)}) is before the start ({hhmm(start)})",
                          field="end")
        if end == start:
            raise Invalid(f"the entry is zero minutes long: it starts and ends at {hhmm(start)}",
                          field="end")
        return minute_of_day(end) - minute_of_day(start)
    if minutes is None:
        raise Invalid("give start and end, or minutes", field="minutes")
    if minutes <= 0:
        raise Invalid(f"the length must be more than zero minutes, not {minutes}",
                      field="minutes")
    return minutes


@dataclass(frozen=True)
class EntryValues:
    """What a coach logs for one stretch of work. The note is private to the coach."""

    school_id: UUID
    worked_on: date
    category_id: str
    minutes: int
    start: time | None = None
    end: time | None = None
    cycle_id: UUID | None = None
    focus_area_id: str | None = None
    note: str | None = None

    @classmethod
    def of(
        cls,
        *,
        school_id: UUID,
        worked_on: date,
        category_id: str,
        start: time | None = None,
        end: time | None = None,
        minutes: int | None = None,
        cycle_id: UUID | None = None,
        focus_area_id: str | None = None,
        note: str | None = None,
    ) -> EntryValues:
        return cls(
            school_id=school_id, worked_on=worked_on, category_id=category_id,
            minutes=length(start, end, minutes), start=start, end=end, cycle_id=cycle_id,
            focus_area_id=focus_area_id or None, note=note or None,
        )

    @property
    def timed(self) -> bool:
        return self.start is not None

    def corrected(self, changes: Mapping[str, Any]) -> EntryValues:
        """These values with ``changes`` applied: minutes replace times and times minutes."""
        unknown = set(changes) - CORRECTABLE
        if unknown:
            raise ValueError(f"not correctable: {sorted(unknown)}")
        merged = {f.name: getattr(self, f.name) for f in fields(self)}
        merged.update(changes)
        if changes.get("minutes") is not None:
            merged["start"] = merged["end"] = None
        elif merged["start"] is not None or merged["end"] is not None:
            merged["minutes"] = None  # follows the times
        return EntryValues.of(**merged)

    def describe(self) -> str:
        if self.timed:
            assert self.start is not None and self.end is not None
            return f"{hhmm(self.start)}-{hhmm(self.end)}, {self.category_id}"
        return f"{self.minutes} min, {self.category_id}"


@dataclass(frozen=True)
class Change:
    """One line of an entry's history: recorded, corrected, moved (from another day), voided."""

    action: str
    reason: str | None = None
    from_on: date | None = None


@dataclass
class Entry:
    entry_id: UUID
    values: EntryValues
    category_kind: Kind
    voided: bool = False
    history: list[Change] = field(default_factory=list)


# What a done calendar item most likely was; the coach can choose another when confirming.
SUGGESTED_CATEGORY = {"modelled_lesson": "modelling"}
DEFAULT_SUGGESTED_CATEGORY = "coaching-cycle"


@dataclass
class Suggestion:
    """A calendar item done in a cycle, offered as an entry until the coach confirms or
    dismisses it. ``minutes`` is None when the item had no length."""

    item_id: UUID
    cycle_id: UUID
    school_id: UUID
    kind: str
    category_id: str
    minutes: int | None
    status: str = "pending"  # pending, confirmed, dismissed
    entry_id: UUID | None = None


def assignments_id(coach_id: UUID) -> UUID:
    return uuid5(coach_id, "school-assignments")


@dataclass(frozen=True)
class AssignmentFact:
    school_id: UUID
    effective_on: date
    assigned: bool


class CoachAssignments(Aggregate):
    """The schools a coach works at, as the district roster says, with the date each
    assignment took effect. Facts can arrive in any order and more than once (they come
    from the agreements service over the bus); the answer for a date is decided by the
    latest fact on or before it, so the order of arrival never matters."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Opened: ClassVar[type[Any]]
        Learned: ClassVar[type[Any]]

    @staticmethod
    def create_id(coach_id: UUID) -> UUID:
        return assignments_id(coach_id)

    @event("Opened")
    def __init__(self, coach_id: UUID) -> None:
        self.coach_id = coach_id
        self.facts: list[AssignmentFact] = []

    def learn(self, school_id: UUID, effective_on: date, assigned: bool) -> bool:
        """Record a roster fact; False (nothing recorded) when it is known already."""
        if AssignmentFact(school_id, effective_on, assigned) in self.facts:
            return False
        self._learned(school_id=school_id, effective_on=effective_on, assigned=assigned)
        return True

    @event("Learned")
    def _learned(self, school_id: UUID, effective_on: date, assigned: bool) -> None:
        self.facts.append(AssignmentFact(school_id, effective_on, assigned))

    def assigned(self, school_id: UUID, on: date) -> bool:
        facts = sorted((f for f in self.facts if f.school_id == school_id
                        and f.effective_on <= on),
                       key=lambda f: (f.effective_on, f.assigned))
        return bool(facts) and facts[-1].assigned

    def require(self, school_id: UUID, on: date) -> None:
        if not self.assigned(school_id, on):
            raise Invalid(f"the roster does not assign this coach to school {school_id}"
                          f" on {on}", field="school_id")


class CoachDay(Aggregate):
    """One coach's time entries on one date: the boundary of the overlap and 24-hour rules."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Opened: ClassVar[type[Any]]
        EntryRecorded: ClassVar[type[Any]]
        EntryCorrected: ClassVar[type[Any]]
        EntryMovedIn: ClassVar[type[Any]]
        EntryMovedOut: ClassVar[type[Any]]
        EntryVoided: ClassVar[type[Any]]
        EntrySuggested: ClassVar[type[Any]]
        SuggestionConfirmed: ClassVar[type[Any]]
        SuggestionDismissed: ClassVar[type[Any]]

    @staticmethod
    def create_id(coach_id: UUID, worked_on: date) -> UUID:
        return day_id(coach_id, worked_on)

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

    def record(
        self,
        actor: Actor,
        entry_id: UUID,
        values: EntryValues,
        categories: CategoryList,
        today: date,
        assignments: CoachAssignments | None = None,
    ) -> None:
        self._authorize(actor)
        if entry_id in self.entries:
            raise Conflict(f"entry {entry_id} is already recorded", field="entry_id")
        category = self.check(values, categories, today, assignments=assignments)
        self._recorded(actor=actor, coach_id=self.coach_id, entry_id=entry_id, values=values,
                       category_kind=category.kind.value)

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

    def dismiss(self, actor: Actor, item_id: UUID) -> None:
        """Not an entry (e.g. the time is logged already): the suggestion goes away."""
        self._authorize(actor)
        suggestion = self._suggestion(item_id)
        if suggestion.status != "pending":
            raise Invalid(f"this suggestion was {suggestion.status} already", field="item_id")
        self._suggestion_dismissed(actor=actor, item_id=item_id)

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
                  category_kind: str) -> None:
        self.entries[entry_id] = Entry(entry_id, values, Kind(category_kind),
                                       history=[Change("recorded")])

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
    def _suggestion_dismissed(self, actor: Actor, item_id: UUID) -> None:
        self.suggestions[item_id].status = "dismissed"


class EntryLocation(Aggregate):
    """Which coach's day holds an entry now, so an entry is found by its id alone."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Placed: ClassVar[type[Any]]
        Moved: ClassVar[type[Any]]
        ClientCommandApplied: ClassVar[type[Any]]

    @staticmethod
    def create_id(entry_id: UUID) -> UUID:
        return entry_id

    @event("Placed")
    def __init__(self, entry_id: UUID, coach_id: UUID, worked_on: date) -> None:
        self.coach_id = coach_id
        self.worked_on = worked_on
        self.applied: dict[UUID, str] = {}  # client id -> command, of those sent from apps

    @event("Moved")
    def move(self, worked_on: date) -> None:
        self.worked_on = worked_on

    def remember(self, client_id: UUID, command: str) -> None:
        """Saved with the events of the command an app sent, in one transaction."""
        if client_id in self.applied:
            raise ValueError(f"command {client_id} is already applied to this entry")
        self._client_command_applied(client_id=client_id, command=command)

    def applied_before(self, client_id: UUID, command: str) -> bool:
        """Whether the entry has this command already. A client id names one command:
        reused for another is a conflict."""
        if client_id not in self.applied:
            return False
        if self.applied[client_id] != command:
            raise Conflict(f"the id {client_id} was given to another command already:"
                           " give each command an id of its own", field="client_id")
        return True

    @event("ClientCommandApplied")
    def _client_command_applied(self, client_id: UUID, command: str) -> None:
        self.applied[client_id] = command


# Totals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryTotal:
    category: Category
    minutes: int


@dataclass(frozen=True)
class Totals:
    by_category: list[CategoryTotal]
    coaching_minutes: int
    other_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.coaching_minutes + self.other_minutes

    @property
    def coaching_share(self) -> float | None:
        """The headline: the share of logged time spent coaching (None when nothing is)."""
        if not self.total_minutes:
            return None
        return round(self.coaching_minutes / self.total_minutes, 4)


def totals(entries: Iterable[Entry], categories: CategoryList) -> Totals:
    """Minutes by category and kind over live entries, categories in the list's order."""
    by_category: dict[str, int] = {}
    minutes = {Kind.COACHING: 0, Kind.OTHER: 0}
    for entry in entries:
        if entry.voided:
            continue
        by_category[entry.values.category_id] = (
            by_category.get(entry.values.category_id, 0) + entry.values.minutes
        )
        minutes[entry.category_kind] += entry.values.minutes
    order = list(categories.categories)
    ordered = sorted(by_category.items(),
                     key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return Totals(
        by_category=[CategoryTotal(categories.get(cid), m) for cid, m in ordered],
        coaching_minutes=minutes[Kind.COACHING],
        other_minutes=minutes[Kind.OTHER],
    )


# A coach's note and the reasons they give are theirs: sealed with the coach's key, so
# forgetting the coach forgets them (``coachops.privacy``). Times and minutes stay.
PERSONAL_DATA: dict[type, Personal] = {
    CoachDay.EntryRecorded: Personal("values.note", subject="coach_id"),
    CoachDay.EntryCorrected: Personal("values.note", "reason", subject="coach_id"),
    CoachDay.EntryMovedIn: Personal("values.note", "reason", subject="coach_id"),
    CoachDay.EntryMovedOut: Personal("reason", subject="coach_id"),
    CoachDay.EntryVoided: Personal("reason", subject="coach_id"),
}
