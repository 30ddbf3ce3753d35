"""Two time-tracking processes on one PostgreSQL store (as when the service is scaled out):
what one keeps between commands (the repository's cache) never lets an entry past a rule
the other just changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, time, timedelta

import pytest

from coachops.errors import Invalid
from coachops.identity import Actor, Role
from coachops.store.admin import drop_database, ensure_role_and_database
from services.timetracking.app import TimeTracking
from services.timetracking.domain import EntryValues
from tests.support.platform import ADMIN_URL, database_name

NAME = database_name("timetracking_cache")
URL = f"postgresql://{NAME}@127.0.0.1:5432/{NAME}"
COACH = uuid.uuid4()
AS_COACH = Actor(COACH, Role.COACH)
LEADER = Actor(uuid.uuid4(), Role.DISTRICT_LEADER)
SCHOOL = uuid.uuid4()
MONDAY = date(2026, 10, 5)
TODAY = MONDAY + timedelta(days=2)


@pytest.fixture
def two() -> Iterator[tuple[TimeTracking, TimeTracking]]:
    drop_database(ADMIN_URL, NAME)
    ensure_role_and_database(ADMIN_URL, NAME, NAME)
    env = {"DATABASE_URL": URL, "POSTGRES_POOL_SIZE": "2"}
    first, second = TimeTracking(env=env), TimeTracking(env=env)
    yield first, second
    first.close()
    second.close()
    drop_database(ADMIN_URL, NAME)


def entry(hour: int, category_id: str = "modelling") -> EntryValues:
    return EntryValues.of(school_id=SCHOOL, worked_on=MONDAY, category_id=category_id,
                          start=time(hour), end=time(hour, 30))


def test_a_category_retired_by_another_process_is_refused_at_once(
        two: tuple[TimeTracking, TimeTracking]) -> None:
    first, second = two
    first.learn_assignment(COACH, SCHOOL, date(2026, 8, 1), assigned=True)
    first.record_entry(AS_COACH, COACH, entry(8), TODAY)  # the list is cached in `first`
    second.retire_category(LEADER, "modelling")
    with pytest.raises(Invalid, match="retired"):
        first.record_entry(AS_COACH, COACH, entry(9), TODAY)
    first.record_entry(AS_COACH, COACH, entry(9, "co-planning"), TODAY)


def test_an_assignment_ended_by_another_process_is_refused_at_once(
        two: tuple[TimeTracking, TimeTracking]) -> None:
    first, second = two
    first.learn_assignment(COACH, SCHOOL, date(2026, 8, 1), assigned=True)
    first.record_entry(AS_COACH, COACH, entry(8), TODAY)  # the assignments are cached
    second.learn_assignment(COACH, SCHOOL, MONDAY, assigned=False)
    with pytest.raises(Invalid, match="does not assign"):
        first.record_entry(AS_COACH, COACH, entry(9), TODAY)
    # and a change made through the process holding the cache is seen by it as well
    first.learn_assignment(COACH, SCHOOL, MONDAY, assigned=True)
    first.record_entry(AS_COACH, COACH, entry(9), TODAY)
