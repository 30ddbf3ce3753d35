"""Importing the spreadsheet a coach keeps today: all or nothing.

Every line is read and checked before anything is saved: its shape (a marshmallow schema
per row), then the domain's rules, by recording it on the coach's day in memory, in file
order, so an overlap inside the file is caught like one with a stored entry. One bad line
and nothing is imported; the coach gets every problem as ``{line, field, reason}``, with
line numbers as a spreadsheet shows them (the header is line 1) and fields named as the
file's columns. A good file is saved by the caller in one transaction.

Columns (a header row, any order, any case): ``date``, ``category`` (its id or its
label), then ``start`` and ``end`` or ``minutes``, and optionally ``school_id`` (else the
school given for the whole file), ``cycle_id``, ``focus_area_id``, ``note``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid4

from marshmallow import RAISE, Schema, ValidationError, fields

from coachops.commands.timetracking import MAX_NOTE
from coachops.commands.types import Text
from coachops.csv_rows import Problems, named_rows
from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from services.timetracking.domain import (
    CategoryList,
    CoachAssignments,
    CoachDay,
    EntryLocation,
    EntryValues,
    require_own,
)

COLUMNS = ("date", "start", "end", "minutes", "category", "school_id", "cycle_id",
           "focus_area_id", "note")
HISTORY_COLUMNS = ("coach_id", *COLUMNS)
REQUIRED_COLUMNS = ("date", "category")
MAX_ROWS = 5000
# The domain's names for what the file calls otherwise.
COLUMN_OF = {"worked_on": "date", "category_id": "category"}

SHEET_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*(m\.?)?$", re.I)


class SheetDate(fields.Field[date]):
    """2026-10-05 as a computer writes it, or 10/5/2026 as a US spreadsheet does."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        text = str(value).strip()
        for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%m/%d/%Y").date()):
            try:
                return parse(text)
            except ValueError:
                continue
        raise ValidationError(f"{text!r} is not a date: write 2026-10-05 or 10/5/2026")


class SheetTime(fields.Field[time]):
    """14:30, 9:05, 9:05 AM, 2:30pm."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> time:
        text = str(value).strip()
        match = SHEET_TIME.match(text)
        if match:
            hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
            half = (match[4] or "").lower()
            if half and 1 <= hour <= 12:
                hour = hour % 12 + (12 if half == "p" else 0)
            elif half:
                hour = 99
            try:
                return time(hour, minute, second)
            except ValueError:
                pass
        raise ValidationError(f"{text!r} is not a time: write 14:30 or 2:30 PM")


class Row(Schema):
    class Meta:
        unknown = RAISE

    date = SheetDate(required=True)
    start = SheetTime()
    end = SheetTime()
    minutes = fields.Int()
    category = Text(100, min_length=1, required=True)
    school_id = fields.UUID()
    cycle_id = fields.UUID()
    focus_area_id = Text(100, min_length=1)
    note = Text(MAX_NOTE)  # storable: no NUL, no lone surrogate


def read(text: str, problems: Problems, columns: tuple[str, ...] = COLUMNS,
         required: tuple[str, ...] = REQUIRED_COLUMNS) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as {column: cell} with the line each starts on; blank cells and
    blank lines left out. Problems with the header stop the reading."""
    split = ": split it by coach or by month" if "coach_id" in columns else ""
    return named_rows(text, problems, columns, required, MAX_ROWS, "entries", split,
                      _minutes_or_times)


def _minutes_or_times(header: list[str], line: int, problems: Problems) -> None:
    if "minutes" not in header and not {"start", "end"} <= set(header):
        problems.add(line, "minutes", "give columns start and end, or minutes")


@dataclass(frozen=True)
class Plan:
    """What a good file becomes: the coach's days with their new entries, and where each
    entry lives. The caller saves them all in one transaction."""

    days: list[CoachDay]
    locations: list[EntryLocation]
    already: int = 0  # lines of a history import already recorded (the file seen before)

    @property
    def entry_ids(self) -> list[UUID]:
        return [location.id for location in self.locations]


def plan_import(
    actor: Actor,
    coach_id: UUID,
    text: str,
    school_id: UUID | None,
    categories: CategoryList,
    day_of: Callable[[date], CoachDay],
    today: date,
    assignments: CoachAssignments | None = None,
) -> Plan:
    """Check every line of ``text``; the plan to save, or ``Rejected`` with every problem."""
    require_own(actor, coach_id)
    problems = Problems()
    rows = read(text, problems)
    line_of: dict[UUID, int] = {}

    def record(line: int, day: CoachDay, entry_id: UUID, values: EntryValues) -> bool:
        _refuse_a_second_import(day, values, line_of)
        day.record(actor, entry_id, values, categories, today, assignments=assignments)
        return True

    return _plan(rows, problems, Row(), lambda _: coach_id, school_id, categories,
                 lambda _, on: day_of(on), record, line_of)


