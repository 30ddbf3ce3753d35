"""Builders shared by the time-tracking unit tests."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from coachops.identity import Actor, Role
from services.timetracking.domain import CategoryList, CoachDay, EntryValues

COACH = uuid.uuid4()
AS_COACH = Actor(COACH, Role.COACH)
LEADER = Actor(uuid.uuid4(), Role.DISTRICT_LEADER)
SCHOOL = uuid.uuid4()
MONDAY = date(2026, 10, 5)
TODAY = date(2026, 10, 7)


def values(start: str | None = "09:00", end: str | None = "10:00", **changes: Any) -> EntryValues:
    args: dict[str, Any] = {
        "school_id": SCHOOL, "worked_on": MONDAY, "category_id": "co-planning",
        "start": time.fromisoformat(start) if start else None,
        "end": time.fromisoformat(end) if end else None,
        **changes,
    }
    return EntryValues.of(**args)


def day(worked_on: date = MONDAY) -> CoachDay:
    return CoachDay(coach_id=COACH, worked_on=worked_on)


def record(coach_day: CoachDay, entry: EntryValues, categories: CategoryList | None = None,
           today: date = TODAY) -> uuid.UUID:
    entry_id = uuid.uuid4()
    coach_day.record(AS_COACH, entry_id, entry, categories or CategoryList.seeded(), today)
    return entry_id
