"""Contracts published by the cycles service: ids, phases, dates, durations, counts and
categories only. Never the goal, norms, notes, observation data, debrief content or a
name (``tests/unit/cycles/test_privacy.py`` holds every field here to that).

Every event names its cycle, coach and school. A proposal and a decline carry how many
teachers, not which: whether a teacher said no to coaching is nobody else's business.
"""

from marshmallow import Schema, fields, validate

from coachops.contracts.envelope import contract
from coachops.contracts.values import (
    a_count,
    a_number,
    focus_area_ids,
    one_of,
)

PHASES = ("plan", "act", "reflect")
OUTCOMES = ("met", "partly_met", "not_met")
ROLES = ("coach", "teacher")
ITEM_KINDS = ("walkthrough", "observation", "co_teach", "modelled_lesson", "debrief")
PHASE_CAUSES = ("observation", "debrief", "moved_back", "goal_revised")
TOOL = r"^(talk_time|question_levels|response_tally|free_notes|district:[a-z0-9][a-z0-9-]{0,62})$"


def _minutes() -> fields.Int:
    return a_number(0, 24 * 60, strict=True)


class _CycleEvent(Schema):
    """What every cycles event names: the cycle, its coach and its school, so a consumer
    can place the event without having seen the cycle's earlier ones."""

    cycle_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)


@contract("CycleProposed", 1)
class CycleProposedV1(_CycleEvent):
    """A cycle was proposed; it is not active until its teachers accept (``CycleStarted``).
    ``proposed_by`` is "teacher" when a teacher started it."""

    teacher_count = a_count(1)
    focus_area_ids = focus_area_ids(required=True)
    phase = one_of(PHASES)
    proposed_by = one_of(ROLES)
    proposed_on = fields.Date(required=True)


@contract("CycleStarted", 1)
class CycleStartedV1(Schema):
    """A coaching cycle became active (the teacher took part voluntarily)."""

    cycle_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    teacher_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    school_id = fields.UUID(required=True)
    focus_area_ids = focus_area_ids()
    phase = one_of(PHASES)
    started_on = fields.Date(required=True)


@contract("CycleDeclined", 1)
class CycleDeclinedV1(_CycleEvent):
    """A proposal was declined and is closed. Published without an actor: who said no is
    not told."""

    focus_area_ids = focus_area_ids(required=True)
    declined_on = fields.Date(required=True)


@contract("CycleWithdrawnFromReporting", 1)
class CycleWithdrawnFromReportingV1(_CycleEvent):
    """A teacher withdrew their consent to the cycle being counted: every aggregate
    report leaves it out, past ones included. Published without an actor."""

    withdrawn_on = fields.Date(required=True)


@contract("PartnershipNormsAgreed", 1)
class PartnershipNormsAgreedV1(_CycleEvent):
    """Coach and teacher agreed how they work together: how many norms, or which
    partnership agreement holds them. The norms themselves stay in the cycles store."""

    norm_count = a_count()
    agreement_id = fields.UUID(required=True, allow_none=True)
    agreed_on = fields.Date(required=True)


@contract("CyclePhaseChanged", 1)
class CyclePhaseChangedV1(_CycleEvent):
    from_phase = one_of(PHASES)
    to_phase = one_of(PHASES)
    cause = one_of(PHASE_CAUSES)
    changed_on = fields.Date(required=True)


@contract("GoalRevised", 1)
class GoalRevisedV1(_CycleEvent):
    """The goal was revised (its words stay in the store); the cycle returns to Plan."""

    focus_area_ids = focus_area_ids(required=True)
    revised_on = fields.Date(required=True)


class _CalendarItemEvent(_CycleEvent):
    item_id = fields.UUID(required=True)
    kind = one_of(ITEM_KINDS)


class _CalendarItemTimed(_CalendarItemEvent):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = _minutes()


@contract("CalendarItemScheduled", 1)
class CalendarItemScheduledV1(_CalendarItemTimed):
    """A walkthrough, an observation, a co-teach, a modelled lesson or a debrief is on
    the calendar."""


@contract("CalendarItemRescheduled", 1)
class CalendarItemRescheduledV1(_CalendarItemTimed):
    """The item moved, or its length changed: its new time, in full."""


@contract("CalendarItemCancelled", 1)
class CalendarItemCancelledV1(_CalendarItemEvent):
    """The item will not take place; ``cancelled_on`` is the day it was called off, not
    the day it was planned for."""

    cancelled_on = fields.Date(required=True)


@contract("CalendarItemDone", 1)
class CalendarItemDoneV1(_CalendarItemEvent):
    """The item took place: ``done_on`` is the day the coach marked it done. Time tracking
    offers it to the coach as a time entry to confirm."""

    done_on = fields.Date(required=True)
    duration_minutes = _minutes()


@contract("ObservationLogged", 1)
class ObservationLoggedV1(Schema):
    """An observation happened in a cycle. The notes and data stay in the cycles store."""

    cycle_id = fields.UUID(required=True)
    observation_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    observed_on = fields.Date(required=True)
    tool = fields.Str(required=True, validate=[validate.Length(min=1, max=100),
                                               validate.Regexp(TOOL)])
    duration_minutes = a_number(0, 24 * 60)
    phase = one_of(PHASES)


@contract("DebriefHeld", 1)
class DebriefHeldV1(_CycleEvent):
    """A debrief was held: how long, how many keepers, polishers and observations it
    covered. What was said, and the progress rating, stay in the store."""

    debrief_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    duration_minutes = _minutes()
    observation_count = a_count()
    keeper_count = a_count()
    polisher_count = a_count()
    phase = one_of(PHASES)


class _NextStepEvent(_CycleEvent):
    """With the cycle's count after the change: "2/3 next steps complete" is
    ``complete_count``/``total_count`` (dropped steps are not counted)."""

    step_id = fields.UUID(required=True)
    owner_role = one_of(ROLES)
    complete_count = a_count()
    total_count = a_count()


@contract("NextStepAdded", 1)
class NextStepAddedV1(_NextStepEvent):
    due_on = fields.Date(required=True)


@contract("NextStepCompleted", 1)
class NextStepCompletedV1(_NextStepEvent):
    completed_on = fields.Date(required=True)


@contract("NextStepDropped", 1)
class NextStepDroppedV1(_NextStepEvent):
    dropped_on = fields.Date(required=True)


@contract("CycleClosed", 1)
class CycleClosedV1(_CycleEvent):
    """Closed with an outcome; the evidence for it stays in the store."""

    outcome = one_of(OUTCOMES)
    closed_on = fields.Date(required=True)
    phase = one_of(PHASES)
    focus_area_ids = focus_area_ids(required=True)


@contract("CycleReopened", 1)
class CycleReopenedV1(_CycleEvent):
    reopened_on = fields.Date(required=True)
    phase = one_of(PHASES)
    focus_area_ids = focus_area_ids(required=True)
