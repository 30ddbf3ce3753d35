"""The coaching cycle, as event-sourced aggregates. Pure: no I/O, and no clock (the
district's ``today`` and the instant ``now`` are passed in).

Why one aggregate per cycle
---------------------------
Every rule of a cycle (who may write it, what a closed cycle allows, which phase it is
in, whether a step is still open) is checked against that cycle alone, and a cycle lives
for weeks with tens of events: its calendar, observations, debriefs and next steps are
entities inside it. Two workers changing one cycle race for the same aggregate version;
the loser reloads and decides again (``services/cycles/app.py``), so no update is lost.

Coaching is voluntary
---------------------
A coach's start is a *proposal* (``Proposed``): nothing can be written on it until every
teacher named has accepted, and then the cycle is ``Started``. A teacher who starts a
cycle has accepted it by starting it. A teacher who declines leaves the proposal; when
the last one declines, it is closed as ``Declined`` for good (a new proposal is a new
cycle). The coach writes the cycle; its teachers accept, decline, complete their own next
steps and read it; nobody else does anything with it here.

Coaching is confidential
------------------------
The goal, norms, notes, observation data and debrief content are stored in these events
and shown only to the cycle's coach and teachers. Events also carry the cycle's coach
and school ids, so that ``integration.py`` can say what happened to the rest of the
district in ids, dates, phases and counts, without ever reading content.

Sent again from an app that was offline
---------------------------------------
A coach's app queues commands in a classroom without Wi-Fi and sends them when it is back
online, each with an id of its own (``client_id``); after a time-out it sends the batch
again. A command sent with a client id ends with ``ClientCommandApplied`` in the same
save as the events it caused, so the cycle itself remembers it: sent again, it changes
nothing and answers as it did the first time (the cycle as it stood then, replayed to
that version). A proposal sent from an app gets an id made from its client id
(``synced_cycle_id``), so a second sending finds the cycle already there.

Event methods (``@event``) only apply; every check is made before one is triggered,
because event bodies run again on every replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, overload
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from coachops.privacy import Personal

NAMESPACE = UUID("9a4c1e52-3f7d-4b0a-8c61-2d5e7f9b1a03")
BUILT_IN_TOOLS = ("talk_time", "question_levels", "response_tally", "free_notes")
DISTRICT_TOOL = re.compile(r"^district:[a-z0-9][a-z0-9-]{0,62}$")
MAX_TEXT = 10_000


class Phase(StrEnum):
    PLAN = "plan"
    ACT = "act"
    REFLECT = "reflect"

    def before(self) -> Phase | None:
        order = list(Phase)
        index = order.index(self)
        return order[index - 1] if index else None


class Status(StrEnum):
    PROPOSED = "proposed"  # waiting for the teachers to accept
    ACTIVE = "active"
    DECLINED = "declined"  # closed for good: the teachers said no
    CLOSED = "closed"  # with an outcome; the coach may reopen it


class Outcome(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class ItemKind(StrEnum):
    WALKTHROUGH = "walkthrough"
    OBSERVATION = "observation"
    CO_TEACH = "co_teach"
    MODELLED_LESSON = "modelled_lesson"
    DEBRIEF = "debrief"


# The calendar items an observation can be the record of.
OBSERVED_KINDS = frozenset(
    {ItemKind.WALKTHROUGH, ItemKind.OBSERVATION, ItemKind.CO_TEACH, ItemKind.MODELLED_LESSON}
)


class ItemStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


class StepStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    DROPPED = "dropped"


class Cause(StrEnum):
    """Why a cycle changed phase."""

    OBSERVATION = "observation"
    DEBRIEF = "debrief"
    MOVED_BACK = "moved_back"
    GOAL_REVISED = "goal_revised"


@dataclass(frozen=True)
class Goal:
    """In the teacher's words: confidential to the coach and the teacher."""

    what: str
    measure: str
    by: date


@dataclass(frozen=True)
class Norms:
    """How coach and teacher work together in this cycle, as they agreed it (or the
    partnership agreement that says so)."""

    norms: list[str]
    agreement_id: UUID | None
    agreed_on: date


@dataclass
class CalendarItem:
    item_id: UUID
    kind: ItemKind
    starts_at: datetime  # an instant (UTC); shown in the district's time zone
    minutes: int
    status: ItemStatus = ItemStatus.SCHEDULED
    closed_on: date | None = None  # the day it was done or cancelled


@dataclass
class Observation:
    observation_id: UUID
    observed_on: date
    minutes: int
    tool: str
    data: list[dict[str, Any]]  # [{"look_for": ..., "count": n, "seconds": s}, ...]
    notes: str | None
    calendar_item_id: UUID | None


