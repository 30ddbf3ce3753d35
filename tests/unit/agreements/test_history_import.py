"""District IT's import of agreements signed on paper before coachops: the rules of a
signature on paper, recorded by IT and marked imported, a dry run that records nothing,
a file seen twice recorded once, a refused line named by its line and column."""

from __future__ import annotations

from datetime import date

import pytest

from coachops.errors import Forbidden, Rejected
from services.agreements import views
from services.agreements.app import Agreements
from services.agreements.domain import coaching_agreement_id
from services.agreements.roster import roster_id
from tests.support.district import District
from tests.unit.agreements.helpers import IT, TODAY, coach, principal, school_of, terms

HEADER = ("coach_id,school_id,school_year,focus_areas,coach_role,not_coach_role,"
          "coach_signed_on,principal_signed_on\n")


def line(district: District, n: int = 0, signed: str = "2026-08-20") -> str:
    return (f"{coach(district, n).id},{roster_id(school_of(district, n))},2026,"
            f"danielson-2a=2a: Respect & Rapport|goal-reading,Co-plan and model,"
            f"Covering classes,2026-08-14,{signed}\n")


def stored(app: Agreements) -> int:
    return app.recorder.max_notification_id() or 0


def test_an_agreement_signed_on_paper_is_imported_in_force(app: Agreements,
                                                           district: District) -> None:
    found = app.import_history(IT, HEADER + line(district), TODAY, dry_run=False)
    assert (len(found.agreements), found.already) == (1, 0)
    agreement = app.repository.get(coaching_agreement_id(
        coach(district).id, roster_id(school_of(district)), 2026))
    version = agreement.in_force()
    assert version is not None and version.in_force_from == date(2026, 8, 20)
    assert version.signed == {"coach": date(2026, 8, 14), "principal": date(2026, 8, 20)}
    assert [a.label for a in version.terms.focus_areas] == ["2a: Respect & Rapport",
                                                            "goal-reading"]
    events = app.repository.event_store.get(agreement.id)
    assert {(e.actor, e.source) for e in events} == {(IT, "imported")}
    # The principal of the school reads it as any other, marked imported by IT.
    school = school_of(district)
    shown = views.coaching_agreement(
        app.coaching_agreement(principal(district, school), agreement.id, TODAY))
    assert shown["imported_by"] == str(IT.id)
    assert shown["versions"][0]["in_force_from"] == "2026-08-20"


def test_a_dry_run_records_nothing_and_twice_records_once(app: Agreements,
                                                          district: District) -> None:
    text = HEADER + line(district) + line(district, 1)
    before = stored(app)
    assert len(app.import_history(IT, text, TODAY, dry_run=True).agreements) == 2
    assert stored(app) == before
    app.import_history(IT, text, TODAY, dry_run=False)
    after = stored(app)
    again = app.import_history(IT, text, TODAY, dry_run=False)
    assert (len(again.agreements), again.already) == (0, 2)
    assert stored(app) == after


def test_a_refused_line_names_its_line_and_column(app: Agreements,
                                                  district: District) -> None:
    text = (HEADER + line(district) + line(district, 1, signed="2027-01-05")
            + line(district, 2).replace("2026-08-14", "2025-08-14"))
    before = stored(app)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, text, TODAY, dry_run=False)
    assert [(e["line"], e["field"]) for e in error.value.errors] == [
        (3, "principal_signed_on"), (4, "coach_signed_on")]
    assert stored(app) == before


def test_a_second_line_for_one_coach_school_and_year_is_refused(
        app: Agreements, district: District) -> None:
    text = HEADER + line(district) + line(district, 1) + line(district, signed="2026-08-21")
    before = stored(app)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, text, TODAY, dry_run=False)
    assert error.value.errors == [{
        "line": 4, "field": "coach_id",
        "reason": "the same coach, school and year as line 2: one agreement each"}]
    assert stored(app) == before


def test_only_district_it_imports_history(app: Agreements, district: District) -> None:
    with pytest.raises(Forbidden):
        app.import_history(coach(district), HEADER + line(district), TODAY, dry_run=True)


def test_an_agreement_entered_live_is_not_imported_over(app: Agreements,
                                                        district: District) -> None:
    school = roster_id(school_of(district))
    app.draft_coaching_agreement(coach(district), school, 2026, terms(), TODAY)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, HEADER + line(district), TODAY, dry_run=False)
    assert [(e["line"], e["field"]) for e in error.value.errors] == [(2, "coach_id")]

