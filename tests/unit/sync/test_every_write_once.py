"""Every write of the app may be queued offline: a teacher's answer to a proposal, the
coach's norms, calendar changes, goal, closing; a time suggestion confirmed or dismissed;
coaching and partnership agreements. Each is applied once by its client id (sent again, a
duplicate that changes nothing), a refusal in a batch stops nothing, and /sync takes an
item only from the roles of its route. Through each service's own ``sync``, on the
library's in-memory persistence; no infrastructure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from coachops import clock
from coachops.errors import Conflict, Forbidden
from coachops.identity import Actor, Role
from coachops.json import Json
from coachops.unit_of_work import Once
from gateway.routes.sync import checked
from services.agreements.app import Agreements
from services.agreements.domain import CoachingAgreement, Norms, coaching_agreement_id
from services.agreements.roster import roster_id
from services.agreements.service import AgreementsService
from services.cycles.app import Cycles
from services.cycles.service import CyclesService
from services.timetracking.app import TimeTracking
from services.timetracking.service import TimeTrackingService
from tests.unit.agreements.helpers import (
    TODAY,
    app_with,
    coach,
    principal,
    school_of,
    small_district,
    terms,
)
from tests.unit.cycles import helpers as cy
from tests.unit.timetracking import helpers as tt


def item(command: str, body: dict[str, Any] | None = None,
         client_id: uuid.UUID | None = None, **ids: Any) -> Json:
    return {"client_id": str(client_id or uuid.uuid4()), "command": command,
            "body": {**(body or {}), **{k: str(v) for k, v in ids.items()}}}


def outcomes(answers: list[Json]) -> list[tuple[str, int]]:
    return [(a["outcome"], a["status"]) for a in answers]


def as_dict(actor: Actor) -> dict[str, str]:
    return actor.to_dict()


def events(app: Any, aggregate_id: uuid.UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(aggregate_id)]


# Cycles: a teacher's answer, and the coach's commands that were sent straight away -----


@pytest.fixture
def cycles(cycles_app: Cycles) -> Any:
    return worker_factory(CyclesService, cycles=cycles_app)


def proposed(app: Cycles) -> uuid.UUID:
    return app.start_cycle(cy.AS_COACH, cy.COACH, [cy.TEACHER], cy.SCHOOL, ["danielson-2b"],
                           cy.GOAL, cy.TODAY).result.id


def test_a_teacher_s_accept_sent_twice_is_applied_once_and_a_refusal_stops_nothing(
        cycles_app: Cycles, cycles: Any) -> None:
    cycle_id = proposed(cycles_app)
    batch = [item("accept_cycle", cycle_id=cycle_id),
             item("decline_cycle", cycle_id=uuid.uuid4()),  # no such cycle: a 404
             item("withdraw_from_reporting", cycle_id=cycle_id)]
    teacher = as_dict(cy.AS_TEACHER)
    first = cycles.sync(teacher, batch)
    assert outcomes(first) == [("accepted", 200), ("rejected", 404), ("accepted", 200)]
    assert first[0]["body"]["status"] == "active"
    assert first[1]["body"]["field"] == "cycle_id"
    stored = events(cycles_app, cycle_id)
    again = cycles.sync(teacher, batch)
    assert outcomes(again) == [("duplicate", 200), ("rejected", 404), ("duplicate", 200)]
    assert again[0]["body"] == first[0]["body"]  # as the first sending left it
    assert events(cycles_app, cycle_id) == stored
    assert stored.count("Accepted") == 1 and stored.count("WithdrawnFromReporting") == 1


def test_the_coach_s_cycle_commands_sent_again_are_duplicates(cycles_app: Cycles,
                                                             cycles: Any) -> None:
    cycle_id = proposed(cycles_app)
    cycles_app.accept(cy.AS_TEACHER, cycle_id, cy.TODAY)
    starts = datetime.combine(clock.today() + timedelta(days=2), datetime.min.time(), UTC)
    item_id = cycles_app.schedule(cy.AS_COACH, cycle_id, "observation", starts, 45).result[1]
    dropped = cycles_app.add_next_step(cy.AS_COACH, cycle_id, "try wait time", cy.TEACHER,
                                       clock.today() + timedelta(days=7),
                                       clock.today()).result[1]
    goal = {"what": "More students explain", "measure": "tally",
            "by": (clock.today() + timedelta(days=60)).isoformat()}
    batch = [
        item("agree_norms", {"norms": ["debrief within 24 hours"]}, cycle_id=cycle_id),
        item("reschedule_item", {"starts_at": (starts + timedelta(hours=2)).isoformat(),
                                 "minutes": 30}, cycle_id=cycle_id, item_id=item_id),
        item("cancel_item", cycle_id=cycle_id, item_id=item_id),
        item("drop_next_step", cycle_id=cycle_id, step_id=dropped),
        item("revise_goal", {"goal": goal}, cycle_id=cycle_id),
        item("move_phase_back", cycle_id=cycle_id),  # in Plan already: refused, a 422
        item("close_cycle", {"outcome": "partly_met", "evidence": "tallies rose"},
             cycle_id=cycle_id),
        item("reopen_cycle", cycle_id=cycle_id),
    ]
    coach = as_dict(cy.AS_COACH)
    first = cycles.sync(coach, batch)
    assert outcomes(first) == [("accepted", 200)] * 5 + [("rejected", 422)] + [
        ("accepted", 200)] * 2
    assert first[5]["body"]["field"] == "phase"
    stored = events(cycles_app, cycle_id)
    again = cycles.sync(coach, batch)
    assert outcomes(again) == [("duplicate", 200)] * 5 + [("rejected", 422)] + [
        ("duplicate", 200)] * 2
    assert events(cycles_app, cycle_id) == stored


def test_one_client_id_is_one_person_s_command(cycles_app: Cycles) -> None:
    cycle_id = proposed(cycles_app)
    sent = uuid.uuid4()
    cycles_app.accept(cy.AS_TEACHER, cycle_id, cy.TODAY, once=Once(sent, cy.TEACHER))
    with pytest.raises(Conflict) as error:  # the coach's next command reusing it
        cycles_app.move_back(cy.AS_COACH, cycle_id, cy.TODAY, once=Once(sent, cy.COACH))
    assert error.value.field == "client_id"


# Time: suggestions from the calendar ---------------------------------------------------


def test_a_suggestion_confirmed_or_dismissed_twice_is_applied_once(time_app: TimeTracking
                                                                   ) -> None:
    service = worker_factory(TimeTrackingService, timetracking=time_app)
    time_app.category_list()
    kept, gone = uuid.uuid4(), uuid.uuid4()
    for suggested in (kept, gone):
        assert time_app.suggest_from_calendar(tt.COACH, suggested, uuid.uuid4(), tt.SCHOOL,
                                              "co_teach", tt.MONDAY, 40)
    day = {"coach_id": str(tt.COACH), "date": tt.MONDAY.isoformat()}
    batch = [item("confirm_time_suggestion", {**day, "item_id": str(kept)}),
             item("dismiss_time_suggestion", {**day, "item_id": str(uuid.uuid4())}),  # 404
             item("dismiss_time_suggestion", {**day, "item_id": str(gone)})]
    coach = as_dict(tt.AS_COACH)
    first = service.sync(coach, batch)
    assert outcomes(first) == [("accepted", 201), ("rejected", 404), ("accepted", 200)]
    entry_id = uuid.UUID(first[0]["body"]["entry_id"])
    again = service.sync(coach, batch)
    assert outcomes(again) == [("duplicate", 201), ("rejected", 404), ("duplicate", 200)]
    assert again[0]["body"] == first[0]["body"]
    day_now = time_app.coach_day(tt.AS_COACH, tt.COACH, tt.MONDAY)
    assert list(day_now.entries) == [entry_id]
    assert {s.status for s in day_now.suggestions.values()} == {"confirmed", "dismissed"}


# Agreements: drafted, revised, signed, checked in, agreed -------------------------------


@pytest.fixture
def district() -> Any:
    return small_district()


@pytest.fixture
def agreements_app(district: Any) -> Agreements:
    return app_with(district)


def test_a_principal_s_signature_sent_twice_is_one_signature(agreements_app: Agreements,
                                                             district: Any) -> None:
    school = roster_id(school_of(district))
    agreement = agreements_app.draft_coaching_agreement(coach(district), school, 2026,
                                                        terms(), TODAY).result
    the_principal = principal(district, school_of(district))
    sent = Once(uuid.uuid4(), the_principal.id)
    first = agreements_app.sign_coaching_agreement(the_principal, agreement.id, 1, TODAY,
                                                   once=sent)
    again = agreements_app.sign_coaching_agreement(the_principal, agreement.id, 1, TODAY,
                                                   once=sent)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.result.version == first.result.version
    assert again.result.versions[0].signed == {"principal": TODAY}
    assert events(agreements_app, agreement.id).count("Signed") == 1
    with pytest.raises(Conflict) as error:  # the coach reusing the principal's id
        agreements_app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY,
                                               once=Once(sent.client_id, coach(district).id))
    assert error.value.field == "client_id"


def test_an_agreement_batch_is_applied_once_in_order_and_a_refusal_stops_nothing(
        agreements_app: Agreements, district: Any) -> None:
    service = worker_factory(AgreementsService, agreements=agreements_app)
    the_coach = coach(district)
    school = roster_id(school_of(district))
    year = 2026
    agreement_id = coaching_agreement_id(the_coach.id, school, year)
    shape = {"focus_areas": [{"id": "danielson-2a", "label": "Respect and rapport"}],
             "coach_role": "Co-plan", "not_coach_role": "Covering classes"}
    batch = [
        item("draft_coaching_agreement", {**shape, "school_id": str(school),
                                          "school_year": year}),
        item("sign_coaching_agreement", {"version": 1}, agreement_id=agreement_id),
        # not in force yet (the principal has not signed): refused, a 422
        item("record_check_in", {"held_on": clock.today().isoformat()},
             agreement_id=agreement_id),
        item("revise_coaching_agreement", {**shape, "check_in_every_weeks": 6},
             agreement_id=agreement_id),
    ]
    coach_dict = as_dict(the_coach)
    first = service.sync(coach_dict, batch)
    assert outcomes(first) == [("accepted", 201), ("accepted", 200), ("rejected", 422),
                               ("accepted", 201)]
    assert first[2]["body"]["field"] == "agreement_id"
    assert [v["version"] for v in first[3]["body"]["versions"]] == [1, 2]
    stored = events(agreements_app, agreement_id)
    again = service.sync(coach_dict, batch)
    assert outcomes(again) == [("duplicate", 201), ("duplicate", 200), ("rejected", 422),
                               ("duplicate", 201)]
    assert again[1]["body"] == first[1]["body"]  # as the first sending left it
    assert events(agreements_app, agreement_id) == stored
    assert stored.count("Revised") == 1 and stored.count("Signed") == 1

    # The principal's app: a signature and a check-in, each once however often sent.
    the_principal = principal(district, school_of(district))
    theirs = [item("sign_coaching_agreement", {"version": 2}, agreement_id=agreement_id),
              item("record_check_in", {"held_on": clock.today().isoformat(),
                                       "notes": "going well"}, agreement_id=agreement_id)]
    first = service.sync(as_dict(the_principal), theirs)
    assert outcomes(first) == [("accepted", 200), ("rejected", 422)]  # v2 not signed by both
    service.sync(coach_dict, [item("sign_coaching_agreement", {"version": 2},
                                   agreement_id=agreement_id)])
    theirs[1] = item("record_check_in", {"held_on": clock.today().isoformat()},
                     agreement_id=agreement_id)
    for expected in ("accepted", "duplicate"):
        assert [a["outcome"] for a in service.sync(as_dict(the_principal), theirs)] == [
            "duplicate", expected]
    found = agreements_app.repository.get(agreement_id)
    assert isinstance(found, CoachingAgreement) and len(found.check_ins) == 1


def test_a_partnership_drafted_offline_keeps_the_app_s_id_and_is_drafted_once(
        agreements_app: Agreements, district: Any) -> None:
    the_coach = coach(district)
    teacher = roster_id("teacher-00001")
    norms = Norms.of(debrief_within_hours=24, entering_the_room="quietly",
                     interacts_with_students=False, what_to_observe="questions")
    own_id, sent = uuid.uuid4(), Once(uuid.uuid4(), the_coach.id)
    first = agreements_app.draft_partnership_agreement(the_coach, teacher, norms, TODAY,
                                                       own_id, once=sent)
    again = agreements_app.draft_partnership_agreement(the_coach, teacher, norms, TODAY,
                                                       own_id, once=sent)
    assert (first.result.id, first.duplicate, again.duplicate) == (own_id, False, True)
    with pytest.raises(Conflict) as error:  # another command naming the same id
        agreements_app.draft_partnership_agreement(the_coach, teacher, norms, TODAY, own_id,
                                                   once=Once(uuid.uuid4(), the_coach.id))
    assert error.value.field == "agreement_id"
    the_teacher = Actor(teacher, Role.TEACHER)
    agreed = Once(uuid.uuid4(), teacher)
    answers = [agreements_app.agree_partnership_agreement(the_teacher, own_id, TODAY,
                                                          once=agreed) for _ in range(2)]
    assert [a.duplicate for a in answers] == [False, True]
    assert events(agreements_app, own_id) == ["Drafted", "Agreed"]
    # Without an id of the app's own, the one its client id makes: the same each time.
    unnamed = Once(uuid.uuid4(), the_coach.id)
    made = [agreements_app.draft_partnership_agreement(the_coach, teacher, norms, TODAY,
                                                       once=unnamed) for _ in range(2)]
    assert made[0].result.id == made[1].result.id and made[1].duplicate


# The gateway: each item only from the roles of its route ------------------------------


@pytest.mark.parametrize(("command", "role", "body"), [
    ("accept_cycle", Role.COACH, {"cycle_id": str(uuid.uuid4())}),
    ("add_next_step", Role.TEACHER, {"cycle_id": str(uuid.uuid4()), "text": "t",
                                     "owner_id": str(uuid.uuid4()), "due_on": "2026-12-01"}),
    ("sign_coaching_agreement", Role.TEACHER, {"agreement_id": str(uuid.uuid4()),
                                               "version": 1}),
    ("draft_coaching_agreement", Role.PRINCIPAL, {
        "school_id": str(uuid.uuid4()), "school_year": 2026, "coach_role": "c",
        "not_coach_role": "n", "focus_areas": [{"id": "a", "label": "A"}]}),
    ("agree_partnership_agreement", Role.PRINCIPAL, {"agreement_id": str(uuid.uuid4())}),
])
def test_an_item_of_another_role_s_route_is_refused_naming_the_role(
        command: str, role: Role, body: dict[str, Any]) -> None:
    raw = {"client_id": str(uuid.uuid4()), "command": command, "body": body}
    with pytest.raises(Forbidden) as error:
        checked(raw, Actor(uuid.uuid4(), role))
    assert error.value.field == "role"
    allowed = {"accept_cycle": Role.TEACHER, "add_next_step": Role.COACH,
               "sign_coaching_agreement": Role.PRINCIPAL,
               "draft_coaching_agreement": Role.COACH,
               "agree_partnership_agreement": Role.TEACHER}[command]
    assert checked(raw, Actor(uuid.uuid4(), allowed))[1]["command"] == command

