"""The checks on what a coach writes in a cycle, before any event: one field each, and
an ``Invalid`` (422) naming the field when it is not right."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar, overload
from uuid import UUID

from coachops.errors import Forbidden, Invalid
from coachops.identity import Actor, Role
from services.cycles.domain.values import Goal

BUILT_IN_TOOLS = ("talk_time", "question_levels", "response_tally", "free_notes")
DISTRICT_TOOL = re.compile(r"^district:[a-z0-9][a-z0-9-]{0,62}$")
MAX_TEXT = 10_000

E = TypeVar("E", bound=StrEnum)


def check_choice(kind: type[E], value: str, field_name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise Invalid(f"{value!r} is not one of: {options}", field=field_name) from None


@overload
def check_text(value: str | None, field_name: str, required: Literal[True] = True) -> str: ...
@overload
def check_text(value: str | None, field_name: str, required: bool) -> str | None: ...
def check_text(value: str | None, field_name: str, required: bool = True) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise Invalid("write something here: it is empty", field=field_name)
        return None
    if len(cleaned) > MAX_TEXT:
        raise Invalid(f"longer than {MAX_TEXT} characters", field=field_name)
    return cleaned


def check_texts(values: Iterable[str], field_name: str) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise Invalid("an item of the list is empty", field=field_name)
    return cleaned


def check_minutes(minutes: int, field_name: str = "minutes") -> int:
    if minutes <= 0:
        raise Invalid(f"the length must be more than zero minutes, not {minutes}",
                      field=field_name)
    return minutes


def check_not_after_today(day: date, today: date, field_name: str, what: str) -> None:
    if day > today:
        raise Invalid(f"{day} is after today ({today}): record {what} once it has happened",
                      field=field_name)


def check_tool(tool: str) -> str:
    if tool in BUILT_IN_TOOLS or DISTRICT_TOOL.match(tool):
        return tool
    raise Invalid(
        f"{tool!r} is not a data-collection tool: use one of {', '.join(BUILT_IN_TOOLS)}"
        " or a district tool as 'district:<id>'",
        field="tool",
    )


def check_focus_areas(focus_area_ids: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(f.strip() for f in focus_area_ids))
    if not unique or any(not f for f in unique):
        raise Invalid("name at least one focus area", field="focus_area_ids")
    return unique


def check_goal(goal: Goal, today: date) -> Goal:
    what = check_text(goal.what, "goal.what")
    measure = check_text(goal.measure, "goal.measure")
    if goal.by < today:
        raise Invalid(f"the goal's date ({goal.by}) is before today ({today})", field="goal.by")
    assert what is not None and measure is not None
    return Goal(what=what, measure=measure, by=goal.by)



def check_team(actor: Actor, coach_id: UUID, teacher_ids: list[UUID]) -> None:
    """Who starts a cycle (its coach, or a teacher in it) and whom it names."""
    if actor.role is Role.TEACHER:
        if actor.id not in teacher_ids:
            raise Forbidden("a teacher starts a cycle they are in", field="teacher_ids")
    elif actor.role is not Role.COACH or actor.id != coach_id:
        raise Forbidden("only the cycle's coach or its teacher can start it",
                        field="coach_id")
    if not teacher_ids:
        raise Invalid("name the teacher (or the small group of teachers)",
                      field="teacher_ids")
    if coach_id in teacher_ids:
        raise Invalid("a coach cannot coach themselves", field="teacher_ids")
    if len(set(teacher_ids)) != len(teacher_ids):
        raise Invalid("a teacher is listed twice", field="teacher_ids")


def check_look_fors(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Counts or durations per look-for, each look-for once."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(data):
        look_for = (row.get("look_for") or "").strip()
        if not look_for:
            raise Invalid("name the look-for", field=f"data.{index}.look_for")
        if look_for.casefold() in seen:
            raise Invalid(f"{look_for!r} is listed twice", field=f"data.{index}.look_for")
        seen.add(look_for.casefold())
        count, seconds = row.get("count"), row.get("seconds")
        if count is None and seconds is None:
            raise Invalid("give a count or a duration in seconds", field=f"data.{index}")
        for name, value in (("count", count), ("seconds", seconds)):
            if value is not None and value < 0:
                raise Invalid("cannot be negative", field=f"data.{index}.{name}")
        rows.append({"look_for": look_for, "count": count, "seconds": seconds})
    return rows


def check_debrief(minutes: int, evidence: str, keepers: list[str], polishers: list[str],
                  progress_rating: int, progress_text: str) -> dict[str, Any]:
    """What a debrief records, checked: the DebriefHeld event's content."""
    if not 1 <= progress_rating <= 5:
        raise Invalid("rate progress from 1 (not started) to 5 (goal reached)",
                      field="progress.rating")
    return {
        "minutes": check_minutes(minutes),
        "evidence": check_text(evidence, "evidence"),
        "keepers": check_texts(keepers, "keepers"),
        "polishers": check_texts(polishers, "polishers"),
        "progress_text": check_text(progress_text, "progress.text"),
    }
