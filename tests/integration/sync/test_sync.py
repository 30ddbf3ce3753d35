"""Offline sync over real HTTP, with every service a real process: a coach's app sends
what it queued in a classroom without Wi-Fi, and sends it all again after a time-out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import requests

from tests.integration.cycles.client import Coach, Teacher, today
from tests.integration.sync.app import OfflineApp, item, stored_events
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.roster import person


def a_classroom_day(coach: Coach, app: OfflineApp, cycle_id: str,
                    corrected_id: str, voided_id: str) -> list[dict[str, Any]]:
    """What one coach's app queued in a day without a network, with one mistake in it."""
    yesterday = today() - timedelta(days=1)
    own_entry = str(uuid.uuid4())  # an app may name its entry, to correct it offline too
    other_teacher = Teacher(coach.platform, coach.school.add(coach.platform, "teacher"))
    return [
        item("log_observation", coach.observation(), cycle_id=cycle_id),
        item("hold_debrief", coach.debrief(), cycle_id=cycle_id),
        item("add_next_step", coach.step(), cycle_id=cycle_id),
        # the mistake: an observation dated tomorrow (the domain refuses it: a 422)
        item("log_observation",
             coach.observation(observed_on=(today() + timedelta(days=1)).isoformat()),
             cycle_id=cycle_id),
        item("start_cycle", coach.proposal(teacher_ids=[other_teacher.id])),
        item("record_time_entry", app.entry(yesterday, "08:00", "08:30")),
        item("record_time_entry", app.entry(yesterday, "13:00", "14:00",
                                            entry_id=own_entry)),
        item("correct_time_entry", {"end": "14:30", "reason": "it ran long"},
             entry_id=own_entry),
        item("correct_time_entry", {"end": "11:15", "reason": "left early"},
             entry_id=corrected_id),
        item("void_time_entry", {"reason": "logged twice"}, entry_id=voided_id),
    ]


