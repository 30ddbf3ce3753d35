"""District IT's import of the coaching agreements signed on paper before the district used
coachops: one agreement a line, all or nothing.

Columns (a header row, any order, any case): ``coach_id``, ``school_id``, ``school_year``,
``focus_areas`` (``id=label`` items separated by ``|``; an id alone is its own label),
``coach_role``, ``not_coach_role``, ``coach_signed_on``, ``principal_signed_on`` and
optionally ``check_in_every_weeks``. Each line is checked by the command's own schema and
by the rules of a signature on paper (``CoachingAgreement.imported``); problems come back
as ``{line, field, reason}`` with lines as a spreadsheet counts them and fields named as
the file's columns. A line whose agreement is stored already as the line gives it (the
file imported again) records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import fields

from coachops.commands.agreements import DraftCoachingAgreement
from coachops.commands.types import Day
from coachops.csv_rows import Problems, loaded_once, named_rows
from coachops.errors import CoachopsError, Forbidden
from coachops.identity import Actor, Role
from services.agreements.domain import CoachingAgreement, Terms, coaching_agreement_id
from services.agreements.roster import School

COLUMNS = ("coach_id", "school_id", "school_year", "focus_areas", "coach_role",
           "not_coach_role", "check_in_every_weeks", "coach_signed_on", "principal_signed_on")
REQUIRED = tuple(c for c in COLUMNS if c != "check_in_every_weeks")
MAX_ROWS = 5000


class Row(DraftCoachingAgreement):
    coach_id = fields.UUID(required=True)
    coach_signed_on = Day(required=True)
    principal_signed_on = Day(required=True)


@dataclass
class Plan:
    agreements: list[CoachingAgreement] = field(default_factory=list)
    already: int = 0  # lines stored already as they are (the file imported again)


def plan(actor: Actor, text: str, school_of: Callable[[UUID], School | None],
         agreement_of: Callable[[UUID], CoachingAgreement | None], today: date,
         year_starts: Callable[[int], date]) -> Plan:
    """The agreements to save, or ``Rejected`` with every problem."""
    if actor.role is not Role.IT_ADMIN:
        raise Forbidden("district IT imports the agreements signed before coachops",
                        field="csv")
    problems = Problems()
    problem = problems.add

    found = Plan()
    rows = named_rows(text, problems, COLUMNS, REQUIRED, MAX_ROWS, "agreements")
    for line, row, agreement_id in loaded_once(
            problems, Row(), rows, _shaped, _agreement_id, "coach_id",
            "the same coach, school and year as line {line}: one agreement each"):
        school = school_of(row["school_id"])
        if school is None:
            problem(line, "school_id", f"the roster has no school {row['school_id']}")
            continue
        try:
            terms = Terms.of(row["focus_areas"], row["coach_role"], row["not_coach_role"],
                             row["check_in_every_weeks"])
            stored = agreement_of(agreement_id)
            if stored is not None:
                if stored.is_imported_as(terms, row["coach_signed_on"],
                                         row["principal_signed_on"]):
                    found.already += 1
                    continue
                problem(line, "coach_id", "this coach has an agreement with this school for "
                                          f"{row['school_year']} already, with other terms or "
                                          "days: change it in coachops")
                continue
            found.agreements.append(CoachingAgreement.imported(
                actor, school, row["coach_id"], row["school_year"], terms,
                row["coach_signed_on"], row["principal_signed_on"], today,
                year_starts(row["school_year"])))
        except CoachopsError as error:
            problem(line, error.field, error.message)
    if problems.found:
        raise problems.reject()
    return found


def _agreement_id(row: dict[str, Any]) -> UUID:
    return coaching_agreement_id(row["coach_id"], row["school_id"], row["school_year"])


def _shaped(cells: dict[str, str]) -> dict[str, Any]:
    """The line as the command's fields: its focus areas as a list of {id, label}."""
    shaped: dict[str, Any] = dict(cells)
    for number in ("school_year", "check_in_every_weeks"):  # the command takes numbers
        if cells.get(number, "").isdigit():
            shaped[number] = int(cells[number])
    if "focus_areas" in cells:
        areas = []
        for item in filter(None, (i.strip() for i in cells["focus_areas"].split("|"))):
            area_id, _, label = item.partition("=")
            areas.append({"id": area_id.strip(), "label": label.strip() or area_id.strip()})
        shaped["focus_areas"] = areas
    return shaped

