"""What a coach logs: one stretch of work (``EntryValues``), its history, and the
suggestions a done calendar item makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, time
from typing import Any
from uuid import UUID

from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from services.timetracking.domain.categories import Kind


def require_own(actor: Actor, coach_id: UUID) -> None:
    """A coach logs, changes and sees their own time; nobody else acts on it here."""
    if actor.role is not Role.COACH or actor.id != coach_id:
        raise Forbidden("a coach logs and sees their own time only", field="coach_id")


def hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


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
    dismissed_by: UUID | None = None  # the client id of an app's dismissal