@dataclass
class Debrief:
    debrief_id: UUID
    held_on: date
    minutes: int
    evidence: str
    observation_ids: list[UUID]
    keepers: list[str]
    polishers: list[str]
    progress_rating: int
    progress_text: str
    calendar_item_id: UUID | None


@dataclass
class NextStep:
    step_id: UUID
    text: str
    owner_id: UUID
    owner_role: Role
    due_on: date
    status: StepStatus = StepStatus.OPEN
    closed_on: date | None = None


@dataclass(frozen=True)
class Progress:
    """"2/3 next steps complete": dropped steps are not counted."""

    complete: int
    total: int

    def __str__(self) -> str:
        return f"{self.complete}/{self.total} next steps complete"


@dataclass(frozen=True)
class Applied:
    """A command an app sent with its own id: what it made (an observation, a next
    step...), and the cycle's version once it was done, to answer a resend the same way."""

    result_id: UUID | None
    version: int
    sent_by: UUID
    command: str


@dataclass(frozen=True)
class Closing:
    outcome: Outcome
    evidence: str
    closed_on: date


E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], value: str, field_name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise Invalid(f"{value!r} is not one of: {options}", field=field_name) from None


@overload
def _text(value: str | None, field_name: str, required: Literal[True] = True) -> str: ...
@overload
def _text(value: str | None, field_name: str, required: bool) -> str | None: ...
def _text(value: str | None, field_name: str, required: bool = True) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise Invalid("write something here: it is empty", field=field_name)
        return None
    if len(cleaned) > MAX_TEXT:
        raise Invalid(f"longer than {MAX_TEXT} characters", field=field_name)
    return cleaned


def _texts(values: Iterable[str], field_name: str) -> list[str]:
    cleaned = [v.strip() for v in values]
    if any(not v for v in cleaned):
        raise Invalid("an item of the list is empty", field=field_name)
    return cleaned


def _minutes(minutes: int, field_name: str = "minutes") -> int:
    if minutes <= 0:
        raise Invalid(f"the length must be more than zero minutes, not {minutes}",
                      field=field_name)
    return minutes


def _not_after_today(day: date, today: date, field_name: str, what: str) -> None:
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
    what = _text(goal.what, "goal.what")
    measure = _text(goal.measure, "goal.measure")
    if goal.by < today:
        raise Invalid(f"the goal's date ({goal.by}) is before today ({today})", field="goal.by")
    assert what is not None and measure is not None
    return Goal(what=what, measure=measure, by=goal.by)