def test_a_batch_sent_three_times_is_stored_once_and_answered_the_same(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    app = OfflineApp(coach)
    cycle_id = coach.active_cycle()
    yesterday = today() - timedelta(days=1)
    corrected_id = str(coach.ok(coach.post("/time-entries", app.entry(yesterday, "10:00",
                                                                      "11:00")), 201)
                       ["entry_id"])
    voided_id = str(coach.ok(coach.post("/time-entries", app.entry(yesterday, "15:00",
                                                                   "16:00")), 201)
                    ["entry_id"])
    batch = a_classroom_day(coach, app, cycle_id, corrected_id, voided_id)

    first = app.synced(batch)
    assert [(a["command"], a["outcome"], a["status"]) for a in first] == [
        ("log_observation", "accepted", 201), ("hold_debrief", "accepted", 201),
        ("add_next_step", "accepted", 201), ("log_observation", "rejected", 422),
        ("start_cycle", "accepted", 201), ("record_time_entry", "accepted", 201),
        ("record_time_entry", "accepted", 201), ("correct_time_entry", "accepted", 200),
        ("correct_time_entry", "accepted", 200), ("void_time_entry", "accepted", 200),
    ]
    # The mistake is refused exactly as the single route refuses it.
    alone = coach.post(f"/cycles/{cycle_id}/observations", batch[3]["body"])
    assert (first[3]["status"], first[3]["body"]) == (alone.status_code, alone.json())
    assert first[3]["body"]["field"] == "observed_on"
    proposal_id = first[4]["body"]["cycle_id"]
    # Reporting has projected all of it: 30 min, 90 min, and the corrected 75 min.
    wait_until(lambda: app.minutes_reported(yesterday) == 30 + 90 + 75, timeout=60,
               what="reporting to count the synced time")
    once = {"timeline": coach.timeline(cycle_id), "cycle": coach.cycle(cycle_id),
            "proposal": coach.cycle(proposal_id), "day": app.day(yesterday),
            "caseload": coach.ok(coach.get(f"/coaches/{coach.id}/caseload")),
            "events": (stored_events("cycles"), stored_events("timetracking"))}

    second, third = app.synced(batch), app.synced(batch)

    assert second == third
    for before, again in zip(first, second, strict=True):
        expected = "rejected" if before["outcome"] == "rejected" else "duplicate"
        assert again["outcome"] == expected
        assert (again["status"], again["body"]) == (before["status"], before["body"])
    assert {"timeline": coach.timeline(cycle_id), "cycle": coach.cycle(cycle_id),
            "proposal": coach.cycle(proposal_id), "day": app.day(yesterday),
            "caseload": coach.ok(coach.get(f"/coaches/{coach.id}/caseload")),
            "events": (stored_events("cycles"), stored_events("timetracking"))} == once
    # Nothing new was stored, so there is nothing more for reporting to count.
    assert app.minutes_reported(yesterday) == 30 + 90 + 75
    kinds = [e["event"] for e in once["timeline"]]
    assert kinds.count("observation_logged") == kinds.count("debrief_held") == 1
    assert len(once["day"]["entries"]) == 4


def test_the_items_of_one_cycle_are_applied_in_the_order_of_the_batch(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    app = OfflineApp(coach)
    cycle_id = coach.active_cycle()
    answers = app.synced([
        item("log_observation", coach.observation(), cycle_id=cycle_id),
        item("hold_debrief", coach.debrief(), cycle_id=cycle_id),
        item("add_next_step", coach.step(), cycle_id=cycle_id),
        item("add_next_step", coach.step(text="share the tally sheet"), cycle_id=cycle_id),
    ])
    assert [a["body"]["phase"] for a in answers] == ["act", "reflect", "reflect", "reflect"]
    assert [a["body"]["next_steps"]["total"] for a in answers] == [0, 0, 1, 2]
    kinds = [e["event"] for e in coach.timeline(cycle_id)]
    assert kinds[kinds.index("observation_logged"):] == [
        "observation_logged", "phase_changed", "debrief_held", "phase_changed",
        "next_step_added", "next_step_added"]
    steps = coach.cycle(cycle_id)["next_steps"]["steps"]
    assert [s["text"] for s in steps] == ["try think-pair-share", "share the tally sheet"]

    # The other way round, the debrief comes first and the observation takes it to Act.
    other = coach.active_cycle()
    answers = app.synced([item("hold_debrief", coach.debrief(), cycle_id=other),
                          item("log_observation", coach.observation(), cycle_id=other)])
    assert [a["body"]["phase"] for a in answers] == ["reflect", "act"]


def test_one_id_sent_twice_in_a_batch_is_applied_once(platform: Platform) -> None:
    coach = Coach(platform)
    app = OfflineApp(coach)
    on = today() - timedelta(days=2)
    queued = item("record_time_entry", OfflineApp(coach).entry(on, "09:00", "10:00"))
    answers = app.synced([queued, queued])
    assert [a["outcome"] for a in answers] == ["accepted", "duplicate"]
    assert answers[0]["body"] == answers[1]["body"]
    assert len(app.day(on)["entries"]) == 1


def test_a_batch_of_five_hundred_is_applied_and_five_hundred_and_one_refused(
    platform: Platform,
) -> None:
    coach = Coach(platform)
    app = OfflineApp(coach)
    cycle_id = coach.active_cycle()
    on = today() - timedelta(days=3)
    entries = [item("record_time_entry",
                    app.entry(on, f"{m // 60:02d}:{m % 60:02d}",
                              f"{(m + 5) // 60:02d}:{(m + 5) % 60:02d}"))
               for m in range(0, 5 * 200, 5)]
    steps = [item("add_next_step", coach.step(text=f"step {n}"), cycle_id=cycle_id)
             for n in range(300)]
    batch = [x for pair in zip(steps[:200], entries, strict=True) for x in pair] + steps[200:]
    assert len(batch) == 500

    too_many = app.send([*batch, item("add_next_step", coach.step(), cycle_id=cycle_id)],
                        status=400)
    assert too_many["fields"][0]["field"] == "items"
    assert app.day(on)["entries"] == []  # refused whole: nothing of it applied

    summary = app.send(batch)
    assert summary["counts"] == {"accepted": 500, "duplicate": 0, "rejected": 0}
    assert len(app.day(on)["entries"]) == 200
    assert coach.cycle(cycle_id)["next_steps"]["total"] == 300

    again = app.send(batch)  # the answer was lost on the way: the app sends it all again
    assert again["counts"] == {"accepted": 0, "duplicate": 500, "rejected": 0}
    assert [a["body"] for a in again["results"]] == [a["body"] for a in summary["results"]]
    assert len(app.day(on)["entries"]) == 200
    assert coach.cycle(cycle_id)["next_steps"]["total"] == 300


def test_sync_is_for_the_app_s_people_and_a_bad_batch_is_a_clear_400(
    platform: Platform,
) -> None:
    leader = person(platform, "district_leader")
    response = requests.post(f"{platform.url}/sync", json={"items": []}, timeout=10,
                             headers=bearer(leader, "district_leader"))
    assert response.status_code == 403, response.text
    coach = Coach(platform)
    app = OfflineApp(coach)
    for body in ({"items": []}, {"items": "all of them"}, {}, [1, 2]):
        response = requests.post(coach.url("/sync"), json=body, headers=coach.headers,
                                 timeout=10)
        assert response.status_code == 400, response.text
        assert response.json()["fields"], response.text
    answers = app.send([{"client_id": "x", "command": "log_observation", "body": {}},
                        {"command": "fly_to_the_moon"}, "not an item"])["results"]
    assert [(a["outcome"], a["status"]) for a in answers] == [("rejected", 400)] * 3
    assert [a["client_id"] for a in answers] == ["x", None, None]
    # A body the command's schema refuses: the same 400 as its single route.
    cycle_id = coach.active_cycle()
    malformed = {"text": "", "owner_id": "nobody", "due_on": "someday"}
    answer = app.synced([item("add_next_step", malformed, cycle_id=cycle_id)])[0]
    alone = coach.post(f"/cycles/{cycle_id}/next-steps", malformed)
    assert (answer["status"], answer["body"]) == (alone.status_code, alone.json())
    assert answer["status"] == 400
    assert [f["field"] for f in answer["body"]["fields"]] == ["due_on", "owner_id", "text"]
    assert {f["field"] for f in answers[0]["body"]["fields"]} >= {"client_id"}
    assert {f["field"] for f in answers[1]["body"]["fields"]} >= {"client_id", "command"}
