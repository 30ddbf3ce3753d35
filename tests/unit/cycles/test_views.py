"""What the apps receive: a coach's caseload (cycles by phase, next steps due this week,
observations scheduled), one cycle with its timeline, and a teacher's own list."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from coachops.identity import Actor, Role
from services.cycles import views
from services.cycles.app import Cycles
from services.cycles.service import CyclesService
from tests.support.settings import configure
from tests.unit.conftest import on_the_roster
from tests.unit.cycles.helpers import (
    AS_COACH,
    AS_SECOND_TEACHER,
    AS_TEACHER,
    COACH,
    GOAL,
    LATER,
    NOW,
    SCHOOL,
    SECOND_TEACHER,
    TEACHER,
    TODAY,
)

MONDAY, SUNDAY = date(2026, 11, 2), date(2026, 11, 8)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cycles]:
    configure(monkeypatch, DISTRICT_TIMEZONE="America/New_York")
    application = on_the_roster(Cycles(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    yield application
    application.close()


def start(app: Cycles, teacher: uuid.UUID = TEACHER, accept: bool = True) -> uuid.UUID:
    cycle_id = app.start_cycle(AS_COACH, COACH, [teacher], SCHOOL, ["danielson-2b"], GOAL,
                               TODAY).result.id
    if accept:
        app.accept(Actor(teacher, Role.TEACHER), cycle_id, TODAY)
    return cycle_id


def observe(app: Cycles, cycle_id: uuid.UUID) -> uuid.UUID:
    return app.log_observation(AS_COACH, cycle_id, now=NOW, today=TODAY, observed_on=TODAY,
                               minutes=40, tool="question_levels",
                               data=[{"look_for": "level 3 questions", "count": 5}],
                               notes="good launch", calendar_item_id=None).result[1]


def test_the_caseload_groups_cycles_by_phase_with_steps_due_and_observations_scheduled(
    app: Cycles,
) -> None:
    planning = start(app)
    acting = start(app)
    observe(app, acting)
    waiting = start(app, SECOND_TEACHER, accept=False)
    closed = start(app)
    app.add_next_step(AS_COACH, closed, "due, but the cycle is closed", TEACHER, TODAY, TODAY)
    app.close_cycle(AS_COACH, closed, "met", "done", TODAY)
    _, due = app.add_next_step(AS_COACH, planning, "film a lesson", TEACHER, SUNDAY, TODAY).result
    app.add_next_step(AS_COACH, planning, "next week's", TEACHER, SUNDAY + timedelta(days=1),
                      TODAY)
    _, done = app.add_next_step(AS_COACH, acting, "done already", COACH, TODAY, TODAY).result
    app.complete_step(AS_COACH, acting, done, TODAY)
    _, observation = app.schedule(AS_COACH, acting, "observation", LATER, 45).result
    app.schedule(AS_COACH, acting, "walkthrough", LATER, 15)
    _, cancelled = app.schedule(AS_COACH, planning, "observation", LATER, 45).result
    app.cancel(AS_COACH, planning, cancelled, TODAY)

    body = views.caseload(COACH, app.caseload(AS_COACH, COACH), MONDAY, SUNDAY)
    assert body["counts"] == {"plan": 1, "act": 1, "reflect": 0, "proposed": 1, "closed": 1,
                              "declined": 0}
    assert [c["cycle_id"] for c in body["by_phase"]["plan"]] == [str(planning)]
    assert [c["cycle_id"] for c in body["by_phase"]["act"]] == [str(acting)]
    assert [c["cycle_id"] for c in body["proposed"]] == [str(waiting)]
    assert body["proposed"][0]["awaiting_teacher_ids"] == [str(SECOND_TEACHER)]
    assert [s["step_id"] for s in body["next_steps_due_this_week"]] == [str(due)]
    assert body["next_steps_due_this_week"][0] | {"step_id": None} == {
        "step_id": None, "cycle_id": str(planning), "text": "film a lesson",
        "owner_id": str(TEACHER), "owner_role": "teacher", "due_on": SUNDAY.isoformat(),
        "status": "open", "closed_on": None}
    [scheduled] = body["observations_scheduled"]
    assert (scheduled["item_id"], scheduled["cycle_id"]) == (str(observation), str(acting))
    assert scheduled["starts_at"] == "2026-11-05T10:00:00-05:00"  # LATER, in New York
    assert body["by_phase"]["act"][0]["next_steps"]["label"] == "1/1 next steps complete"
    json.dumps(body)


def test_the_service_answers_the_week_holding_the_day_asked(app: Cycles) -> None:
    service = worker_factory(CyclesService)
    service.cycles.caseload.return_value = []
    body = service.caseload({"id": str(COACH), "role": "coach"},
                            {"coach_id": str(COACH), "week_of": "2026-11-04"})
    assert (body["week_start"], body["week_end"]) == ("2026-11-02", "2026-11-08")


def test_one_cycle_shows_everything_in_it_to_its_coach_and_teacher(app: Cycles) -> None:
    cycle_id = start(app)
    app.agree_norms(AS_COACH, cycle_id, ["debrief within 24 hours"], None, TODAY, TODAY)
    observation_id = observe(app, cycle_id)
    app.hold_debrief(AS_COACH, cycle_id, now=NOW, today=TODAY, held_on=TODAY, minutes=25,
                     evidence="5 level-3 questions", observation_ids=[observation_id],
                     keepers=["wait time"], polishers=["follow-ups"], progress_rating=3,
                     progress_text="on the way", calendar_item_id=None)
    body = views.cycle(app.cycle(AS_TEACHER, cycle_id, NOW))
    assert body["goal"] == {"what": GOAL.what, "measure": GOAL.measure,
                            "by": GOAL.by.isoformat()}
    assert body["norms"] == {"norms": ["debrief within 24 hours"], "agreement_id": None,
                             "agreed_on": TODAY.isoformat()}
    [observed] = body["observations"]
    assert (observed["notes"], observed["data"]) == (
        "good launch", [{"look_for": "level 3 questions", "count": 5, "seconds": None}])
    [held] = body["debriefs"]
    assert held["progress"] == {"rating": 3, "text": "on the way"}
    assert (held["keepers"], held["observation_ids"]) == (["wait time"], [str(observation_id)])
    assert (body["status"], body["phase"], body["started_on"]) == ("active", "reflect",
                                                                   TODAY.isoformat())
    json.dumps(body)


def test_the_timeline_says_what_happened_when_and_by_whom(app: Cycles) -> None:
    cycle_id = start(app)
    observe(app, cycle_id)
    reader = AS_TEACHER
    cycle, events = app.timeline(reader, cycle_id, NOW)
    body = views.timeline(cycle, events, reader)
    assert [e["event"] for e in body["timeline"]] == [
        "proposed", "accepted", "started", "observation_logged", "phase_changed"]
    proposed = body["timeline"][0]
    assert proposed["by"] == {"id": str(COACH), "role": "coach"}
    assert proposed["goal"]["what"] == GOAL.what
    assert "originator_topic" not in proposed and "school_id" not in proposed
    assert body["timeline"][3]["notes"] == "good launch"
    assert datetime.fromisoformat(body["timeline"][0]["at"]).utcoffset() is not None
    json.dumps(body)


def test_a_teacher_in_a_group_does_not_see_who_else_declined(app: Cycles) -> None:
    third = uuid.uuid4()
    app.learn_roster_fact(third, SCHOOL, "teacher", TODAY, True)
    cycle_id = app.start_cycle(AS_COACH, COACH, [TEACHER, SECOND_TEACHER, third], SCHOOL,
                               ["2b"], GOAL, TODAY).result.id
    app.decline(AS_SECOND_TEACHER, cycle_id, TODAY)
    app.decline(Actor(third, Role.TEACHER), cycle_id, TODAY)
    for reader, shown in ((AS_COACH, 2), (AS_TEACHER, 0)):
        cycle, events = app.timeline(reader, cycle_id, NOW)
        entries = views.timeline(cycle, events, reader)["timeline"]
        assert [e["event"] for e in entries].count("teacher_declined") == shown


def test_a_teacher_sees_proposals_awaiting_their_answer_first(app: Cycles) -> None:
    running = start(app)
    waiting = start(app, accept=False)
    body = views.teacher_cycles(TEACHER, app.teacher_cycles(AS_TEACHER, TEACHER))
    assert [c["cycle_id"] for c in body["awaiting_your_answer"]] == [str(waiting)]
    assert [c["cycle_id"] for c in body["cycles"]] == [str(running)]


def test_an_instant_stored_past_the_calendars_bounds_is_still_shown() -> None:
    # Stored before the edge bounded instants (issue 17): year 1 in UTC is year 0 in New
    # York, which Python cannot represent; the cycle stays readable, the instant in UTC.
    earliest = datetime(1, 1, 1, 0, 0, tzinfo=UTC)
    assert views.local(earliest) == "0001-01-01T00:00:00+00:00"
    assert views.local(datetime(2026, 9, 1, 12, 0, tzinfo=UTC)).endswith("-04:00")