class Cycle(Aggregate):
    """One coach working with one teacher (or a small group) on one measurable goal."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Proposed: ClassVar[type[Any]]
        Accepted: ClassVar[type[Any]]
        Started: ClassVar[type[Any]]
        TeacherDeclined: ClassVar[type[Any]]
        Declined: ClassVar[type[Any]]
        WithdrawnFromReporting: ClassVar[type[Any]]
        NormsAgreed: ClassVar[type[Any]]
        ItemScheduled: ClassVar[type[Any]]
        ItemRescheduled: ClassVar[type[Any]]
        ItemCancelled: ClassVar[type[Any]]
        ItemDone: ClassVar[type[Any]]
        ObservationLogged: ClassVar[type[Any]]
        DebriefHeld: ClassVar[type[Any]]
        PhaseChanged: ClassVar[type[Any]]
        GoalRevised: ClassVar[type[Any]]
        NextStepAdded: ClassVar[type[Any]]
        NextStepCompleted: ClassVar[type[Any]]
        NextStepDropped: ClassVar[type[Any]]
        Closed: ClassVar[type[Any]]
        Reopened: ClassVar[type[Any]]
        ClientCommandApplied: ClassVar[type[Any]]

    @classmethod
    def start(
        cls,
        actor: Actor,
        coach_id: UUID,
        teacher_ids: list[UUID],
        school_id: UUID,
        focus_area_ids: list[str],
        goal: Goal,
        today: date,
        cycle_id: UUID | None = None,
    ) -> Cycle:
        """A coach proposes a cycle; a teacher starts one (and so has accepted it).
        ``cycle_id`` is given for a proposal sent from an app (``synced_cycle_id``)."""
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
        proposal: dict[str, Any] = {  # the Proposed event's attributes
            "actor": actor,
            "coach_id": coach_id,
            "teacher_ids": list(teacher_ids),
            "school_id": school_id,
            "focus_area_ids": check_focus_areas(focus_area_ids),
            "goal": check_goal(goal, today),
            "proposed_on": today,
        }
        if cycle_id is None:
            cycle = cls(**proposal)
        else:  # the library's way to create an aggregate with an id chosen beforehand
            cycle = cls._create(cls.Proposed, id=cycle_id, **proposal)
        if actor.role is Role.TEACHER:
            cycle._accept(actor, actor.id, today)
        return cycle

    @event("Proposed")
    def __init__(
        self,
        actor: Actor,
        coach_id: UUID,
        teacher_ids: list[UUID],
        school_id: UUID,
        focus_area_ids: list[str],
        goal: Goal,
        proposed_on: date,
    ) -> None:
        self.coach_id = coach_id
        self.teacher_ids = teacher_ids
        self.school_id = school_id
        self.focus_area_ids = focus_area_ids
        self.goal = goal
        self.proposed_on = proposed_on
        self.proposed_by = actor.role
        self.accepted: list[UUID] = []
        self.started_on: date | None = None
        self.status = Status.PROPOSED
        self.phase = Phase.PLAN
        self.norms: Norms | None = None
        self.items: dict[UUID, CalendarItem] = {}
        self.observations: dict[UUID, Observation] = {}
        self.debriefs: dict[UUID, Debrief] = {}
        self.steps: dict[UUID, NextStep] = {}
        self.closing: Closing | None = None
        self.applied: dict[UUID, Applied] = {}  # by client id: commands sent from apps
        self.withdrawn_on: date | None = None  # from aggregate reports, by a teacher

    # Who may do what ---------------------------------------------------------------------

    def is_coach(self, actor: Actor) -> bool:
        return actor.role is Role.COACH and actor.id == self.coach_id

    def is_teacher(self, actor: Actor) -> bool:
        return actor.role is Role.TEACHER and actor.id in self.teacher_ids

    def can_read(self, actor: Actor) -> bool:
        """The cycle's content is its coach's and its teachers', and no one else's."""
        return self.is_coach(actor) or self.is_teacher(actor)

    def require_reader(self, actor: Actor) -> None:
        if not self.can_read(actor):
            raise Forbidden("a cycle is readable by its coach and its teachers only",
                            field="cycle_id")

    def _require_coach(self, actor: Actor) -> None:
        if not self.is_coach(actor):
            raise Forbidden(
                "only the cycle's coach writes it (its teachers accept or decline it,"
                " complete their own next steps and read it)",
                field="cycle_id",
            )

    def _require_invited(self, actor: Actor) -> UUID:
        if not self.is_teacher(actor):
            raise Forbidden("only a teacher the cycle names can accept or decline it",
                            field="cycle_id")
        return actor.id

    def _require_active(self) -> None:
        """Nothing but reopen on a closed cycle; nothing at all before it is accepted."""
        if self.status is Status.PROPOSED:
            raise Invalid("the teacher has not accepted this cycle yet: coaching starts"
                          " once they do", field="cycle_id")
        if self.status is Status.DECLINED:
            raise Invalid("the teacher declined this cycle: it is closed", field="cycle_id")
        if self.status is Status.CLOSED:
            raise Invalid("the cycle is closed: reopen it to change anything",
                          field="cycle_id")

    def _ids(self) -> dict[str, Any]:
        """What every event carries, so the integration events need no other state."""
        return {"coach_id": self.coach_id, "school_id": self.school_id}

    # Commands sent from apps, remembered by their client id -------------------------------

    def remember(self, actor: Actor, client_id: UUID, command: str,
                 result_id: UUID | None) -> None:
        """The last event of a command an app sent: saved with the command's own events."""
        if client_id in self.applied:
            raise ValueError(f"command {client_id} is already applied to this cycle")
        self._client_command_applied(client_id=client_id, sent_by=actor.id, command=command,
                                     result_id=result_id)

    def applied_before(self, actor: Actor, client_id: UUID, command: str) -> Applied | None:
        """The command ``actor`` sent with this client id, if this cycle has applied it.
        A client id names one command of one person: reused for another is a conflict."""
        applied = self.applied.get(client_id)
        if applied is not None and (applied.sent_by, applied.command) != (actor.id, command):
            raise Conflict(f"the id {client_id} was given to another command already:"
                           " give each command an id of its own", field="client_id")
        return applied

    # Queries -----------------------------------------------------------------------------

    @property
    def pending_teacher_ids(self) -> list[UUID]:
        return [t for t in self.teacher_ids if t not in self.accepted]

    def progress(self) -> Progress:
        counted = [s for s in self.steps.values() if s.status is not StepStatus.DROPPED]
        complete = [s for s in counted if s.status is StepStatus.COMPLETE]
        return Progress(complete=len(complete), total=len(counted))

    def open_steps_due(self, first: date, last: date) -> list[NextStep]:
        return sorted(
            (s for s in self.steps.values()
             if s.status is StepStatus.OPEN and first <= s.due_on <= last),
            key=lambda s: s.due_on,
        )

    def scheduled(self, kind: ItemKind | None = None) -> list[CalendarItem]:
        return sorted(
            (i for i in self.items.values()
             if i.status is ItemStatus.SCHEDULED and (kind is None or i.kind is kind)),
            key=lambda i: i.starts_at,
        )

    def item(self, item_id: UUID, field_name: str = "item_id") -> CalendarItem:
        try:
            return self.items[item_id]
        except KeyError:
            raise NotFound(f"this cycle has no calendar item {item_id}",
                           field=field_name) from None

    def step(self, step_id: UUID) -> NextStep:
        try:
            return self.steps[step_id]
        except KeyError:
            raise NotFound(f"this cycle has no next step {step_id}", field="step_id") from None

    # Taking part: voluntary --------------------------------------------------------------

    def accept(self, actor: Actor, today: date) -> None:
        teacher_id = self._require_invited(actor)
        if self.status is not Status.PROPOSED:
            self._require_active()
            raise Invalid("the cycle is already active", field="cycle_id")
        if teacher_id in self.accepted:
            raise Invalid("you have already accepted this cycle; it starts when every"
                          " teacher in it has", field="cycle_id")
        self._accept(actor, teacher_id, today)

    def decline(self, actor: Actor, today: date) -> None:
        """A teacher says no: they leave the proposal. When nobody is left, it is closed
        as declined; when everyone left has accepted, it starts."""
        teacher_id = self._require_invited(actor)
        if self.status is not Status.PROPOSED:
            self._require_active()
            raise Invalid("the cycle is already active: only a proposal can be declined",
                          field="cycle_id")
        self._teacher_declined(actor=actor, **self._ids(), teacher_id=teacher_id)
        if not self.teacher_ids:
            self._declined(actor=actor, **self._ids(), focus_area_ids=self.focus_area_ids,
                           declined_on=today)
        elif not self.pending_teacher_ids:
            self._start(None, today)  # started by those who accepted, not by this "no"

    def _accept(self, actor: Actor, teacher_id: UUID, today: date) -> None:
        self._accepted(actor=actor, **self._ids(), teacher_id=teacher_id)
        if not self.pending_teacher_ids:
            self._start(actor, today)

    def _start(self, actor: Actor | None, today: date) -> None:
        self._started(actor=actor, **self._ids(), teacher_ids=list(self.teacher_ids),
                      focus_area_ids=self.focus_area_ids, phase=self.phase.value,
                      started_on=today)

    # Norms -------------------------------------------------------------------------------

    def agree_norms(self, actor: Actor, norms: list[str], agreement_id: UUID | None,
                    agreed_on: date, today: date) -> None:
        """Record the norms coach and teacher agreed for this cycle, or the partnership
        agreement that holds them. Agreeing again replaces them."""
        self._require_coach(actor)
        self._require_active()
        norms = _texts(norms, "norms")
        if not norms and agreement_id is None:
            raise Invalid("give the norms agreed, or the partnership agreement",
                          field="norms")
        _not_after_today(agreed_on, today, "agreed_on", "the norms")
        self._norms_agreed(actor=actor, **self._ids(), norms=norms,
                           agreement_id=agreement_id, agreed_on=agreed_on)

    # The calendar ------------------------------------------------------------------------

    def schedule(self, actor: Actor, kind: str, starts_at: datetime, minutes: int) -> UUID:
        self._require_coach(actor)
        self._require_active()
        item_kind = _choice(ItemKind, kind, "kind")
        if starts_at.tzinfo is None:
            raise ValueError("a calendar item starts at an instant: give a zone")
        item_id = uuid4()
        self._item_scheduled(actor=actor, **self._ids(), item_id=item_id,
                             kind=item_kind.value, starts_at=starts_at,
                             minutes=_minutes(minutes))
        return item_id

    def reschedule(self, actor: Actor, item_id: UUID, starts_at: datetime,
                   minutes: int | None) -> None:
        self._require_coach(actor)
        self._require_active()
        item = self._scheduled_item(item_id)
        minutes = item.minutes if minutes is None else _minutes(minutes)
        if (starts_at, minutes) == (item.starts_at, item.minutes):
            raise Invalid("that is when it is already scheduled", field="starts_at")
        self._item_rescheduled(actor=actor, **self._ids(), item_id=item_id,
                               kind=item.kind.value, starts_at=starts_at, minutes=minutes)

    def cancel(self, actor: Actor, item_id: UUID, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        item = self._scheduled_item(item_id)
        self._item_cancelled(actor=actor, **self._ids(), item_id=item_id,
                             kind=item.kind.value, cancelled_on=today)

    def mark_done(self, actor: Actor, item_id: UUID, minutes: int | None, now: datetime,
                  today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        self._done(actor, self._scheduled_item(item_id), minutes, now, today)

    def _scheduled_item(self, item_id: UUID, field_name: str = "item_id") -> CalendarItem:
        item = self.item(item_id, field_name)
        if item.status is not ItemStatus.SCHEDULED:
            raise Invalid(f"the {item.kind.value.replace('_', ' ')} is {item.status.value}:"
                          " schedule a new one", field=field_name)
        return item

    def _done(self, actor: Actor, item: CalendarItem, minutes: int | None, now: datetime,
              today: date, field_name: str = "item_id") -> None:
        if item.starts_at > now:
            raise Invalid(f"it is scheduled for {item.starts_at.isoformat()}: mark it done"
                          " once it has started", field=field_name)
        self._item_done(actor=actor, **self._ids(), item_id=item.item_id,
                        kind=item.kind.value, done_on=today,
                        minutes=item.minutes if minutes is None else _minutes(minutes))

    def _linked_item(self, item_id: UUID | None, kinds: Iterable[ItemKind]) -> CalendarItem | None:
        """The calendar item an observation or a debrief is the record of, if one is named."""
        if item_id is None:
            return None
        item = self.item(item_id, "calendar_item_id")
        if item.kind not in kinds:
            names = ", ".join(sorted(k.value for k in kinds))
            raise Invalid(f"the calendar item is a {item.kind.value}, not one of: {names}",
                          field="calendar_item_id")
        if item.status is ItemStatus.CANCELLED:
            raise Invalid("the calendar item was cancelled", field="calendar_item_id")
        return item

    # Observations and debriefs -----------------------------------------------------------

    def log_observation(
        self,
        actor: Actor,
        observed_on: date,
        minutes: int,
        tool: str,
        data: list[dict[str, Any]],
        notes: str | None,
        calendar_item_id: UUID | None,
        now: datetime,
        today: date,
    ) -> UUID:
        """What was observed, with which tool: the cycle moves to Act."""
        self._require_coach(actor)
        self._require_active()
        _not_after_today(observed_on, today, "observed_on", "an observation")
        minutes, tool = _minutes(minutes), check_tool(tool)
        rows = self._look_fors(data)
        notes = _text(notes, "notes", required=False)
        if not rows and notes is None:
            raise Invalid("record the data collected, or notes", field="data")
        item = self._linked_item(calendar_item_id, OBSERVED_KINDS)
        if item is not None and item.status is ItemStatus.SCHEDULED:
            self._done(actor, item, minutes, now, today, "calendar_item_id")
        observation_id = uuid4()
        self._observation_logged(
            actor=actor, **self._ids(), observation_id=observation_id, observed_on=observed_on,
            minutes=minutes, tool=tool, data=rows, notes=notes,
            calendar_item_id=calendar_item_id, phase=Phase.ACT.value,
        )
        self._move_to(actor, Phase.ACT, Cause.OBSERVATION, today)
        return observation_id

    @staticmethod
    def _look_fors(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
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

    def hold_debrief(
        self,
        actor: Actor,
        held_on: date,
        minutes: int,
        evidence: str,
        observation_ids: list[UUID],
        keepers: list[str],
        polishers: list[str],
        progress_rating: int,
        progress_text: str,
        calendar_item_id: UUID | None,
        now: datetime,
        today: date,
    ) -> UUID:
        """Evidence discussed, keepers and polishers, progress toward the goal: the cycle
        moves to Reflect."""
        self._require_coach(actor)
        self._require_active()
        _not_after_today(held_on, today, "held_on", "a debrief")
        for observation_id in observation_ids:
            if observation_id not in self.observations:
                raise NotFound(f"this cycle has no observation {observation_id}",
                               field="observation_ids")
        if not 1 <= progress_rating <= 5:
            raise Invalid("rate progress from 1 (not started) to 5 (goal reached)",
                          field="progress.rating")
        content: dict[str, Any] = {
            "minutes": _minutes(minutes),
            "evidence": _text(evidence, "evidence"),
            "keepers": _texts(keepers, "keepers"),
            "polishers": _texts(polishers, "polishers"),
            "progress_text": _text(progress_text, "progress.text"),
        }
        item = self._linked_item(calendar_item_id, {ItemKind.DEBRIEF})
        if item is not None and item.status is ItemStatus.SCHEDULED:
            self._done(actor, item, minutes, now, today, "calendar_item_id")
        debrief_id = uuid4()
        self._debrief_held(
            actor=actor, **self._ids(), **content, debrief_id=debrief_id, held_on=held_on,
            observation_ids=list(dict.fromkeys(observation_ids)),
            progress_rating=progress_rating, calendar_item_id=calendar_item_id,
            phase=Phase.REFLECT.value,
        )
        self._move_to(actor, Phase.REFLECT, Cause.DEBRIEF, today)
        return debrief_id

    # Next steps --------------------------------------------------------------------------

    def add_next_step(self, actor: Actor, text: str, owner_id: UUID, due_on: date,
                      today: date) -> UUID:
        self._require_coach(actor)
        self._require_active()
        if owner_id == self.coach_id:
            owner_role = Role.COACH
        elif owner_id in self.teacher_ids:
            owner_role = Role.TEACHER
        else:
            raise Invalid("a next step is owned by the cycle's coach or one of its teachers",
                          field="owner_id")
        if due_on < today:
            raise Invalid(f"a next step cannot be due in the past ({due_on} is before"
                          f" {today})", field="due_on")
        progress = self.progress()
        step_id = uuid4()
        self._step_added(actor=actor, **self._ids(), step_id=step_id,
                         text=_text(text, "text"), owner_id=owner_id,
                         owner_role=owner_role.value, due_on=due_on,
                         complete_count=progress.complete, total_count=progress.total + 1)
        return step_id

    def complete_step(self, actor: Actor, step_id: UUID, today: date) -> None:
        """The coach completes any step; a teacher completes their own."""
        if not self.can_read(actor):
            raise Forbidden("only the cycle's coach, or the teacher who owns the step, can"
                            " complete it", field="cycle_id")
        self._require_active()
        step = self._open_step(step_id)
        if not self.is_coach(actor) and step.owner_id != actor.id:
            raise Forbidden("a teacher completes their own next steps only", field="step_id")
        progress = self.progress()
        self._step_completed(actor=actor, **self._ids(), step_id=step_id,
                             owner_role=step.owner_role.value, completed_on=today,
                             complete_count=progress.complete + 1,
                             total_count=progress.total)

    def drop_step(self, actor: Actor, step_id: UUID, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        step = self._open_step(step_id)
        progress = self.progress()
        self._step_dropped(actor=actor, **self._ids(), step_id=step_id,
                           owner_role=step.owner_role.value, dropped_on=today,
                           complete_count=progress.complete, total_count=progress.total - 1)

    def _open_step(self, step_id: UUID) -> NextStep:
        step = self.step(step_id)
        if step.status is not StepStatus.OPEN:
            raise Invalid(f"the next step is already {step.status.value}", field="step_id")
        return step

    # Phases, closing and reopening -------------------------------------------------------

    def move_back(self, actor: Actor, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        before = self.phase.before()
        if before is None:
            raise Invalid("the cycle is in Plan, the first phase: there is none before it",
                          field="phase")
        self._move_to(actor, before, Cause.MOVED_BACK, today)

    def revise_goal(self, actor: Actor, goal: Goal, focus_area_ids: list[str] | None,
                    today: date) -> None:
        """A revised goal, and the cycle returns to Plan."""
        self._require_coach(actor)
        self._require_active()
        goal = check_goal(goal, today)
        focus = self.focus_area_ids if focus_area_ids is None else check_focus_areas(
            focus_area_ids)
        if goal == self.goal and focus == self.focus_area_ids:
            raise Invalid("the goal is already that", field="goal")
        self._goal_revised(actor=actor, **self._ids(), goal=goal, focus_area_ids=focus,
                           revised_on=today)
        self._move_to(actor, Phase.PLAN, Cause.GOAL_REVISED, today)

    def close(self, actor: Actor, outcome: str, evidence: str, today: date) -> None:
        self._require_coach(actor)
        self._require_active()
        self._closed(actor=actor, **self._ids(), outcome=_choice(Outcome, outcome,
                                                                 "outcome").value,
                     evidence=_text(evidence, "evidence"), closed_on=today,
                     phase=self.phase.value, focus_area_ids=self.focus_area_ids)

    def reopen(self, actor: Actor, today: date) -> None:
        self._require_coach(actor)
        if self.status is Status.DECLINED:
            raise Invalid("a declined proposal stays closed: propose a new cycle",
                          field="cycle_id")
        if self.status is not Status.CLOSED:
            raise Invalid(f"the cycle is {self.status.value}, not closed", field="cycle_id")
        self._reopened(actor=actor, **self._ids(), reopened_on=today, phase=self.phase.value,
                       focus_area_ids=self.focus_area_ids)

    # Consent --------------------------------------------------------------------------------

    def withdraw_from_reporting(self, actor: Actor, today: date) -> None:
        """A teacher takes the cycle out of every aggregate report, past ones included:
        being counted is theirs to consent to. The coaching itself goes on."""
        if not self.is_teacher(actor):
            raise Forbidden("only a teacher the cycle names can withdraw it from reports",
                            field="cycle_id")
        if self.withdrawn_on is not None:
            raise Invalid(f"the cycle was withdrawn from reports on {self.withdrawn_on}",
                          field="cycle_id")
        self._withdrawn(actor=actor, **self._ids(), withdrawn_on=today)

    def _move_to(self, actor: Actor, phase: Phase, cause: Cause, today: date) -> None:
        if phase is not self.phase:
            self._phase_changed(actor=actor, **self._ids(), from_phase=self.phase.value,
                                to_phase=phase.value, cause=cause.value, changed_on=today)

    # Events: they only apply, they never check (they run again on every replay) ----------

    @event("Accepted")
    def _accepted(self, actor: Actor, coach_id: UUID, school_id: UUID,
                  teacher_id: UUID) -> None:
        self.accepted.append(teacher_id)

    @event("Started")
    def _started(self, actor: Actor | None, coach_id: UUID, school_id: UUID,
                 teacher_ids: list[UUID], focus_area_ids: list[str], phase: str,
                 started_on: date) -> None:
        self.status = Status.ACTIVE
        self.started_on = started_on

    @event("TeacherDeclined")
    def _teacher_declined(self, actor: Actor, coach_id: UUID, school_id: UUID,
                          teacher_id: UUID) -> None:
        self.teacher_ids = [t for t in self.teacher_ids if t != teacher_id]
        self.accepted = [t for t in self.accepted if t != teacher_id]

    @event("Declined")
    def _declined(self, actor: Actor, coach_id: UUID, school_id: UUID,
                  focus_area_ids: list[str], declined_on: date) -> None:
        self.status = Status.DECLINED

    @event("WithdrawnFromReporting")
    def _withdrawn(self, actor: Actor, coach_id: UUID, school_id: UUID,
                   withdrawn_on: date) -> None:
        self.withdrawn_on = withdrawn_on

    @event("NormsAgreed")
    def _norms_agreed(self, actor: Actor, coach_id: UUID, school_id: UUID, norms: list[str],
                      agreement_id: UUID | None, agreed_on: date) -> None:
        self.norms = Norms(norms=norms, agreement_id=agreement_id, agreed_on=agreed_on)

    @event("ItemScheduled")
    def _item_scheduled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                        kind: str, starts_at: datetime, minutes: int) -> None:
        self.items[item_id] = CalendarItem(item_id, ItemKind(kind), starts_at, minutes)

    @event("ItemRescheduled")
    def _item_rescheduled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                          kind: str, starts_at: datetime, minutes: int) -> None:
        item = self.items[item_id]
        item.starts_at, item.minutes = starts_at, minutes

    @event("ItemCancelled")
    def _item_cancelled(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                        kind: str, cancelled_on: date) -> None:
        item = self.items[item_id]
        item.status, item.closed_on = ItemStatus.CANCELLED, cancelled_on

    @event("ItemDone")
    def _item_done(self, actor: Actor, coach_id: UUID, school_id: UUID, item_id: UUID,
                   kind: str, done_on: date, minutes: int) -> None:
        item = self.items[item_id]
        item.status, item.closed_on, item.minutes = ItemStatus.DONE, done_on, minutes

    @event("ObservationLogged")
    def _observation_logged(self, actor: Actor, coach_id: UUID, school_id: UUID,
                            observation_id: UUID, observed_on: date, minutes: int, tool: str,
                            data: list[dict[str, Any]], notes: str | None,
                            calendar_item_id: UUID | None, phase: str) -> None:
        self.observations[observation_id] = Observation(
            observation_id, observed_on, minutes, tool, data, notes, calendar_item_id)

    @event("DebriefHeld")
    def _debrief_held(self, actor: Actor, coach_id: UUID, school_id: UUID, debrief_id: UUID,
                      held_on: date, minutes: int, evidence: str, observation_ids: list[UUID],
                      keepers: list[str], polishers: list[str], progress_rating: int,
                      progress_text: str, calendar_item_id: UUID | None, phase: str) -> None:
        self.debriefs[debrief_id] = Debrief(
            debrief_id, held_on, minutes, evidence, observation_ids, keepers, polishers,
            progress_rating, progress_text, calendar_item_id)

    @event("PhaseChanged")
    def _phase_changed(self, actor: Actor, coach_id: UUID, school_id: UUID, from_phase: str,
                       to_phase: str, cause: str, changed_on: date) -> None:
        self.phase = Phase(to_phase)

    @event("GoalRevised")
    def _goal_revised(self, actor: Actor, coach_id: UUID, school_id: UUID, goal: Goal,
                      focus_area_ids: list[str], revised_on: date) -> None:
        self.goal = goal
        self.focus_area_ids = focus_area_ids

    @event("NextStepAdded")
    def _step_added(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                    text: str, owner_id: UUID, owner_role: str, due_on: date,
                    complete_count: int, total_count: int) -> None:
        self.steps[step_id] = NextStep(step_id, text, owner_id, Role(owner_role), due_on)

    @event("NextStepCompleted")
    def _step_completed(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                        owner_role: str, completed_on: date, complete_count: int,
                        total_count: int) -> None:
        step = self.steps[step_id]
        step.status, step.closed_on = StepStatus.COMPLETE, completed_on

    @event("NextStepDropped")
    def _step_dropped(self, actor: Actor, coach_id: UUID, school_id: UUID, step_id: UUID,
                      owner_role: str, dropped_on: date, complete_count: int,
                      total_count: int) -> None:
        step = self.steps[step_id]
        step.status, step.closed_on = StepStatus.DROPPED, dropped_on

    @event("Closed")
    def _closed(self, actor: Actor, coach_id: UUID, school_id: UUID, outcome: str,
                evidence: str, closed_on: date, phase: str, focus_area_ids: list[str]) -> None:
        self.status = Status.CLOSED
        self.closing = Closing(Outcome(outcome), evidence, closed_on)

    @event("Reopened")
    def _reopened(self, actor: Actor, coach_id: UUID, school_id: UUID, reopened_on: date,
                  phase: str, focus_area_ids: list[str]) -> None:
        self.status = Status.ACTIVE
        self.closing = None

    @event("ClientCommandApplied")
    def _client_command_applied(self, client_id: UUID, sent_by: UUID, command: str,
                                result_id: UUID | None) -> None:
        # Triggered after the command's events and applied before the version moves on:
        # ``self.version`` is the cycle as the command left it.
        self.applied[client_id] = Applied(result_id, self.version, sent_by, command)


def synced_cycle_id(actor_id: UUID, client_id: UUID) -> UUID:
    """The id of a cycle an app proposed, from the id the app gave the command: the same
    proposal sent twice is the same cycle. Scoped by the sender, so nobody can take
    another person's id."""
    return uuid5(NAMESPACE, f"synced-cycle:{actor_id}:{client_id}")


class Caseload(Aggregate):
    """The cycles one person is in, as their coach or as a teacher: a coach's caseload, a
    teacher's own cycles. Saved with the cycle it gains, in one transaction."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Opened: ClassVar[type[Any]]
        CycleAdded: ClassVar[type[Any]]

    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return caseload_id(person_id)

    @event("Opened")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.cycles: dict[UUID, Role] = {}

    def cycle_ids(self, role: Role) -> list[UUID]:
        return [cycle_id for cycle_id, r in self.cycles.items() if r is role]

    @event("CycleAdded")
    def add(self, cycle_id: UUID, role: str) -> None:
        self.cycles[cycle_id] = Role(role)


def caseload_id(person_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"caseload:{person_id}")


@dataclass(frozen=True)
class Read:
    reader_id: UUID
    role: Role
    what: str  # "cycle" (its content), "timeline" (every change, with its content),
    # "caseload" or "teacher_cycles" (its goal and next steps, in a list of cycles)
    read_at: datetime


class ReadLog(Aggregate):
    """Who read a cycle's content, and when: the audit its coach and teachers may list.
    Kept in this store beside the cycle; never published."""
    if TYPE_CHECKING:  # the event classes @event makes from the methods below;
        # their attributes are the methods' parameters, which mypy cannot see.
        Opened: ClassVar[type[Any]]
        ContentRead: ClassVar[type[Any]]

    @staticmethod
    def create_id(cycle_id: UUID) -> UUID:
        return read_log_id(cycle_id)

    @event("Opened")
    def __init__(self, cycle_id: UUID) -> None:
        self.cycle_id = cycle_id
        self.reads: list[Read] = []

    @event("ContentRead")
    def record(self, reader_id: UUID, role: str, what: str, read_at: datetime) -> None:
        self.reads.append(Read(reader_id, Role(role), what, read_at))


def read_log_id(cycle_id: UUID) -> UUID:
    return uuid5(NAMESPACE, f"reads:{cycle_id}")


# What the teacher and the coach wrote or collected: sealed in the store with the cycle's
# own key, which is destroyed when a person in the cycle is forgotten (``coachops.privacy``).
PERSONAL_DATA: dict[type, Personal] = {
    Cycle.Proposed: Personal("goal.what", "goal.measure"),
    Cycle.GoalRevised: Personal("goal.what", "goal.measure"),
    Cycle.NormsAgreed: Personal("norms"),
    Cycle.ObservationLogged: Personal("data", "notes"),
    Cycle.DebriefHeld: Personal("evidence", "keepers", "polishers", "progress_text"),
    Cycle.NextStepAdded: Personal("text"),
    Cycle.Closed: Personal("evidence"),
}
