"""A coach's offline batch on PostgreSQL reads every entry location and day its items name
in one statement, and checks them in one more before its save; its answers and what it
stores are those of items that each read for themselves (the scenario of
``tests/unit/sync/test_time_read_ahead.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from coachops.store.admin import drop_database, ensure_role_and_database
from services.timetracking.app import TimeTracking
from services.timetracking.domain import day_id
from tests.support.platform import ADMIN_URL, database_name
from tests.unit.conftest import coach_on_the_roster
from tests.unit.sync.test_time_read_ahead import (
    NEW,
    STORED,
    WEDNESDAY,
    per_item,
    scenario,
    sync,
)
from tests.unit.timetracking.helpers import COACH, MONDAY

NAMES = [database_name("timetracking_ahead"), database_name("timetracking_alone")]


@pytest.fixture
def apps() -> Iterator[tuple[TimeTracking, TimeTracking]]:
    made = []
    for name in NAMES:
        drop_database(ADMIN_URL, name)
        ensure_role_and_database(ADMIN_URL, name, name)
        made.append(coach_on_the_roster(TimeTracking(env={
            "DATABASE_URL": f"postgresql://{name}@127.0.0.1:5432/{name}",
            "POSTGRES_POOL_SIZE": "2"})))
    yield made[0], made[1]
    for app in made:
        app.close()
    for name in NAMES:
        drop_database(ADMIN_URL, name)


def test_a_batch_reads_ahead_in_one_statement_and_answers_as_items_reading_each(
        apps: tuple[TimeTracking, TimeTracking]) -> None:
    ahead, alone = apps
    recorder: Any = ahead.recorder
    one_by_one: list[list[uuid.UUID]] = []  # the aggregates read one at a time, by batch
    in_one: list[list[int]] = []  # how many aggregates each one-statement read named
    select_events, select_events_after = recorder.select_events, recorder.select_events_after

    def one(originator_id: Any, **kwargs: Any) -> Any:
        if one_by_one:
            one_by_one[-1].append(uuid.UUID(str(originator_id)))
        return select_events(originator_id, **kwargs)

    def many(after: Any) -> Any:
        if in_one:
            in_one[-1].append(len(after))
        return select_events_after(after)

    recorder.select_events, recorder.select_events_after = one, many

    def sending(n: int) -> None:
        one_by_one.append([])
        in_one.append([])

    answers, events = scenario(ahead, sync, sending)
    assert (answers, events) == scenario(alone, per_item)

    # Each batch: one read ahead of the 9 entries and 3 days its items name (an item
    # naming another coach's is read too, and refused), the 2 coaches' assignments and the
    # category list; then one check, before the save, of what the items read and did not
    # change. One at a time: only the day an entry moved to, which no item named.
    assert [len(reads) for reads in in_one] == [2, 2, 2]
    assert [reads[0] for reads in in_one] == [15, 15, 15]
    entries_and_days = {*STORED, NEW, *(day_id(COACH, MONDAY + timedelta(days=n))
                                       for n in range(3))}
    assert [[i for i in reads if i in entries_and_days] for reads in one_by_one] == [
        [day_id(COACH, WEDNESDAY)]] * 3
