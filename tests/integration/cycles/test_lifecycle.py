"""A whole coaching cycle through the gateway, with the cycles service and its store
real: proposed, accepted, norms, calendar, observation (Act), debrief (Reflect), next
steps, phases, closed with an outcome, reopened; read back by the coach and the teacher,
and in the coach's caseload."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from coachops import clock
from tests.support.platform import Platform

from .client import Coach, local, today


def test_a_cycle_from_goal_to_outcome(platform: Platform) -> None:
    coach = Coach(platform)
    teacher = coach.teacher
    cycle_id = coach.propose()
    assert coach.cycle(cycle_id)["status"] == "proposed"
    waiting = coach.ok(teacher.get(f"/teachers/{teacher.id}/cycles"))
    assert [c["cycle_id"] for c in waiting["awaiting_your_answer"]] == [cycle_id]
    assert coach.ok(teacher.accept(cycle_id)) | {"next_steps": None} == {
        "cycle_id": cycle_id, "status": "active", "phase": "plan", "next_steps": None}

    agreement = str(uuid.uuid4())
    coach.ok(coach.put(f"/cycles/{cycle_id}/norms",
                       {"norms": ["debrief within 24 hours"], "agreement_id": agreement}))

    soon = clock.now() + timedelta(days=1)
    item = coach.ok(coach.post(f"/cycles/{cycle_id}/calendar",
                               {"kind": "observation", "starts_at": local(soon),
                                "minutes": 45}), 201)["item_id"]
    coach.ok(coach.post(f"/cycles/{cycle_id}/calendar/{item}/reschedule",
                        {"starts_at": local(soon + timedelta(hours=1))}))
    walk = coach.ok(coach.post(f"/cycles/{cycle_id}/calendar",
                               {"kind": "walkthrough", "minutes": 15,
                                "starts_at": local(clock.now() - timedelta(hours=1))}),
                    201)["item_id"]
    coach.ok(coach.post(f"/cycles/{cycle_id}/calendar/{walk}/done", {"minutes": 20}))

    caseload = coach.ok(coach.get(f"/coaches/{coach.id}/caseload"))
    assert [o["item_id"] for o in caseload["observations_scheduled"]] == [item]
    assert caseload["observations_scheduled"][0]["starts_at"].startswith(
        local(soon + timedelta(hours=1)))

    observed = coach.ok(coach.post(
        f"/cycles/{cycle_id}/observations",
        coach.observation(calendar_item_id=walk, tool="talk_time",
                          data=[{"look_for": "teacher talk", "seconds": 1260},
                                {"look_for": "student talk", "seconds": 540}])), 201)
    assert observed["phase"] == "act"
    debriefed = coach.ok(coach.post(
        f"/cycles/{cycle_id}/debriefs",
        coach.debrief(observation_ids=[observed["observation_id"]])), 201)
    assert debriefed["phase"] == "reflect"

    steps = [coach.ok(coach.post(f"/cycles/{cycle_id}/next-steps", body), 201)["step_id"]
             for body in (coach.step(), coach.step(owner_id=coach.id, text="send the article"),
                          coach.step(text="film a lesson"))]
    coach.ok(teacher.post(f"/cycles/{cycle_id}/next-steps/{steps[0]}/complete"))
    coach.ok(coach.post(f"/cycles/{cycle_id}/next-steps/{steps[1]}/complete"))
    assert coach.cycle(cycle_id)["next_steps"]["label"] == "2/3 next steps complete"
    dropped = coach.ok(coach.post(f"/cycles/{cycle_id}/next-steps/{steps[2]}/drop"))
    assert dropped["next_steps"]["label"] == "2/2 next steps complete"

    assert coach.ok(coach.post(f"/cycles/{cycle_id}/phase/back"))["phase"] == "act"
    revised = {"what": "Every student explains once a lesson", "measure": "tally",
               "by": (today() + timedelta(days=30)).isoformat()}
    assert coach.ok(coach.post(f"/cycles/{cycle_id}/goal", {"goal": revised}))["phase"] == "plan"
    closed = coach.ok(coach.post(f"/cycles/{cycle_id}/close",
                                 {"outcome": "partly_met", "evidence": "tallies doubled"}))
    assert closed["status"] == "closed"
    assert coach.ok(coach.post(f"/cycles/{cycle_id}/reopen"))["status"] == "active"

    for reader in (coach, teacher):
        cycle = reader.cycle(cycle_id)
        assert cycle["goal"] == revised
        assert cycle["norms"]["norms"] == ["debrief within 24 hours"]
        assert cycle["norms"]["agreement_id"] == agreement
        [observation] = cycle["observations"]
        assert (observation["tool"], observation["notes"]) == ("talk_time", "strong launch")
        assert observation["data"][0] == {"look_for": "teacher talk", "count": None,
                                          "seconds": 1260}
        [held] = cycle["debriefs"]
        assert (held["keepers"], held["progress"]) == (["wait time"],
                                                       {"rating": 3, "text": "halfway"})
        assert {i["item_id"]: (i["status"], i["minutes"]) for i in cycle["calendar"]} == {
            item: ("scheduled", 45), walk: ("done", 20)}
        assert (cycle["status"], cycle["phase"], cycle["closing"]) == ("active", "plan", None)

    events = [e["event"] for e in teacher.timeline(cycle_id)]
    assert events == [
        "proposed", "accepted", "started", "norms_agreed", "item_scheduled",
        "item_rescheduled", "item_scheduled", "item_done", "observation_logged",
        "phase_changed", "debrief_held", "phase_changed", "next_step_added", "next_step_added",
        "next_step_added", "next_step_completed", "next_step_completed", "next_step_dropped",
        "phase_changed", "goal_revised", "phase_changed", "closed", "reopened",
    ]


def test_a_teacher_starts_a_cycle_and_it_is_active_at_once(platform: Platform) -> None:
    coach = Coach(platform)
    body = coach.proposal()
    started = coach.ok(coach.teacher.post("/cycles", body), 201)
    assert started["status"] == "active"
    timeline = coach.timeline(started["cycle_id"])
    assert [e["event"] for e in timeline] == ["proposed", "accepted", "started"]
    assert timeline[0]["by"] == {"id": coach.teacher.id, "role": "teacher"}


def test_a_declined_proposal_is_closed_as_declined(platform: Platform) -> None:
    coach = Coach(platform)
    cycle_id = coach.propose()
    assert coach.ok(coach.teacher.decline(cycle_id))["status"] == "declined"
    assert coach.cycle(cycle_id)["status"] == "declined"
    caseload = coach.ok(coach.get(f"/coaches/{coach.id}/caseload"))
    assert [c["cycle_id"] for c in caseload["declined"]] == [cycle_id]
    assert coach.teacher.get(f"/cycles/{cycle_id}").status_code == 403  # no longer theirs


def test_the_caseload_shows_cycles_by_phase_steps_due_this_week_and_observations(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    planning, acting = coach.active_cycle(), coach.active_cycle()
    waiting = coach.propose()
    coach.ok(coach.post(f"/cycles/{acting}/observations", coach.observation()), 201)
    monday = today() - timedelta(days=today().weekday())
    sunday = monday + timedelta(days=6)
    due = coach.ok(coach.post(f"/cycles/{planning}/next-steps",
                              coach.step(due_on=sunday.isoformat())), 201)["step_id"]
    coach.ok(coach.post(f"/cycles/{planning}/next-steps",
                        coach.step(due_on=(sunday + timedelta(days=1)).isoformat())), 201)
    later = datetime.combine(sunday + timedelta(days=3), datetime.min.time()).replace(hour=10)
    item = coach.ok(coach.post(f"/cycles/{acting}/calendar",
                               {"kind": "observation", "starts_at": later.isoformat(),
                                "minutes": 30}), 201)["item_id"]

    caseload = coach.ok(coach.get(f"/coaches/{coach.id}/caseload"))
    assert caseload["week_start"] == monday.isoformat()
    assert {k: v for k, v in caseload["counts"].items() if v} == {"plan": 1, "act": 1,
                                                                  "proposed": 1}
    assert [c["cycle_id"] for c in caseload["by_phase"]["plan"]] == [planning]
    assert [c["cycle_id"] for c in caseload["by_phase"]["act"]] == [acting]
    assert [c["cycle_id"] for c in caseload["proposed"]] == [waiting]
    assert [s["step_id"] for s in caseload["next_steps_due_this_week"]] == [due]
    assert [o["item_id"] for o in caseload["observations_scheduled"]] == [item]
    next_week = coach.ok(coach.get(f"/coaches/{coach.id}/caseload",
                                   week_of=(sunday + timedelta(days=1)).isoformat()))
    assert len(next_week["next_steps_due_this_week"]) == 1
