"""Contracts published by the cycles service: ids, phases, dates, durations, counts and
categories only. Never the goal, norms, notes, observation data, debrief content or a
name (``tests/unit/cycles/test_privacy.py`` holds every field here to that).

Every event names its cycle, coach and school. A proposal and a decline carry how many
teachers, not which: whether a teacher said no to coaching is nobody else's business.
"""

from typing import Any

from marshmallow import Schema, fields, validate

from coachops.contracts.envelope import contract

PHASES = ("plan", "act", "reflect")
OUTCOMES = ("met", "partly_met", "not_met")
ROLES = ("coach", "teacher")
ITEM_KINDS = ("walkthrough", "observation", "co_teach", "modelled_lesson", "debrief")
PHASE_CAUSES = ("observation", "debrief", "moved_back", "goal_revised")
TOOL = r"^(talk_time|question_levels|response_tally|free_notes|district:[a-z0-9][a-z0-9-]{0,62})$"


def _phase(**kwargs: Any) -> fields.Str:
    return fields.Str(required=True, validate=validate.OneOf(PHASES), **kwargs)


def _focus_area_ids() -> fields.List[str]:
    return fields.List(fields.Str(validate=validate.Length(min=1, max=100)), required=True)


def _count() -> fields.Int:
    return fields.Int(required=True, strict=True, validate=validate.Range(min=0))


def _minutes() -> fields.Int:
    return fields.Int(required=True, strict=True, validate=validate.Range(min=0, max=24 * 60))


def _kind() -> fields.Str:
    return fields.Str(required=True, validate=validate.OneOf(ITEM_KINDS))


class _CycleEvent(Schema):
    cycle_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)


@contract("CycleProposed", 1)
class CycleProposedV1(_CycleEvent):
    """A cycle was proposed; it is not active until its teachers accept (``CycleStarted``).
    ``proposed_by`` is "teacher" when a teacher started it."""

    teacher_count = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    focus_area_ids = _focus_area_ids()
    phase = _phase()
    proposed_by = fields.Str(required=True, validate=validate.OneOf(ROLES))
    proposed_on = fields.Date(required=True)


@contract("CycleStarted", 1)
class CycleStartedV1(Schema):
    """A coaching cycle became active (the teacher took part voluntarily)."""

    cycle_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    teacher_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1))
    school_id = fields.UUID(required=True)
    focus_area_ids = fields.List(fields.Str(validate=validate.Length(min=1, max=100)))
    phase = fields.Str(required=True, validate=validate.OneOf(PHASES))
    started_on = fields.Date(required=True)


@contract("CycleDeclined", 1)
class CycleDeclinedV1(_CycleEvent):
    """A proposal was declined and is closed. Published without an actor: who said no is
    not told."""

    focus_area_ids = _focus_area_ids()
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

    norm_count = _count()
    agreement_id = fields.UUID(required=True, allow_none=True)
    agreed_on = fields.Date(required=True)


@contract("CyclePhaseChanged", 1)
class CyclePhaseChangedV1(_CycleEvent):
    from_phase = _phase()
    to_phase = _phase()
    cause = fields.Str(required=True, validate=validate.OneOf(PHASE_CAUSES))
    changed_on = fields.Date(required=True)


@contract("GoalRevised", 1)
class GoalRevisedV1(_CycleEvent):
    """The goal was revised (its words stay in the store); the cycle returns to Plan."""

    focus_area_ids = _focus_area_ids()
    revised_on = fields.Date(required=True)


@contract("CalendarItemScheduled", 1)
class CalendarItemScheduledV1(_CycleEvent):
    item_id = fields.UUID(required=True)
    kind = _kind()
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = _minutes()


@contract("CalendarItemRescheduled", 1)
class CalendarItemRescheduledV1(_CycleEvent):
    item_id = fields.UUID(required=True)
    kind = _kind()
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = _minutes()


@contract("CalendarItemCancelled", 1)
class CalendarItemCancelledV1(_CycleEvent):
    item_id = fields.UUID(required=True)
    kind = _kind()
    cancelled_on = fields.Date(required=True)


@contract("CalendarItemDone", 1)
class CalendarItemDoneV1(_CycleEvent):
    item_id = fields.UUID(required=True)
    kind = _kind()
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
    duration_minutes = fields.Int(required=True, validate=validate.Range(min=0, max=24 * 60))
    phase = fields.Str(required=True, validate=validate.OneOf(PHASES))


@contract("DebriefHeld", 1)
class DebriefHeldV1(_CycleEvent):
    """A debrief was held: how long, how many keepers, polishers and observations it
    covered. What was said, and the progress rating, stay in the store."""

    debrief_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    duration_minutes = _minutes()
    observation_count = _count()
    keeper_count = _count()
    polisher_count = _count()
    phase = _phase()


class _NextStepEvent(_CycleEvent):
    """With the cycle's count after the change: "2/3 next steps complete" is
    ``complete_count``/``total_count`` (dropped steps are not counted)."""

    step_id = fields.UUID(required=True)
    owner_role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    complete_count = _count()
    total_count = _count()


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

    outcome = fields.Str(required=True, validate=validate.OneOf(OUTCOMES))
    closed_on = fields.Date(required=True)
    phase = _phase()
    focus_area_ids = _focus_area_ids()


@contract("CycleReopened", 1)
class CycleReopenedV1(_CycleEvent):
    reopened_on = fields.Date(required=True)
    phase = _phase()
    focus_area_ids = _focus_area_ids()
