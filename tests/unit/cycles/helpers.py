"""Builders shared by the cycles unit tests: a coach, a teacher, a school, a fixed day."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from coachops.identity import Actor, Role
from services.cycles.domain import Cycle, Goal

COACH = uuid.uuid4()
TEACHER = uuid.uuid4()
SECOND_TEACHER = uuid.uuid4()
SCHOOL = uuid.uuid4()
AS_COACH = Actor(COACH, Role.COACH)
AS_TEACHER = Actor(TEACHER, Role.TEACHER)
AS_SECOND_TEACHER = Actor(SECOND_TEACHER, Role.TEACHER)
OTHER_COACH = Actor(uuid.uuid4(), Role.COACH)
PRINCIPAL = Actor(uuid.uuid4(), Role.PRINCIPAL)
TODAY = date(2026, 11, 4)  # a Wednesday
NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
LATER = NOW + timedelta(days=1)
GOAL = Goal("More students explain their reasoning aloud", "tally of explanations per lesson",
            date(2026, 12, 18))


def propose(actor: Actor = AS_COACH, teacher_ids: list[uuid.UUID] | None = None,
            **changes: Any) -> Cycle:
    args: dict[str, Any] = {
        "actor": actor, "coach_id": COACH, "teacher_ids": teacher_ids or [TEACHER],
        "school_id": SCHOOL, "focus_area_ids": ["danielson-2b"], "goal": GOAL, "today": TODAY,
        **changes,
    }
    return Cycle.start(**args)


def active(teacher_ids: list[uuid.UUID] | None = None) -> Cycle:
    """A cycle the coach proposed and every teacher accepted; its events collected."""
    cycle = propose(teacher_ids=teacher_ids)
    for teacher in cycle.teacher_ids:
        cycle.accept(Actor(teacher, Role.TEACHER), TODAY)
    cycle.collect_events()
    return cycle


def observe(cycle: Cycle, actor: Actor = AS_COACH, **changes: Any) -> uuid.UUID:
    args: dict[str, Any] = {
        "observed_on": TODAY, "minutes": 45, "tool": "response_tally",
        "data": [{"look_for": "student explains", "count": 7}], "notes": None,
        "calendar_item_id": None, "now": NOW, "today": TODAY, **changes,
    }
    return cycle.log_observation(actor, **args)


def debrief(cycle: Cycle, actor: Actor = AS_COACH, **changes: Any) -> uuid.UUID:
    args: dict[str, Any] = {
        "held_on": TODAY, "minutes": 30, "evidence": "7 explanations, up from 3",
        "observation_ids": [], "keepers": ["wait time"], "polishers": ["cold calling"],
        "progress_rating": 3, "progress_text": "halfway there", "calendar_item_id": None,
        "now": NOW, "today": TODAY, **changes,
    }
    return cycle.hold_debrief(actor, **args)


def new_events(cycle: Cycle) -> list[Any]:
    return list(cycle.collect_events())


def names(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


@dataclass
class Worked:
    """An active cycle with something of everything in it, and the ids of each."""

    cycle: Cycle
    item_id: uuid.UUID  # an observation on the calendar, later today
    past_item_id: uuid.UUID  # a walkthrough that began two hours ago
    observation_id: uuid.UUID
    coach_step_id: uuid.UUID
    teacher_step_id: uuid.UUID


def worked() -> Worked:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, "observation", LATER, 45)
    past_item_id = cycle.schedule(AS_COACH, "walkthrough", EARLIER, 15)
    observation_id = observe(cycle)
    coach_step = cycle.add_next_step(AS_COACH, "share the tally sheet", COACH,
                                     TODAY + timedelta(days=2), TODAY)
    teacher_step = cycle.add_next_step(AS_COACH, "try think-pair-share", TEACHER,
                                       TODAY + timedelta(days=3), TODAY)
    cycle.collect_events()
    return Worked(cycle, item_id, past_item_id, observation_id, coach_step, teacher_step)


# Every command that writes a cycle, with valid arguments for a ``worked()`` cycle.
Write = Callable[[Worked, Actor], object]
WRITES: dict[str, Write] = {
    "agree_norms": lambda w, a: w.cycle.agree_norms(a, ["debrief within 24 hours"], None,
                                                    TODAY, TODAY),
    "schedule": lambda w, a: w.cycle.schedule(a, "co_teach", LATER, 50),
    "reschedule": lambda w, a: w.cycle.reschedule(a, w.item_id, LATER + timedelta(hours=1),
                                                  None),
    "cancel": lambda w, a: w.cycle.cancel(a, w.item_id, TODAY),
    "mark_done": lambda w, a: w.cycle.mark_done(a, w.past_item_id, None, NOW, TODAY),
    "log_observation": lambda w, a: observe(w.cycle, a),
    "hold_debrief": lambda w, a: debrief(w.cycle, a, observation_ids=[w.observation_id]),
    "add_next_step": lambda w, a: w.cycle.add_next_step(a, "read the article", TEACHER,
                                                        TODAY, TODAY),
    "complete_step": lambda w, a: w.cycle.complete_step(a, w.coach_step_id, TODAY),
    "drop_step": lambda w, a: w.cycle.drop_step(a, w.coach_step_id, TODAY),
    "move_back": lambda w, a: w.cycle.move_back(a, TODAY),
    "revise_goal": lambda w, a: w.cycle.revise_goal(
        a, Goal("Every student explains once", "tally", date(2027, 1, 29)), None,
        TODAY),
    "close": lambda w, a: w.cycle.close(a, "met", "tallies doubled over four weeks", TODAY),
}
