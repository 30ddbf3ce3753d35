"""Fixtures of the unit tests: each service's application on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from services.cycles.app import Cycles
from services.timetracking.app import TimeTracking

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
ROSTER_FROM = date(2020, 8, 1)  # before every date the tests use
TIME_ROSTER_EVENTS = 2  # what coach_on_the_roster stores: the assignments opened, learned


def on_the_roster(application: Cycles) -> Cycles:
    """The roster's word, as the bus brings it: the cycles helpers' coach and teachers
    at their SCHOOL."""
    from tests.unit.cycles import helpers

    application.learn_roster_fact(helpers.COACH, helpers.SCHOOL, "coach", ROSTER_FROM, True)
    for teacher in (helpers.TEACHER, helpers.SECOND_TEACHER):
        application.learn_roster_fact(teacher, helpers.SCHOOL, "teacher", ROSTER_FROM, True)
    return application


def coach_on_the_roster(application: TimeTracking) -> TimeTracking:
    """The time-tracking helpers' coach assigned to their SCHOOL."""
    from tests.unit.timetracking import helpers

    application.learn_assignment(helpers.COACH, helpers.SCHOOL, ROSTER_FROM, assigned=True)
    return application


@pytest.fixture
def cycles_app() -> Iterator[Cycles]:
    application = on_the_roster(Cycles(env=IN_MEMORY))
    yield application
    application.close()


@pytest.fixture
def time_app() -> Iterator[TimeTracking]:
    application = coach_on_the_roster(TimeTracking(env=IN_MEMORY))
    yield application
    application.close()
