"""Every write of the app through ``POST /sync``, over real HTTP with every service a real
process: a teacher's answer to a proposal, the coach's norms, calendar, goal and closing,
a time suggestion, coaching agreements signed by a coach and a principal and partnership
agreements agreed by a teacher. Each batch is sent twice (the answer was lost on the way):
the second sending is answered with duplicates and stores nothing more; each item is
taken only from the roles of its own route."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from tests.integration.cycles.client import Coach, Person, local, today
from tests.integration.sync.app import item, stored_events
from tests.support.platform import Platform, wait_until
from tests.support.roster import school


class App:
    """One person's app, sending what it queued."""

    def __init__(self, person: Person) -> None:
        self.person = person

    def synced(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = self.person.ok(self.person.post("/sync", {"items": items}))
        results = list(answer["results"])
        assert [r["client_id"] for r in results] == [i["client_id"] for i in items]
        return results


def outcomes(answers: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(a["command"], a["outcome"], a["status"]) for a in answers]


def twice(app: App, batch: list[dict[str, Any]], service: str
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The batch sent, then sent again: the second stores nothing."""
    first = app.synced(batch)
    stored = stored_events(service)
    again = app.synced(batch)
    assert stored_events(service) == stored
    return first, again


def test_coaching_and_partnership_agreements_synced_by_all_three_apps(
    platform: Platform,
) -> None:
    s = school(platform, coaches=1, teachers=1, principal=True)
    coach = Person(platform, "coach", s.coaches[0])
    teacher = Person(platform, "teacher", s.teachers[0])
    principal = Person(platform, "principal", s.principal)
    year = int(principal.ok(principal.get("/me"))["school_year"])
    [place] = principal.ok(principal.get("/me"))["schools"]
    [ref] = place["agreements"]
    agreement_id = ref["agreement_id"]
    partnership_id = str(uuid.uuid4())  # the app's own, as it names it in a cycle's norms
    terms = {"focus_areas": [{"id": "danielson-2a", "label": "Respect and rapport"}],
             "coach_role": "Co-plan and model", "not_coach_role": "Covering classes",
             "check_in_every_weeks": 6}

    # The coach's app: the draft and their signature, the norms of a partnership, and a
    # teacher's command (refused: it is not the coach's to send).
    first, again = twice(App(coach), [
        item("draft_coaching_agreement", {**terms, "school_id": s.id, "school_year": year}),
        item("sign_coaching_agreement", {"version": 1}, agreement_id=agreement_id),
        item("draft_partnership_agreement", {
            "teacher_id": teacher.id, "entering_the_room": "quietly, at the back",
            "interacts_with_students": False, "what_to_observe": "questioning"},
            agreement_id=partnership_id),
        item("agree_partnership_agreement", agreement_id=partnership_id),
    ], "agreements")
    assert outcomes(first) == [
        ("draft_coaching_agreement", "accepted", 201),
        ("sign_coaching_agreement", "accepted", 200),
        ("draft_partnership_agreement", "accepted", 201),
        ("agree_partnership_agreement", "rejected", 403)]
    assert first[0]["body"]["agreement_id"] == agreement_id
    assert first[2]["body"]["agreement_id"] == partnership_id
    assert first[3]["body"]["field"] == "role"
    assert [a["outcome"] for a in again] == ["duplicate"] * 3 + ["rejected"]
    assert [a["body"] for a in again[:3]] == [a["body"] for a in first[:3]]

    # The principal's app: their signature, then a check-in (in force once both signed).
    first, again = twice(App(principal), [
        item("sign_coaching_agreement", {"version": 1}, agreement_id=agreement_id),
        item("record_check_in", {"held_on": today().isoformat(), "notes": "on track"},
             agreement_id=agreement_id),
        item("revise_coaching_agreement", terms, agreement_id=agreement_id),  # the coach's
    ], "agreements")
    assert outcomes(first) == [("sign_coaching_agreement", "accepted", 200),
                               ("record_check_in", "accepted", 201),
                               ("revise_coaching_agreement", "rejected", 403)]
    assert [a["outcome"] for a in again] == ["duplicate", "duplicate", "rejected"]
    shown = principal.ok(principal.get(f"/coaching-agreements/{agreement_id}"))
    assert shown["versions"][0]["in_force"] and len(shown["check_ins"]) == 1

    # The teacher's app: agreeing to the norms, once however often sent.
    first, again = twice(App(teacher), [
        item("agree_partnership_agreement", agreement_id=partnership_id)], "agreements")
    assert [(a["outcome"], a["status"]) for a in first + again] == [
        ("accepted", 200), ("duplicate", 200)]
    assert first[0]["body"]["agreed_on"] == today().isoformat()


def test_a_teacher_s_answer_and_the_coach_s_cycle_commands_synced(platform: Platform) -> None:
    coach = Coach(platform)
    teacher = coach.teacher
    cycle_id = coach.propose()
    first, again = twice(App(teacher), [
        item("accept_cycle", cycle_id=cycle_id),
        item("decline_cycle", cycle_id=str(uuid.uuid4())),  # no such cycle: 404
        item("add_next_step", coach.step(), cycle_id=cycle_id),  # the coach's: 403
    ], "cycles")
    assert outcomes(first) == [("accept_cycle", "accepted", 200),
                               ("decline_cycle", "rejected", 404),
                               ("add_next_step", "rejected", 403)]
    assert first[0]["body"]["status"] == "active"
    assert [a["outcome"] for a in again] == ["duplicate", "rejected", "rejected"]
    assert again[0]["body"] == first[0]["body"]

    # The coach's app: a calendar item scheduled and done, one rescheduled and cancelled,
    # the norms, a step dropped, the goal revised, the cycle closed and reopened.
    starts = datetime.combine(today() + timedelta(days=1), time(9, 30))
    coach_app = App(coach)
    made = coach_app.synced([
        item("schedule_item", {"kind": "co_teach", "minutes": 40, "starts_at": local(
            datetime.now(UTC) - timedelta(hours=1))}, cycle_id=cycle_id),  # begun: done
        item("schedule_item", {"kind": "observation", "starts_at": starts.isoformat(),
                               "minutes": 45}, cycle_id=cycle_id),
        item("add_next_step", coach.step(), cycle_id=cycle_id),
    ])
    done_id, moved_id = made[0]["body"]["item_id"], made[1]["body"]["item_id"]
    step_id = made[2]["body"]["step_id"]
    goal = {"what": "Every student explains once a lesson", "measure": "tally",
            "by": (today() + timedelta(days=60)).isoformat()}
    first, again = twice(coach_app, [
        item("mark_item_done", cycle_id=cycle_id, item_id=done_id),
        item("agree_norms", {"norms": ["debrief within 24 hours"]}, cycle_id=cycle_id),
        item("reschedule_item", {"starts_at": (starts + timedelta(hours=2)).isoformat()},
             cycle_id=cycle_id, item_id=moved_id),
        item("cancel_item", cycle_id=cycle_id, item_id=moved_id),
        item("drop_next_step", cycle_id=cycle_id, step_id=step_id),
        item("revise_goal", {"goal": goal}, cycle_id=cycle_id),
        item("move_phase_back", cycle_id=cycle_id),  # in Plan: refused as on its own
        item("close_cycle", {"outcome": "partly_met", "evidence": "tallies rose"},
             cycle_id=cycle_id),
        item("reopen_cycle", cycle_id=cycle_id),
        item("accept_cycle", cycle_id=cycle_id),  # the teacher's: 403
    ], "cycles")
    assert [(a["outcome"], a["status"]) for a in first] == [("accepted", 200)] * 6 + [
        ("rejected", 422), ("accepted", 200), ("accepted", 200), ("rejected", 403)]
    alone = coach.post(f"/cycles/{cycle_id}/phase/back")
    assert (first[6]["status"], first[6]["body"]) == (alone.status_code, alone.json())
    assert [a["outcome"] for a in again] == ["duplicate"] * 6 + ["rejected"] + [
        "duplicate"] * 2 + ["rejected"]
    cycle = coach.cycle(cycle_id)
    assert cycle["status"] == "active" and cycle["goal"]["what"] == goal["what"]
    assert [i["status"] for i in cycle["calendar"]] == ["done", "cancelled"]

    # The item done is suggested as a time entry: confirmed from the app, once.
    path = f"/coaches/{coach.id}/time/days/{today()}"
    wait_until(lambda: coach.ok(coach.get(path))["suggestions"], timeout=60,
               what="time-tracking to suggest the calendar item done")
    first, again = twice(coach_app, [item("confirm_time_suggestion", {
        "coach_id": coach.id, "date": today().isoformat(), "item_id": done_id})],
        "timetracking")
    assert [(a["outcome"], a["status"]) for a in first + again] == [
        ("accepted", 201), ("duplicate", 201)]
    day = coach.ok(coach.get(path))
    assert [e["entry_id"] for e in day["entries"]] == [first[0]["body"]["entry_id"]]
    assert day["suggestions"] == []
