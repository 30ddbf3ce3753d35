"""Forgetting a person in the agreements store (``coachops.privacy``): district IT erases
them, their names and email, the norms of their partnerships and the check-in notes they
wrote as a coach read as erased, the roster keeps them as someone, the next import does
not bring their names back, and the other services are told."""

from __future__ import annotations

import pytest

from coachops.errors import Forbidden, NotFound
from coachops.identity import Actor, Role
from coachops.privacy import ERASED
from services.agreements.app import Agreements
from services.agreements.integration import to_integration
from services.agreements.roster import Person, roster_id
from tests.support.district import District
from tests.support.relayed import relayed
from tests.unit.agreements.helpers import (
    IT,
    START,
    TODAY,
    coach,
    principal,
    school_of,
)
from tests.unit.agreements.test_coaching_agreements import signed
from tests.unit.agreements.test_partnership_agreements import norms

TEACHER = Actor(roster_id("teacher-00001"), Role.TEACHER)


def person(app: Agreements, actor: Actor) -> Person:
    found = app.repository.get(actor.id)
    assert isinstance(found, Person)
    return found


def test_a_forgotten_teacher_keeps_an_id_and_loses_names_and_norms(
        app: Agreements, district: District) -> None:
    given = district.people["teacher-00001"].given_name
    partnership = app.draft_partnership_agreement(coach(district), TEACHER.id, norms(
        entering_the_room="Quietly; Ms. Example's class has a new student"), TODAY).result
    # another teacher at a school of the same coach
    other = app.draft_partnership_agreement(coach(district), roster_id("teacher-00007"),
                                            norms(), TODAY).result
    assert person(app, TEACHER).given_name == given

    assert app.forget_person(IT, TEACHER.id, TODAY) == 1  # one key: theirs

    forgotten = person(app, TEACHER)
    assert (forgotten.given_name, forgotten.family_name, forgotten.email) == (
        ERASED, ERASED, None if forgotten.email is None else ERASED)
    assert forgotten.role == "teacher" and forgotten.forgotten_on == TODAY
    norms_now = app.partnership_agreement(coach(district), partnership.id).norms
    assert norms_now.entering_the_room == ERASED
    assert norms_now.debrief_within_hours == 24  # not a text: kept
    assert app.partnership_agreement(coach(district), other.id).norms == norms()
    assert app.erased_people() == [TEACHER.id]


def test_the_next_roster_import_does_not_bring_the_names_back(
        app: Agreements, district: District) -> None:
    app.forget_person(IT, TEACHER.id, TODAY)
    version = person(app, TEACHER).version

    app.import_roster(IT, district.files(), START)

    assert person(app, TEACHER).version == version
    assert person(app, TEACHER).given_name == ERASED


def test_a_forgotten_coachs_check_in_notes_are_erased(
        app: Agreements, district: District) -> None:
    agreement = signed(app, district)
    app.record_check_in(coach(district), agreement.id, TODAY, "Going well", None, TODAY)

    app.forget_person(IT, coach(district).id, TODAY)

    read = app.coaching_agreement(principal(district, school_of(district)), agreement.id,
                                  TODAY)
    assert [c.notes for c in read.check_ins] == [ERASED]
    assert read.in_force() is not None  # the agreement itself stands


def test_only_district_it_forgets_and_only_someone_on_the_roster(
        app: Agreements, district: District) -> None:
    with pytest.raises(Forbidden):
        app.forget_person(principal(district, school_of(district)), TEACHER.id, TODAY)
    with pytest.raises(NotFound):
        app.forget_person(IT, roster_id("nobody"), TODAY)
    assert app.erased_people() == []


def test_the_other_services_are_told_once(app: Agreements) -> None:
    app.forget_person(IT, TEACHER.id, TODAY)
    app.forget_person(IT, TEACHER.id, TODAY)  # again: nothing new to tell

    told = [e.payload for e, _ in relayed("agreements", app, to_integration)
            if e.event_type == "PersonForgotten"]

    assert told == [{"person_id": TEACHER.id, "forgotten_on": TODAY}]
