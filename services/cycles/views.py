"""What the coach's and the teacher's apps receive: JSON-ready dicts.

These answer a cycle's coach and teachers alone (``app.py`` checks it before anything is
built), so the goal, norms, notes, observation data and debriefs are shown here, and only
here. Instants are shown in the district's time zone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from coachops import clock
from coachops.identity import Actor, Role
from coachops.json import Json
from services.cycles.domain import (
    CalendarItem,
    Cycle,
    Debrief,
    ItemKind,
    NextStep,
    Observation,
    Phase,
    Read,
    Status,
)

# Said by every event, or the timeline's own fields: not repeated in its details.
NOT_DETAILS = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp", "actor",
     "coach_id", "school_id"}
)


def local(instant: datetime) -> str:
    try:
        return instant.astimezone(clock.district_zone()).isoformat()
    except OverflowError:  # stored before the calendar's bounds: shown in UTC, still readable
        return instant.isoformat()


def plain(value: Any) -> Any:
    """``value`` as JSON: ids and dates as strings, instants in the district's zone."""
    if isinstance(value, Actor):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def progress(cycle: Cycle) -> Json:
    counted = cycle.progress()
    return {"complete": counted.complete, "total": counted.total, "label": str(counted)}


def status(cycle: Cycle) -> Json:
    """What a command answers: where the cycle stands now."""
    return {"cycle_id": str(cycle.id), "status": cycle.status.value, "phase": cycle.phase.value,
            "next_steps": progress(cycle)}


def summary(cycle: Cycle) -> Json:
    return {
        **status(cycle),
        "coach_id": str(cycle.coach_id),
        "teacher_ids": plain(cycle.teacher_ids),
        "awaiting_teacher_ids": plain(cycle.pending_teacher_ids)
        if cycle.status is Status.PROPOSED else [],
        "school_id": str(cycle.school_id),
        "focus_area_ids": list(cycle.focus_area_ids),
        "goal": plain(cycle.goal),
        "proposed_on": cycle.proposed_on.isoformat(),
        "proposed_by": cycle.proposed_by.value,
        # A cycle run before coachops, imported by district IT: who entered it.
        "imported_by": plain(cycle.imported_by),
        "started_on": plain(cycle.started_on),
        "outcome": cycle.closing.outcome.value if cycle.closing else None,
        "withdrawn_on": plain(cycle.withdrawn_on),  # from reports, by a teacher
    }


def item(entry: CalendarItem) -> Json:
    return plain(entry)


def step(entry: NextStep) -> Json:
    return plain(entry)


def observation(entry: Observation) -> Json:
    return plain(entry)


def debrief(entry: Debrief) -> Json:
    body = plain(entry)
    body["progress"] = {"rating": body.pop("progress_rating"), "text": body.pop("progress_text")}
    return body


def cycle(found: Cycle) -> Json:
    """Everything in one cycle, for its coach and teachers."""
    return {
        **summary(found),
        "norms": plain(found.norms),
        "calendar": [item(i) for i in sorted(found.items.values(), key=lambda i: i.starts_at)],
        "observations": [observation(o) for o in found.observations.values()],
        "debriefs": [debrief(d) for d in found.debriefs.values()],
        "next_steps": {**progress(found),
                       "steps": [step(s) for s in found.steps.values()]},
        "closing": plain(found.closing),
    }


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def timeline(found: Cycle, events: Iterable[Any], reader: Actor) -> Json:
    """The cycle now, and what happened in it, in order. A teacher in a group does not see
    which other teacher declined the proposal."""
    entries = []
    for event in events:
        if (isinstance(event, Cycle.TeacherDeclined) and reader.role is Role.TEACHER
                and event.teacher_id != reader.id):
            continue
        if isinstance(event, Cycle.ClientCommandApplied):
            continue  # how the command reached the service, not something that happened
        details = {k: plain(v) for k, v in vars(event).items() if k not in NOT_DETAILS}
        entries.append({"event": snake(type(event).__name__), "at": local(event.timestamp),
                        "by": plain(event.actor), **details})
    return {"cycle": cycle(found), "timeline": entries}


def caseload(coach_id: UUID, cycles: list[Cycle], first: date, last: date) -> Json:
    """A coach's cycles by phase, the next steps due from ``first`` to ``last`` (a week),
    and the observations on the calendar."""
    active = [c for c in cycles if c.status is Status.ACTIVE]
    due = sorted(
        ({"cycle_id": str(c.id), **step(s)} for c in active for s in c.open_steps_due(first, last)),
        key=lambda s: (s["due_on"], s["cycle_id"]),
    )
    observations = sorted(
        ({"cycle_id": str(c.id), **item(i)} for c in active
         for i in c.scheduled(ItemKind.OBSERVATION)),
        key=lambda i: i["starts_at"],
    )
    by_phase = {p.value: [summary(c) for c in active if c.phase is p] for p in Phase}
    others = {s.value: [summary(c) for c in cycles if c.status is s]
              for s in (Status.PROPOSED, Status.CLOSED, Status.DECLINED)}
    counts = {name: len(listed) for name, listed in {**by_phase, **others}.items()}
    return {
        "coach_id": str(coach_id),
        "week_start": first.isoformat(),
        "week_end": last.isoformat(),
        "counts": counts,
        "by_phase": by_phase,
        **others,
        "next_steps_due_this_week": due,
        "observations_scheduled": observations,
    }


def teacher_cycles(teacher_id: UUID, cycles: list[Cycle]) -> Json:
    """A teacher's cycles; proposals waiting for their answer first."""
    waiting = {c.id for c in cycles
               if c.status is Status.PROPOSED and teacher_id in c.pending_teacher_ids}
    return {
        "teacher_id": str(teacher_id),
        "awaiting_your_answer": [summary(c) for c in cycles if c.id in waiting],
        "cycles": [summary(c) for c in cycles if c.id not in waiting],
    }


def reads(cycle_id: UUID, found: list[Read]) -> Json:
    """Who read the cycle's content: ids and roles, as the roster names them."""
    return {"cycle_id": str(cycle_id),
            "reads": [{"reader_id": str(r.reader_id), "role": r.role.value, "what": r.what,
                       "read_at": r.read_at.isoformat()} for r in found]}