class HistoryRow(Row):
    coach_id = fields.UUID(required=True)


def plan_history(
    actor: Actor,
    text: str,
    categories: CategoryList,
    day_of: Callable[[UUID, date], CoachDay],
    today: date,
    assignments_of: Callable[[UUID], CoachAssignments],
) -> Plan:
    """District IT's file of the time coaches kept before coachops, one coach's entry a
    line (a ``coach_id`` column besides the coach's own columns): checked by the coach's
    rules (the roster of each entry's day, categories, overlaps, 24 hours), recorded by IT
    and marked imported. All or nothing; a line equal to an entry already recorded (the
    same file imported again) is counted in ``Plan.already`` and recorded nothing, so a
    district's history goes in as files of up to ``MAX_ROWS`` lines, by coach or month."""
    if actor.role is not Role.IT_ADMIN:
        raise Forbidden("district IT imports the time kept before coachops", field="csv")
    problems = Problems()
    rows = read(text, problems, HISTORY_COLUMNS, ("coach_id", *REQUIRED_COLUMNS))
    line_of: dict[UUID, int] = {}
    matched: set[UUID] = set()
    already: list[int] = []

    def record(line: int, day: CoachDay, entry_id: UUID, values: EntryValues) -> bool:
        for entry in day.live():
            if (entry.entry_id not in line_of and entry.entry_id not in matched
                    and entry.values == values):
                matched.add(entry.entry_id)
                already.append(line)
                return False
        day.record_history(actor, entry_id, values, categories, today,
                           assignments=assignments_of(day.coach_id))
        return True

    plan = _plan(rows, problems, HistoryRow(), lambda row: row["coach_id"], None, categories,
                 day_of, record, line_of)
    return Plan(days=plan.days, locations=plan.locations, already=len(already))


def _plan(
    rows: list[tuple[int, dict[str, str]]],
    problems: Problems,
    schema: Row,
    coach_of: Callable[[dict[str, Any]], UUID],
    school_id: UUID | None,
    categories: CategoryList,
    day_of: Callable[[UUID, date], CoachDay],
    record: Callable[[int, CoachDay, UUID, EntryValues], bool],
    line_of: dict[UUID, int],
) -> Plan:
    """Each row checked and recorded (``record``: False when it records nothing) on its
    coach's day in memory, in file order; ``Rejected`` with every problem."""
    days: dict[tuple[UUID, date], CoachDay] = {}
    locations: list[EntryLocation] = []
    for line, cells in rows:
        row = problems.loaded(schema, line, cells)
        if row is None:
            continue
        coach_id = coach_of(row)
        category = categories.find(row["category"])
        if category is None:
            problems.add(line, "category", f"there is no category {row['category']!r}")
            continue
        school = row.get("school_id") or school_id
        if school is None:
            problems.add(line, "school_id",
                         "give the school: a school_id column, or a school for the whole file")
            continue
        try:
            values = EntryValues.of(
                school_id=school, worked_on=row["date"], category_id=category.id,
                start=row.get("start"), end=row.get("end"), minutes=row.get("minutes"),
                cycle_id=row.get("cycle_id"), focus_area_id=row.get("focus_area_id"),
                note=row.get("note"),
            )
        except Invalid as error:
            problems.add(line, COLUMN_OF.get(error.field or "", error.field), error.message)
            continue
        key = (coach_id, values.worked_on)
        day = days.get(key)
        if day is None:
            day = days[key] = day_of(coach_id, values.worked_on)
        entry_id = uuid4()
        try:
            recorded = record(line, day, entry_id, values)
        except Invalid as error:
            problems.add(line, COLUMN_OF.get(error.field or "", error.field),
                         _in_file_terms(error, day, values, line_of))
            continue
        if recorded:
            line_of[entry_id] = line
            locations.append(EntryLocation(entry_id=entry_id, coach_id=coach_id,
                                           worked_on=values.worked_on))
    if problems.found:
        raise problems.reject()
    return Plan(days=[d for d in days.values() if d.pending_events], locations=locations)


def _refuse_a_second_import(day: CoachDay, values: EntryValues, line_of: dict[UUID, int]) -> None:
    """The same file imported twice would double an entry given in minutes (timed ones
    overlap): an entry equal to one already stored is refused."""
    for entry in day.live():
        if entry.entry_id not in line_of and entry.values == values:
            raise Invalid(f"the same entry is already recorded: entry {entry.entry_id}"
                          f" ({values.describe()}); was this file imported before?")


def _in_file_terms(error: Invalid, day: CoachDay, values: EntryValues,
                   line_of: dict[UUID, int]) -> str:
    """An overlap with another line of the file names the line, not an id the coach never saw."""
    other = day.clash(values)
    if error.field == "start" and other is not None and other.entry_id in line_of:
        return f"overlaps line {line_of[other.entry_id]} ({other.values.describe()})"
    return error.message
