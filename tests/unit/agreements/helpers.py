"""Builders shared by the agreements unit tests: a small district, imported in memory."""

from __future__ import annotations

from datetime import date

from coachops.identity import Actor, Role
from services.agreements.app import Agreements
from services.agreements.domain import CoachingAgreement, Terms
from services.agreements.roster import roster_id
from tests.support.district import District

IT = Actor(roster_id("it-admin"), Role.IT_ADMIN)
START = date(2026, 8, 1)
TODAY = date(2026, 9, 15)
DANIELSON_2A = {"id": "danielson-2a",
                "label": "2a: Creating an Environment of Respect & Rapport"}
READING_GOAL = {"id": "goal-reading", "label": "Grade 3 reading proficiency to 70%"}


def small_district() -> District:
    return District.generate(schools=8, regions=2, coaches=6, teachers=40)


def app_with(district: District) -> Agreements:
    app = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.import_roster(IT, district.files(), START)
    return app


def coach(district: District, n: int = 0) -> Actor:
    return Actor(roster_id(list(district.coaching)[n]), Role.COACH)


def school_of(district: District, coach_n: int = 0) -> str:
    return list(district.coaching.values())[coach_n][0]


def principal(district: District, school: str) -> Actor:
    return Actor(roster_id(district.principals[school]), Role.PRINCIPAL)


def terms(*areas: dict[str, str], weeks: int = 13) -> Terms:
    return Terms.of(list(areas or [DANIELSON_2A]), "Co-plan and model reading lessons",
                    "Evaluating teachers; covering classes", weeks)


def signed_by_both(app: Agreements, district: District) -> CoachingAgreement:
    """The first coach's agreement with their school, drafted and signed by both today."""
    school = school_of(district)
    agreement = app.draft_coaching_agreement(coach(district), roster_id(school), 2026,
                                             terms(), TODAY).result
    app.sign_coaching_agreement(coach(district), agreement.id, 1, TODAY)
    return app.sign_coaching_agreement(principal(district, school), agreement.id, 1,
                                       TODAY).result
