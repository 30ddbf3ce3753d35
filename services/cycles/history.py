"""District IT's import of the coaching cycles run before the district used coachops: one
cycle a line, all or nothing.

Columns (a header row, any order, any case): ``coach_id``, ``teacher_ids`` and
``focus_area_ids`` (separated by ``|``), ``school_id``, ``goal_what``, ``goal_measure``,
``goal_by``, ``started_on``, and for a cycle that ended ``closed_on``, ``outcome`` (met,
partly_met, not_met) and ``evidence``; optionally ``cycle_id`` (the id time entries name).
Without one, a cycle's id follows from its coach, school, teachers and first day, so the
same file imported again records nothing twice. Each line is checked by the rules of a
live cycle on its days (``Cycle.imported``) and by the roster of the day it started;
problems come back as ``{line, field, reason}``, fields named as the file's columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from marshmallow import RAISE, Schema, fields, validate

from coachops.commands.cycles import MAX_TEXT, OUTCOMES
from coachops.commands.types import Day, Text
from coachops.csv_rows import Problems, loaded_once, named_rows
from coachops.errors import CoachopsError, Forbidden
from coachops.identity import Actor, Role
from services.cycles.domain import Cycle, Goal

COLUMNS = ("cycle_id", "coach_id", "teacher_ids", "school_id", "focus_area_ids", "goal_what",
           "goal_measure", "goal_by", "started_on", "closed_on", "outcome", "evidence")
REQUIRED = ("coach_id", "teacher_ids", "school_id", "focus_area_ids", "goal_what",
            "goal_measure", "goal_by", "started_on")
MAX_ROWS = 5000
NAMESPACE = UUID("6d1f0b1e-8a43-4c6e-9b0f-2c7d5e3a9f10")


class Row(Schema):
    class Meta:
        unknown = RAISE

    cycle_id = fields.UUID()
    coach_id = fields.UUID(required=True)
    teacher_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    school_id = fields.UUID(required=True)
    # The live commands' limits: text a person wrote, storable (no NUL, no lone surrogate).
    focus_area_ids = fields.List(Text(100, min_length=1), required=True,
                                 validate=validate.Length(min=1, max=30))
    goal_what = Text(2000, min_length=1, required=True)
    goal_measure = Text(2000, min_length=1, required=True)
    goal_by = Day(required=True)
    started_on = Day(required=True)
    closed_on = Day()
    outcome = Text(20, validate=validate.OneOf(OUTCOMES))
    evidence = Text(MAX_TEXT, min_length=1)


@dataclass
class Plan:
    cycles: list[Cycle] = field(default_factory=list)
    already: int = 0  # lines whose cycle is recorded (the file imported again)


def cycle_id_of(row: dict[str, Any]) -> UUID:
    teachers = "|".join(sorted(str(t) for t in row["teacher_ids"]))
    return row.get("cycle_id") or uuid5(
        NAMESPACE, f"history-cycle:{row['coach_id']}:{row['school_id']}:{teachers}:"
                   f"{row['started_on']}")


def plan(actor: Actor, text: str, find: Callable[[UUID], Cycle | None],
         require_people: Callable[[dict[str, Any]], None], today: date) -> Plan:
    """The cycles to save, or ``Rejected`` with every problem. ``require_people``: the
    roster of the day it started has the coach and the teachers at the school."""
    if actor.role is not Role.IT_ADMIN:
        raise Forbidden("district IT imports the cycles run before coachops", field="csv")
    problems = Problems()
    problem = problems.add

    found = Plan()
    rows = named_rows(text, problems, COLUMNS, REQUIRED, MAX_ROWS, "cycles")
    for line, row, cycle_id in loaded_once(problems, Row(), rows, _shaped, cycle_id_of,
                                           "cycle_id", "the same cycle as line {line}"):
        if find(cycle_id) is not None:
            found.already += 1
            continue
        ended = [c for c in ("closed_on", "outcome", "evidence") if c in row]
        if ended and len(ended) < 3:
            missing = next(c for c in ("closed_on", "outcome", "evidence") if c not in row)
            problem(line, missing, "a cycle that ended gives closed_on, outcome and evidence")
            continue
        try:
            require_people(row)
            found.cycles.append(Cycle.imported(
                actor, cycle_id, row["coach_id"], row["teacher_ids"], row["school_id"],
                row["focus_area_ids"], Goal(row["goal_what"], row["goal_measure"],
                                            row["goal_by"]),
                row["started_on"], today,
                (row["closed_on"], row["outcome"], row["evidence"]) if ended else None))
        except CoachopsError as error:
            problem(line, _column(error.field), error.message)
    if problems.found:
        raise problems.reject()
    return found


def _column(name: str | None) -> str | None:
    """The domain's field as the file's column (``goal.by`` is ``goal_by``)."""
    return name.replace(".", "_") if name else name


def _shaped(cells: dict[str, str]) -> dict[str, Any]:
    shaped: dict[str, Any] = dict(cells)
    for listed in ("teacher_ids", "focus_area_ids"):
        if listed in cells:
            shaped[listed] = [i.strip() for i in cells[listed].split("|") if i.strip()]
    return shaped

