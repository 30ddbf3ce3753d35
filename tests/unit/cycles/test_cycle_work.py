"""Inside an active cycle: norms, the calendar, observations (to Act), debriefs (to
Reflect), next steps ("2/3 next steps complete"), moving phases, closing and reopening."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

from coachops.errors import Forbidden, Invalid
from coachops.identity import Role
from services.cycles.domain import (
    Cycle,
    Goal,
    ItemStatus,
    Norms,
    Outcome,
    Phase,
    Progress,
    Status,
    StepStatus,
)
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_TEACHER,
    COACH,
    EARLIER,
    LATER,
    NOW,
    TEACHER,
    TODAY,
    active,
    debrief,
    names,
    new_events,
    observe,
)

# Partnership norms ---------------------------------------------------------------------


def test_the_coach_records_the_norms_agreed_and_may_replace_them() -> None:
    cycle = active()
    cycle.agree_norms(AS_COACH, [" debrief within 24 hours ", "no phones"], None, TODAY, TODAY)
    assert cycle.norms == Norms(["debrief within 24 hours", "no phones"], None, TODAY)
    agreement = uuid.uuid4()
    cycle.agree_norms(AS_COACH, [], agreement, TODAY, TODAY)
    assert cycle.norms == Norms([], agreement, TODAY)
    assert names(new_events(cycle)) == ["NormsAgreed", "NormsAgreed"]


def test_norms_need_content_or_an_agreement_and_are_not_agreed_in_the_future() -> None:
    cycle = active()
    with pytest.raises(Invalid) as error:
        cycle.agree_norms(AS_COACH, [], None, TODAY, TODAY)
    assert error.value.field == "norms"
    with pytest.raises(Invalid) as error:
        cycle.agree_norms(AS_COACH, [" "], None, TODAY, TODAY)
    assert error.value.field == "norms"
    with pytest.raises(Invalid) as error:
        cycle.agree_norms(AS_COACH, ["x"], None, TODAY + timedelta(days=1), TODAY)
    assert error.value.field == "agreed_on"


# The calendar --------------------------------------------------------------------------


@pytest.mark.parametrize("kind",
                         ["walkthrough", "observation", "co_teach", "modelled_lesson", "debrief"])
def test_each_kind_of_calendar_item_is_scheduled(kind: str) -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, kind, LATER, 40)
    item = cycle.items[item_id]
    assert (item.kind.value, item.starts_at, item.minutes, item.status) == (
        kind, LATER, 40, ItemStatus.SCHEDULED)


def test_an_item_is_rescheduled_cancelled_or_done_and_then_stays_so() -> None:
    cycle = active()
    moved = cycle.schedule(AS_COACH, "co_teach", LATER, 50)
    cycle.reschedule(AS_COACH, moved, LATER + timedelta(days=1), 60)
    assert (cycle.items[moved].starts_at, cycle.items[moved].minutes) == (
        LATER + timedelta(days=1), 60)
    cycle.cancel(AS_COACH, moved, TODAY)
    assert cycle.items[moved].status is ItemStatus.CANCELLED
    done = cycle.schedule(AS_COACH, "walkthrough", EARLIER, 15)
    cycle.mark_done(AS_COACH, done, 20, NOW, TODAY)
    assert (cycle.items[done].status, cycle.items[done].minutes) == (ItemStatus.DONE, 20)
    for item_id, state in ((moved, "cancelled"), (done, "done")):
        for change in (lambda i: cycle.reschedule(AS_COACH, i, LATER, None),
                       lambda i: cycle.cancel(AS_COACH, i, TODAY),
                       lambda i: cycle.mark_done(AS_COACH, i, None, NOW, TODAY)):
            with pytest.raises(Invalid, match=f"is {state}: schedule a new one") as error:
                change(item_id)
            assert error.value.field == "item_id"
    assert names(new_events(cycle)) == ["ItemScheduled", "ItemRescheduled", "ItemCancelled",
                                        "ItemScheduled", "ItemDone"]


def test_an_item_is_done_once_it_has_started() -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, "observation", LATER, 45)
    with pytest.raises(Invalid, match="once it has started") as error:
        cycle.mark_done(AS_COACH, item_id, None, NOW, TODAY)
    assert error.value.field == "item_id"


def test_rescheduling_to_the_same_time_changes_nothing_and_says_so() -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, "observation", LATER, 45)
    with pytest.raises(Invalid, match="already scheduled") as error:
        cycle.reschedule(AS_COACH, item_id, LATER, 45)
    assert error.value.field == "starts_at"


def test_a_calendar_item_starts_at_an_instant() -> None:
    with pytest.raises(ValueError, match="give a zone"):
        active().schedule(AS_COACH, "observation", datetime(2026, 11, 5, 9, 30), 45)


@pytest.mark.parametrize(("kind", "minutes", "field"),
                         [("lunch duty", 30, "kind"), ("observation", 0, "minutes")])
def test_a_bad_kind_or_length_is_invalid(kind: str, minutes: int, field: str) -> None:
    with pytest.raises(Invalid) as error:
        active().schedule(AS_COACH, kind, LATER, minutes)
    assert error.value.field == field


# Observations --------------------------------------------------------------------------


def test_an_observation_is_recorded_with_its_tool_data_and_notes_and_moves_to_act() -> None:
    cycle = active()
    observation_id = observe(
        cycle, tool="talk_time", notes="  strong launch  ",
        data=[{"look_for": "teacher talk", "seconds": 1260},
              {"look_for": "student talk", "seconds": 540, "count": 14}],
    )
    observation = cycle.observations[observation_id]
    assert (observation.tool, observation.notes, observation.minutes) == (
        "talk_time", "strong launch", 45)
    assert observation.data == [
        {"look_for": "teacher talk", "count": None, "seconds": 1260},
        {"look_for": "student talk", "count": 14, "seconds": 540},
    ]
    assert cycle.phase is Phase.ACT
    logged, changed = new_events(cycle)
    assert isinstance(logged, Cycle.ObservationLogged) and logged.phase == "act"
    assert (changed.from_phase, changed.to_phase, changed.cause) == ("plan", "act",
                                                                     "observation")


def test_a_second_observation_keeps_act_and_one_after_a_debrief_returns_to_it() -> None:
    cycle = active()
    observe(cycle)
    cycle.collect_events()
    observe(cycle)
    assert names(new_events(cycle)) == ["ObservationLogged"]
    debrief(cycle)
    assert cycle.phase is Phase.REFLECT
    observe(cycle)
    assert cycle.phase is Phase.ACT


@pytest.mark.parametrize("tool", ["question_levels", "response_tally", "free_notes",
                                  "district:wait-time-v2"])
def test_built_in_and_district_tools_are_accepted(tool: str) -> None:
    cycle = active()
    assert cycle.observations[observe(cycle, tool=tool)].tool == tool


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tool": "my own spreadsheet"}, "tool"),
        ({"observed_on": TODAY + timedelta(days=1)}, "observed_on"),
        ({"data": [], "notes": None}, "data"),
        ({"data": [], "notes": "   "}, "data"),
        ({"data": [{"look_for": "x", "count": 1}, {"look_for": "X ", "count": 2}]},
         "data.1.look_for"),
        ({"data": [{"look_for": "x"}]}, "data.0"),
        ({"data": [{"look_for": "x", "count": -1}]}, "data.0.count"),
        ({"minutes": 0}, "minutes"),
    ],
    ids=["tool", "future", "nothing recorded", "blank notes", "look-for twice", "no value",
         "negative", "no length"],
)
def test_an_observation_breaking_a_rule_is_invalid_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    cycle = active()
    with pytest.raises(Invalid) as error:
        observe(cycle, **changes)
    assert error.value.field == field
    assert cycle.phase is Phase.PLAN and not cycle.pending_events


def test_an_observation_of_a_calendar_item_marks_it_done() -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, "co_teach", EARLIER, 50)
    cycle.collect_events()
    observe(cycle, calendar_item_id=item_id, minutes=55)
    assert (cycle.items[item_id].status, cycle.items[item_id].minutes) == (ItemStatus.DONE, 55)
    assert names(new_events(cycle)) == ["ItemDone", "ObservationLogged", "PhaseChanged"]


@pytest.mark.parametrize(("kind", "when", "cancel", "message"), [
    ("debrief", EARLIER, False, "is a debrief"),
    ("observation", EARLIER, True, "was cancelled"),
    ("observation", LATER, False, "once it has started"),
])
def test_an_observation_names_a_calendar_item_it_can_be_the_record_of(
    kind: str, when: datetime, cancel: bool, message: str
) -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, kind, when, 30)
    if cancel:
        cycle.cancel(AS_COACH, item_id, TODAY)
    cycle.collect_events()
    with pytest.raises(Invalid, match=message) as error:
        observe(cycle, calendar_item_id=item_id)
    assert error.value.field == "calendar_item_id"
    assert not cycle.pending_events


# Debriefs ------------------------------------------------------------------------------


def test_a_debrief_records_evidence_keepers_polishers_and_progress_and_moves_to_reflect() -> None:
    cycle = active()
    observation_id = observe(cycle)
    cycle.collect_events()
    debrief_id = debrief(cycle, observation_ids=[observation_id, observation_id],
                         keepers=["wait time", "turn and talk"], polishers=["cold calling"],
                         progress_rating=4, progress_text="nearly there")
    held = cycle.debriefs[debrief_id]
    assert held.observation_ids == [observation_id]
    assert (held.keepers, held.polishers) == (["wait time", "turn and talk"], ["cold calling"])
    assert (held.progress_rating, held.progress_text) == (4, "nearly there")
    assert cycle.phase is Phase.REFLECT
    logged, changed = new_events(cycle)
    assert isinstance(logged, Cycle.DebriefHeld)
    assert (changed.from_phase, changed.to_phase, changed.cause) == ("act", "reflect",
                                                                     "debrief")


def test_a_debrief_of_a_debrief_meeting_marks_it_done() -> None:
    cycle = active()
    item_id = cycle.schedule(AS_COACH, "debrief", EARLIER, 30)
    debrief(cycle, calendar_item_id=item_id)
    assert cycle.items[item_id].status is ItemStatus.DONE
    walkthrough = cycle.schedule(AS_COACH, "walkthrough", EARLIER, 30)
    with pytest.raises(Invalid, match="is a walkthrough"):
        debrief(cycle, calendar_item_id=walkthrough)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "held_on"),
        ({"progress_rating": 0}, "progress.rating"),
        ({"progress_rating": 6}, "progress.rating"),
        ({"progress_text": " "}, "progress.text"),
        ({"evidence": ""}, "evidence"),
        ({"keepers": ["ok", " "]}, "keepers"),
    ],
)
def test_a_debrief_breaking_a_rule_is_invalid_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    cycle = active()
    with pytest.raises(Invalid) as error:
        debrief(cycle, **changes)
    assert error.value.field == field
    assert not cycle.pending_events


# Next steps ----------------------------------------------------------------------------


def test_next_steps_are_counted_as_complete_of_those_not_dropped() -> None:
    cycle = active()
    due = TODAY + timedelta(days=5)
    first = cycle.add_next_step(AS_COACH, "try think-pair-share", TEACHER, due, TODAY)
    second = cycle.add_next_step(AS_COACH, "send the article", COACH, due, TODAY)
    third = cycle.add_next_step(AS_COACH, "film a lesson", TEACHER, due, TODAY)
    dropped = cycle.add_next_step(AS_COACH, "visit Room 12", TEACHER, due, TODAY)
    cycle.complete_step(AS_TEACHER, first, TODAY)
    cycle.complete_step(AS_COACH, second, TODAY)
    cycle.drop_step(AS_COACH, dropped, TODAY)
    assert cycle.progress() == Progress(complete=2, total=3)
    assert str(cycle.progress()) == "2/3 next steps complete"
    assert cycle.steps[third].status is StepStatus.OPEN
    assert cycle.steps[first].owner_role is Role.TEACHER
    counts = [(type(e).__name__, e.complete_count, e.total_count) for e in new_events(cycle)]
    assert counts == [("NextStepAdded", 0, 1), ("NextStepAdded", 0, 2), ("NextStepAdded", 0, 3),
                      ("NextStepAdded", 0, 4), ("NextStepCompleted", 1, 4),
                      ("NextStepCompleted", 2, 4), ("NextStepDropped", 2, 3)]


def test_a_next_step_is_not_due_in_the_past_when_it_is_created() -> None:
    cycle = active()
    with pytest.raises(Invalid, match="cannot be due in the past") as error:
        cycle.add_next_step(AS_COACH, "x", TEACHER, TODAY - timedelta(days=1), TODAY)
    assert error.value.field == "due_on"
    step_id = cycle.add_next_step(AS_COACH, "x", TEACHER, TODAY, TODAY)
    assert cycle.steps[step_id].due_on == TODAY


def test_a_next_step_is_owned_by_the_coach_or_a_teacher_of_the_cycle() -> None:
    with pytest.raises(Invalid) as error:
        active().add_next_step(AS_COACH, "x", uuid.uuid4(), TODAY, TODAY)
    assert error.value.field == "owner_id"


def test_a_teacher_completes_their_own_next_steps_only_and_drops_none() -> None:
    cycle = active()
    mine = cycle.add_next_step(AS_COACH, "film a lesson", TEACHER, TODAY, TODAY)
    coaches = cycle.add_next_step(AS_COACH, "send the article", COACH, TODAY, TODAY)
    with pytest.raises(Forbidden) as error:
        cycle.complete_step(AS_TEACHER, coaches, TODAY)
    assert error.value.field == "step_id"
    with pytest.raises(Forbidden):
        cycle.drop_step(AS_TEACHER, mine, TODAY)
    cycle.complete_step(AS_TEACHER, mine, TODAY)
    assert cycle.steps[mine].status is StepStatus.COMPLETE


@pytest.mark.parametrize("first", ["complete", "drop"])
def test_a_closed_step_stays_closed(first: str) -> None:
    cycle = active()
    step_id = cycle.add_next_step(AS_COACH, "x", TEACHER, TODAY, TODAY)
    (cycle.complete_step if first == "complete" else cycle.drop_step)(AS_COACH, step_id, TODAY)
    for again in (cycle.complete_step, cycle.drop_step):
        with pytest.raises(Invalid, match="already") as error:
            again(AS_COACH, step_id, TODAY)
        assert error.value.field == "step_id"


def test_next_steps_due_in_a_week_are_the_open_ones() -> None:
    cycle = active()
    monday, sunday = date(2026, 11, 2), date(2026, 11, 8)
    this_week = cycle.add_next_step(AS_COACH, "a", TEACHER, sunday, TODAY)
    done = cycle.add_next_step(AS_COACH, "b", TEACHER, TODAY, TODAY)
    cycle.add_next_step(AS_COACH, "c", TEACHER, sunday + timedelta(days=1), TODAY)
    first = cycle.add_next_step(AS_COACH, "d", TEACHER, TODAY, TODAY)
    cycle.complete_step(AS_COACH, done, TODAY)
    assert [s.step_id for s in cycle.open_steps_due(monday, sunday)] == [first, this_week]


# Phases, closing, reopening ------------------------------------------------------------


def test_a_cycle_moves_back_a_phase_at_a_time_to_plan_and_no_further() -> None:
    cycle = active()
    observe(cycle)
    debrief(cycle)
    cycle.collect_events()
    cycle.move_back(AS_COACH, TODAY)
    assert cycle.phase is Phase.ACT
    cycle.move_back(AS_COACH, TODAY)
    assert cycle.phase is Phase.PLAN
    with pytest.raises(Invalid, match="first phase") as error:
        cycle.move_back(AS_COACH, TODAY)
    assert error.value.field == "phase"
    assert [(e.from_phase, e.to_phase, e.cause) for e in new_events(cycle)] == [
        ("reflect", "act", "moved_back"), ("act", "plan", "moved_back")]


def test_a_revised_goal_returns_the_cycle_to_plan() -> None:
    cycle = active()
    observe(cycle)
    debrief(cycle)
    cycle.collect_events()
    revised = Goal("Every student explains once a lesson", "tally", date(2027, 2, 1))
    cycle.revise_goal(AS_COACH, revised, ["danielson-3b"], TODAY)
    assert (cycle.goal, cycle.phase, cycle.focus_area_ids) == (revised, Phase.PLAN,
                                                               ["danielson-3b"])
    goal_revised, changed = new_events(cycle)
    assert isinstance(goal_revised, Cycle.GoalRevised)
    assert (changed.from_phase, changed.to_phase, changed.cause) == ("reflect", "plan",
                                                                     "goal_revised")
    cycle.revise_goal(AS_COACH, Goal("y", "z", TODAY), None, TODAY)  # in Plan: stays there
    assert names(new_events(cycle)) == ["GoalRevised"]


@pytest.mark.parametrize(("goal", "field"), [
    (Goal("x", "y", TODAY - timedelta(days=1)), "goal.by"),
    (Goal("x", " ", TODAY), "goal.measure"),
])
def test_a_revised_goal_breaking_a_rule_is_invalid(goal: Goal, field: str) -> None:
    with pytest.raises(Invalid) as error:
        active().revise_goal(AS_COACH, goal, None, TODAY)
    assert error.value.field == field


def test_revising_the_goal_to_itself_is_refused() -> None:
    cycle = active()
    with pytest.raises(Invalid, match="already that"):
        cycle.revise_goal(AS_COACH, cycle.goal, None, TODAY)


@pytest.mark.parametrize("outcome", ["met", "partly_met", "not_met"])
def test_a_cycle_closes_with_an_outcome_and_evidence_and_reopens_where_it_was(
    outcome: str
) -> None:
    cycle = active()
    observe(cycle)
    cycle.close(AS_COACH, outcome, "  tallies doubled  ", TODAY)
    assert cycle.status is Status.CLOSED
    assert cycle.closing is not None
    assert (cycle.closing.outcome, cycle.closing.evidence) == (Outcome(outcome),
                                                               "tallies doubled")
    cycle.reopen(AS_COACH, TODAY)
    assert (cycle.status, cycle.phase, cycle.closing) == (Status.ACTIVE, Phase.ACT, None)
    assert names(new_events(cycle))[-2:] == ["Closed", "Reopened"]


def test_closing_needs_a_known_outcome_and_evidence() -> None:
    cycle = active()
    with pytest.raises(Invalid) as error:
        cycle.close(AS_COACH, "sort of", "x", TODAY)
    assert error.value.field == "outcome"
    with pytest.raises(Invalid) as error:
        cycle.close(AS_COACH, "met", "  ", TODAY)
    assert error.value.field == "evidence"


def test_only_a_closed_cycle_is_reopened_and_only_by_its_coach() -> None:
    cycle = active()
    with pytest.raises(Invalid, match="is active, not closed") as error:
        cycle.reopen(AS_COACH, TODAY)
    assert error.value.field == "cycle_id"
    cycle.close(AS_COACH, "not_met", "no change in tallies", TODAY)
    with pytest.raises(Forbidden):
        cycle.reopen(AS_TEACHER, TODAY)
    with pytest.raises(Invalid, match="closed: reopen it"):
        cycle.close(AS_COACH, "met", "again", TODAY)
