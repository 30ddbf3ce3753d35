"""Commands and queries of the cycles service.

Shapes only: who may do what, whether a date is in the past, whether an id is one of the
cycle's, and what a closed cycle allows are the domain's to say
(``services/cycles/domain.py``), with a 403, 404 or 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coachops.commands import Command, HistoryFile
from coachops.commands.types import BoundedInt, Day, Instant, Text

MAX_GROUP = 6  # "a teacher or a small group of teachers"
MAX_TEXT = 10_000  # a debrief's evidence, an observation's notes
MAX_ITEM = 500  # one norm, keeper or polisher
MAX_MINUTES = 12 * 60
MAX_COUNT = 100_000  # tallies of one observation
TOOL = r"^(talk_time|question_levels|response_tally|free_notes|district:[a-z0-9][a-z0-9-]{0,62})$"
ITEM_KINDS = ("walkthrough", "observation", "co_teach", "modelled_lesson", "debrief")
OUTCOMES = ("met", "partly_met", "not_met")


def _text(max_length: int = MAX_TEXT, **kwargs: Any) -> Text:
    return Text(max_length, min_length=1, **kwargs)


def _items(max_items: int = 20, **kwargs: Any) -> fields.List[str]:
    return fields.List(_text(MAX_ITEM), validate=validate.Length(max=max_items), **kwargs)


def _minutes(**kwargs: Any) -> BoundedInt:
    return BoundedInt(1, MAX_MINUTES, **kwargs)


def _focus_area_ids(**kwargs: Any) -> fields.List[str]:
    return fields.List(Text(100, min_length=1),
                       validate=validate.Length(min=1, max=10), **kwargs)


class Goal(Schema):
    """A clear, focused, measurable goal: what will change, how it is measured, by when."""

    what = Text(2000, min_length=1, required=True)
    measure = Text(2000, min_length=1, required=True)
    by = Day(required=True)


class StartCycle(Command):
    """A coach proposes a cycle (the teachers accept it); a teacher starts one."""

    coach_id = fields.UUID(required=True)
    teacher_ids = fields.List(
        fields.UUID(), required=True, validate=validate.Length(min=1, max=MAX_GROUP)
    )
    school_id = fields.UUID(required=True)
    focus_area_ids = _focus_area_ids(required=True)
    goal = fields.Nested(Goal, required=True)


class CycleCommand(Command):
    """A command on one cycle, named by the URL."""

    cycle_id = fields.UUID(required=True)


class AcceptCycle(CycleCommand):
    pass


class DeclineCycle(CycleCommand):
    pass


class WithdrawFromReporting(CycleCommand):
    pass


class AgreeNorms(CycleCommand):
    """The norms coach and teacher agreed (e.g. "debrief within 24 hours"), or the
    partnership agreement that holds them."""

    norms = _items(load_default=list)
    agreement_id = fields.UUID(load_default=None, allow_none=True)
    agreed_on = Day(load_default=None)

    @validates_schema
    def norms_or_agreement(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("norms") and data.get("agreement_id") is None:
            raise ValidationError("give the norms agreed, or the partnership agreement",
                                  "norms")


class ScheduleItem(CycleCommand):
    """``starts_at`` without a zone is the district's local time (e.g. 2026-11-03T09:30)."""

    kind = Text(20, required=True, validate=validate.OneOf(ITEM_KINDS))
    starts_at = Instant(required=True)
    minutes = _minutes(required=True)


class RescheduleItem(CycleCommand):
    item_id = fields.UUID(required=True)
    starts_at = Instant(required=True)
    minutes = _minutes(load_default=None)


class CancelItem(CycleCommand):
    item_id = fields.UUID(required=True)


class MarkItemDone(CycleCommand):
    item_id = fields.UUID(required=True)
    minutes = _minutes(load_default=None)  # as long as it really took, if not as planned


class LookFor(Schema):
    """One row of an observation's data: a count, a duration, or both."""

    look_for = Text(100, min_length=1, required=True)
    count = BoundedInt(0, MAX_COUNT, load_default=None)
    seconds = BoundedInt(0, MAX_MINUTES * 60, load_default=None)  # as long as an observation

    @validates_schema
    def counted_or_timed(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("count") is None and data.get("seconds") is None:
            raise ValidationError("give a count or a duration in seconds", "count")


class LogObservation(CycleCommand):
    observed_on = Day(required=True)
    minutes = _minutes(required=True)
    tool = Text(80, required=True, validate=validate.Regexp(
        TOOL, error="use talk_time, question_levels, response_tally, free_notes or"
                    " district:<id>"))
    data = fields.List(fields.Nested(LookFor), load_default=list,
                       validate=validate.Length(max=50))
    notes = _text(load_default=None, allow_none=True)
    calendar_item_id = fields.UUID(load_default=None, allow_none=True)


class ProgressTowardGoal(Schema):
    rating = BoundedInt(1, 5, required=True)
    text = _text(required=True)


class HoldDebrief(CycleCommand):
    held_on = Day(required=True)
    minutes = _minutes(required=True)
    evidence = _text(required=True)
    observation_ids = fields.List(fields.UUID(), load_default=list,
                                  validate=validate.Length(max=20))
    keepers = _items(load_default=list)
    polishers = _items(load_default=list)
    progress = fields.Nested(ProgressTowardGoal, required=True)
    calendar_item_id = fields.UUID(load_default=None, allow_none=True)


class AddNextStep(CycleCommand):
    text = _text(1000, required=True)
    owner_id = fields.UUID(required=True)  # the cycle's coach or one of its teachers
    due_on = Day(required=True)


class CompleteNextStep(CycleCommand):
    step_id = fields.UUID(required=True)


class DropNextStep(CycleCommand):
    step_id = fields.UUID(required=True)


class MovePhaseBack(CycleCommand):
    pass


class ReviseGoal(CycleCommand):
    """Return to Plan with a revised goal (and, if they change, the focus areas)."""

    goal = fields.Nested(Goal, required=True)
    focus_area_ids = _focus_area_ids(load_default=None)


class CloseCycle(CycleCommand):
    outcome = Text(20, required=True, validate=validate.OneOf(OUTCOMES))
    evidence = _text(required=True)


class ReopenCycle(CycleCommand):
    pass


class CycleQuery(CycleCommand):
    pass


class CaseloadQuery(Command):
    """A coach's caseload; "this week" is the week (Monday to Sunday) holding ``week_of``,
    today if not given."""

    coach_id = fields.UUID(required=True)
    week_of = Day(load_default=None)


class TeacherCyclesQuery(Command):
    teacher_id = fields.UUID(required=True)


class ImportCycleHistory(HistoryFile):
    """District IT's file of the coaching cycles run before coachops (see
    ``services/cycles/history.py`` for its columns); ``dry_run`` records none."""

