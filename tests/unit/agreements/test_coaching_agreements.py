"""Coaching agreements on the service layer: drafted by an assigned coach, in force once
coach and principal both signed, revised as a new version, check-ins; and nobody else
may read or sign one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coachops.errors import Conflict, Forbidden, Invalid, NotFound
from coachops.identity import Actor, Role
from services.agreements import views
from services.agreements.app import Agreements
from services.agreements.domain import CoachingAgreement
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import (
    DANIELSON_2A,
    IT,
    READING_GOAL,
    TODAY,
    coach,
    principal,
    school_of,
    terms,
)


def drafted(app: Agreements, district: District) -> CoachingAgreement:
    return app.draft_coaching_agreement(coach(district), roster_id(school_of(district)), 2026,
                                        terms(), TODAY).result


def signed(app: Agreements, district: District) -> CoachingAgreement:
    agreement = drafted(app, district)
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY)
    return app.sign_coaching_agreement(principal(district, school_of(district)), agreement.id,
                                       1, TODAY).result


def test_a_draft_is_not_in_force_until_both_sign(app: Agreements, district: District) -> None:
    agreement = drafted(app, district)
    assert agreement.in_force() is None
    after_coach = app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY).result
    assert after_coach.in_force() is None
    after_both = app.sign_coaching_agreement(principal(district, school_of(district)),
                                             agreement.id, 1, TODAY).result
    in_force = after_both.in_force()
    assert in_force is not None and in_force.number == 1
    assert in_force.signed == {"coach": TODAY, "principal": TODAY}


def test_signing_twice_records_one_signature(app: Agreements, district: District) -> None:
    agreement = drafted(app, district)
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY)
    again = app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY).result
    assert len(again.versions[0].signed) == 1


def test_a_revision_needs_both_again_and_the_old_version_stays_in_force(
    app: Agreements, district: District,
) -> None:
    agreement = signed(app, district)
    revised = app.revise_coaching_agreement(coach(district), agreement.id,
                                            terms(DANIELSON_2A, READING_GOAL), TODAY).result
    assert revised.latest.number == 2
    assert revised.in_force().number == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):  # version 1 was revised: sign the new one
        app.sign_coaching_agreement(principal(district, school_of(district)), agreement.id,
                                    1, TODAY)
    app.sign_coaching_agreement(coach(district), agreement.id, 2, TODAY)
    assert app.coaching_agreement(coach(district), agreement.id, TODAY).in_force().number == 1  # type: ignore[union-attr]
    both = app.sign_coaching_agreement(principal(district, school_of(district)),
                                       agreement.id, 2, TODAY).result
    assert both.in_force().terms.focus_area_ids == ["danielson-2a", "goal-reading"]  # type: ignore[union-attr]


def test_only_a_coach_assigned_to_the_school_drafts(app: Agreements,
                                                   district: District) -> None:
    school = roster_id(school_of(district))
    with pytest.raises(Forbidden):  # coach 2 works elsewhere
        app.draft_coaching_agreement(coach(district, 2), school, 2026, terms(), TODAY)
    with pytest.raises(Forbidden):
        app.draft_coaching_agreement(principal(district, school_of(district)), school, 2026,
                                     terms(), TODAY)
    with pytest.raises(NotFound):
        app.draft_coaching_agreement(coach(district), roster_id("nowhere"), 2026, terms(),
                                     TODAY)
    drafted(app, district)
    with pytest.raises(Conflict):  # one per coach, school and year: revise it instead
        drafted(app, district)


def test_only_the_coach_and_that_schools_principal_read_or_sign(
    app: Agreements, district: District,
) -> None:
    agreement = drafted(app, district)
    other_principal = principal(district, "school-0002")
    strangers = [other_principal, coach(district, 1), IT,
                 Actor(roster_id("teacher-00001"), Role.TEACHER),
                 Actor(roster_id(district.principals[school_of(district)]), Role.COACH),
                 Actor(roster_id("x"), Role.DISTRICT_LEADER)]
    for stranger in strangers:
        with pytest.raises(Forbidden):
            app.coaching_agreement(stranger, agreement.id, TODAY)
        with pytest.raises(Forbidden):
            app.sign_coaching_agreement(stranger, agreement.id, 1, TODAY)
    assert app.coaching_agreement(principal(district, school_of(district)), agreement.id,
                                  TODAY).id == agreement.id


def test_a_new_principal_takes_over_on_the_date_of_the_change(
    app: Agreements, district: District,
) -> None:
    agreement = drafted(app, district)
    change = TODAY + timedelta(days=30)
    district.history.append(("principal", "principal-0008", school_of(district), "", change))
    app.import_roster(IT, district.files(), change)
    new, old = principal(district, "school-0008"), principal(district, school_of(district))
    with pytest.raises(Forbidden):
        app.sign_coaching_agreement(new, agreement.id, 1, TODAY)
    app.sign_coaching_agreement(old, agreement.id, 1, TODAY)
    with pytest.raises(Forbidden):
        app.coaching_agreement(old, agreement.id, change)
    assert app.coaching_agreement(new, agreement.id, change).id == agreement.id


def test_check_ins_are_recorded_against_the_agreement_in_force(
    app: Agreements, district: District,
) -> None:
    agreement = drafted(app, district)
    with pytest.raises(Invalid):  # not signed: not in force
        app.record_check_in(coach(district), agreement.id, TODAY, "", None, TODAY)
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY)
    app.sign_coaching_agreement(principal(district, school_of(district)), agreement.id, 1,
                                TODAY)
    kept = app.record_check_in(coach(district), agreement.id, TODAY, "Going well", None,
                               TODAY).result
    check_in = kept.check_ins[-1]
    assert not check_in.focus_areas_revised
    assert check_in.next_due_on == TODAY + timedelta(weeks=13)
    revised = app.record_check_in(principal(district, school_of(district)), agreement.id,
                                  TODAY, "Add reading", [DANIELSON_2A, READING_GOAL], TODAY).result
    assert revised.check_ins[-1].focus_areas_revised
    with pytest.raises(Invalid):
        app.record_check_in(coach(district), agreement.id, TODAY + timedelta(days=1), "",
                            None, TODAY)
    with pytest.raises(Forbidden):
        app.record_check_in(principal(district, "school-0002"), agreement.id, TODAY, "", None,
                            TODAY)


def test_terms_are_checked() -> None:
    with pytest.raises(Invalid):
        terms(DANIELSON_2A, DANIELSON_2A)
    with pytest.raises(Invalid):
        terms(weeks=0)


def test_a_school_year_outside_the_agreements_date_is_still_its_own_agreement(
    app: Agreements, district: District,
) -> None:
    this_year = drafted(app, district)
    next_year = app.draft_coaching_agreement(coach(district), roster_id(school_of(district)),
                                             2027, terms(), date(2026, 9, 16)).result
    assert this_year.id != next_year.id


def test_a_coach_who_left_the_school_no_longer_signs_or_records(app: Agreements,
                                                                district: District) -> None:
    agreement = signed(app, district)
    later = TODAY + timedelta(days=7)
    the_principal = principal(district, school_of(district))
    district.coaching[next(iter(district.coaching))] = []  # the next roster: moved away
    app.import_roster(IT, district.files(), TODAY + timedelta(days=1))
    for change in (lambda: app.record_check_in(coach(district), agreement.id, later, "n",
                                               None, later).result,
                   lambda: app.revise_coaching_agreement(coach(district), agreement.id,
                                                         terms(READING_GOAL), later).result):
        with pytest.raises(Forbidden) as error:
            change()
        assert error.value.field == "school_id"
    # The principal still records the check-in they held with the school's coaches.
    app.record_check_in(the_principal, agreement.id, later, "n", None, later, ["principal"])


# Signed on paper: a district that starts on the platform mid-year enters the agreements
# its coaches and principals signed in August.

AUGUST_14, AUGUST_20 = date(2026, 8, 14), date(2026, 8, 20)


def test_a_signature_on_paper_keeps_both_days_and_is_in_force_from_the_later(
    app: Agreements, district: District,
) -> None:
    agreement = drafted(app, district)
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY, AUGUST_20)
    both = app.sign_coaching_agreement(principal(district, school_of(district)),
                                       agreement.id, 1, TODAY, AUGUST_14).result
    version = both.in_force()
    assert version is not None
    assert version.signed == {"coach": AUGUST_20, "principal": AUGUST_14}
    assert version.entered == {"coach": TODAY, "principal": TODAY}  # the audit's days
    assert version.in_force_from == AUGUST_20  # the later of the two, whoever signed last
    shown = views.coaching_agreement(both)["versions"][0]
    assert (shown["signed"], shown["entered"], shown["in_force_from"]) == (
        {"coach": "2026-08-20", "principal": "2026-08-14"},
        {"coach": "2026-09-15", "principal": "2026-09-15"}, "2026-08-20")


def test_signed_today_is_in_force_from_today(app: Agreements, district: District) -> None:
    version = signed(app, district).in_force()
    assert version is not None and version.in_force_from == TODAY
    assert version.entered == version.signed == {"coach": TODAY, "principal": TODAY}


def refused_day(app: Agreements, signer: Actor, agreement: CoachingAgreement,
                day: date, number: int = 1) -> str:
    with pytest.raises(Invalid) as refused:
        app.sign_coaching_agreement(signer, agreement.id, number, TODAY, day)
    assert refused.value.status == 422 and refused.value.field == "signed_on"
    return str(refused.value)


def test_a_day_on_paper_is_not_to_come(app: Agreements, district: District) -> None:
    agreement = drafted(app, district)
    assert "still to come" in refused_day(app, coach(district), agreement,
                                          TODAY + timedelta(days=1))
    assert not app.coaching_agreement(coach(district), agreement.id, TODAY).latest.signed


def test_a_day_on_paper_is_in_the_agreements_school_year(app: Agreements,
                                                         district: District) -> None:
    agreement = drafted(app, district)  # the 2026 school year, from 1 August 2026
    assert "starts on 2026-08-01" in refused_day(app, coach(district), agreement,
                                                 date(2026, 7, 31))
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY, date(2026, 8, 1))


def test_the_roster_of_the_day_on_paper_makes_the_signer_a_party(
    app: Agreements, district: District,
) -> None:
    # An agreement for the 2025 school year: the roster has everyone from 1 August 2026.
    agreement = app.draft_coaching_agreement(coach(district), roster_id(school_of(district)),
                                             2025, terms(), TODAY).result
    the_principal = principal(district, school_of(district))
    assert "the coach at this school on 2025-09-01" in refused_day(
        app, coach(district), agreement, date(2025, 9, 1))
    assert "principal on 2025-09-01" in refused_day(app, the_principal, agreement,
                                                    date(2025, 9, 1))
    # A principal who took over later did not sign before they did.
    change = AUGUST_20
    district.history.append(("principal", "principal-0008", school_of(district), "", change))
    app.import_roster(IT, district.files(), change)
    this_year = drafted(app, district)
    new = principal(district, "school-0008")
    assert "principal on 2026-08-14" in refused_day(app, new, this_year, AUGUST_14)
    app.sign_coaching_agreement(new, this_year.id, 1, TODAY, AUGUST_20)


def test_a_revision_is_not_signed_before_the_version_it_replaces_came_in_force(
    app: Agreements, district: District,
) -> None:
    agreement = drafted(app, district)
    the_principal = principal(district, school_of(district))
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY, AUGUST_14)
    app.sign_coaching_agreement(the_principal, agreement.id, 1, TODAY, AUGUST_20)
    app.revise_coaching_agreement(coach(district), agreement.id, terms(READING_GOAL), TODAY)
    assert "in force from 2026-08-20" in refused_day(app, coach(district), agreement,
                                                     AUGUST_14, number=2)
    app.sign_coaching_agreement(coach(district), agreement.id, 2, TODAY, AUGUST_20)
    both = app.sign_coaching_agreement(the_principal, agreement.id, 2, TODAY).result
    assert both.in_force().in_force_from == TODAY  # type: ignore[union-attr]
