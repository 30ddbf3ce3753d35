"""Commands and queries of the time-tracking service.

Shapes only: whether an entry's times make sense, overlap another or fit in the day is
the domain's to say (``services/timetracking/domain.py``), with a 422 naming the field.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from coachops.commands import Command, HistoryFile
from coachops.commands.types import BoundedInt, Day, Text

MAX_NOTE = 2000
MAX_REASON = 500
MAX_CSV_CHARS = 1_000_000
KINDS = ("coaching", "other")
# Bounded for storage only: how long an entry may be is the domain's rule (a 422 naming it).
MINUTES_BOUND = 100_000


def _to_the_minute(value: time) -> None:
    if value.tzinfo is not None:
        raise ValidationError("give the district's local time, without a zone")
    if value.second or value.microsecond:
        raise ValidationError("give hours and minutes only, e.g. 09:30")


def _clock() -> fields.Time:
    return fields.Time(allow_none=True, validate=_to_the_minute)


def _category_id(**kwargs: Any) -> Text:
    return Text(100, min_length=1, **kwargs)


def _focus_area_id(**kwargs: Any) -> Text:
    return Text(100, min_length=1, allow_none=True, **kwargs)


def _note(**kwargs: Any) -> Text:
    return Text(MAX_NOTE, allow_none=True, **kwargs)  # private to the coach


def _reason() -> Text:
    return Text(MAX_REASON, min_length=1, required=True)


def _minutes() -> BoundedInt:
    return BoundedInt(-MINUTES_BOUND, MINUTES_BOUND, allow_none=True)


class _EntryShape(Command):
    """Start and end (district-local, "09:30"), or minutes: one or the other."""

    @validates_schema
    def times_or_minutes(self, data: dict[str, Any], **kwargs: Any) -> None:
        times = data.get("start") is not None or data.get("end") is not None
        if data.get("minutes") is not None and times:
            raise ValidationError("give start and end, or minutes, not both", "minutes")


class RecordTimeEntry(_EntryShape):
    # Optional: an app working offline makes the id itself, so a resend records nothing twice.
    entry_id = fields.UUID(load_default=None)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    worked_on = Day(required=True)
    start = _clock()
    end = _clock()
    minutes = _minutes()
    category_id = _category_id(required=True)
    cycle_id = fields.UUID(allow_none=True, load_default=None)
    focus_area_id = _focus_area_id(load_default=None)
    note = _note(load_default=None)

    @validates_schema
    def has_a_length(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("start"), data.get("end")
        if data.get("minutes") is None and start is None and end is None:
            raise ValidationError("give start and end, or minutes", "minutes")
        if start is not None and end is None:
            raise ValidationError("give the end with the start", "end")
        if end is not None and start is None:
            raise ValidationError("give the start with the end", "start")


class CorrectTimeEntry(_EntryShape):
    """New values for the fields given (the others stay), and why."""

    entry_id = fields.UUID(required=True)
    reason = _reason()
    school_id = fields.UUID()
    worked_on = Day()
    start = _clock()
    end = _clock()
    minutes = _minutes()
    category_id = _category_id()
    cycle_id = fields.UUID(allow_none=True)
    focus_area_id = _focus_area_id()
    note = _note()

    @validates_schema
    def changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not set(data) - {"entry_id", "reason"}:
            raise ValidationError("give at least one new value", "_schema")


class VoidTimeEntry(Command):
    entry_id = fields.UUID(required=True)
    reason = _reason()


class ConfirmSuggestion(_EntryShape):
    """One action: record a suggested entry (a calendar item done in a cycle) as it is, or
    timed, given a length or put in another category."""

    coach_id = fields.UUID(required=True)
    date = Day(required=True)
    item_id = fields.UUID(required=True)
    start = _clock()
    end = _clock()
    minutes = _minutes()
    category_id = _category_id()
    focus_area_id = _focus_area_id()
    note = _note()


class DismissSuggestion(Command):
    coach_id = fields.UUID(required=True)
    date = Day(required=True)
    item_id = fields.UUID(required=True)


class ImportTimeEntries(Command):
    """A coach's spreadsheet as CSV text. ``school_id`` serves rows without a school_id."""

    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(load_default=None, allow_none=True)
    csv = Text(MAX_CSV_CHARS, min_length=1, required=True)


class ImportTimeHistory(HistoryFile):
    """District IT's file of the time coaches kept before coachops (a ``coach_id`` column
    and the coach's own columns); ``dry_run`` says what it would record, recording none."""

    csv = Text(MAX_CSV_CHARS, min_length=1, required=True)


class AddCategory(Command):
    category_id = Text(63, load_default=None, allow_none=True,
                       validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$"))
    label = Text(100, min_length=1, required=True)
    kind = Text(20, required=True, validate=validate.OneOf(KINDS))


class RenameCategory(Command):
    category_id = _category_id(required=True)
    label = Text(100, min_length=1, required=True)


class RetireCategory(Command):
    category_id = _category_id(required=True)


class ListCategories(Command):
    include_retired = fields.Bool(load_default=False)


class CoachDayQuery(Command):
    coach_id = fields.UUID(required=True)
    date = Day(required=True)


class CoachWeekQuery(Command):
    """The week (Monday to Sunday) that holds ``date``."""

    coach_id = fields.UUID(required=True)
    date = Day(required=True)

