"""What a time entry is checked against (the category list, the coach's assignments) is
kept between commands, yet a command always decides on what is stored when it runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from coachops.errors import Invalid
from coachops.read_cache import ReadCache
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CATEGORY_LIST_ID, CategoryList, assignments_id
from tests.unit.timetracking.helpers import AS_COACH, COACH, LEADER, MONDAY, SCHOOL, TODAY, values


def test_an_unchanged_list_is_not_loaded_again(app: TimeTracking) -> None:
    assert app.category_list() is app.category_list()


def behind_the_cache(app: TimeTracking, aggregate_id: uuid.UUID,
                     change: Callable[[Any], object]) -> None:
    """A change saved as another process would save it: this one's cache never sees it."""
    aggregate = app.repository.get(aggregate_id)
    change(aggregate)
    app.save(aggregate)


def test_a_category_retired_after_it_was_cached_is_refused(app: TimeTracking) -> None:
    app.record_entry(AS_COACH, COACH, values(category_id="modelling"), TODAY)  # cached now
    behind_the_cache(app, CATEGORY_LIST_ID, lambda c: c.retire(LEADER, "modelling"))
    with pytest.raises(Invalid, match="retired"):
        app.record_entry(AS_COACH, COACH, values(category_id="modelling", start="11:00",
                                                 end="12:00"), TODAY)


def test_a_change_never_alters_the_list_other_workers_are_reading(app: TimeTracking) -> None:
    before = app.category_list()
    app.rename_category(LEADER, "modelling", "Demonstration lessons")
    assert before.categories["modelling"].label == "Modelling"
    after = app.category_list()
    assert after.categories["modelling"].label == "Demonstration lessons"
    assert after.version == before.version + 1
    assert app.category_list() is after  # the newer one is kept


def test_a_coach_unassigned_after_the_assignments_were_cached_is_refused(
        app: TimeTracking) -> None:
    app.learn_assignment(COACH, SCHOOL, date(2026, 8, 1), assigned=True)
    app.record_entry(AS_COACH, COACH, values(), TODAY)  # cached now
    behind_the_cache(app, assignments_id(COACH),
                     lambda a: a.learn(SCHOOL, MONDAY, assigned=False))
    with pytest.raises(Invalid, match="does not assign"):
        app.record_entry(AS_COACH, COACH, values(start="11:00", end="12:00"), TODAY)
    # and learning through this process (each change on a copy of its own) is seen too
    assert app.learn_assignment(COACH, SCHOOL, MONDAY + timedelta(days=1), assigned=True)
    app.record_entry(AS_COACH, COACH, values(worked_on=MONDAY + timedelta(days=1)), TODAY)


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used(
        app: TimeTracking) -> None:
    cache = ReadCache(app.repository, maxsize=2)
    coaches = [uuid.uuid4() for _ in range(2)]
    for coach in coaches:
        app.learn_assignment(coach, SCHOOL, date(2026, 8, 1), assigned=True)
    app.category_list()
    assert isinstance(cache.get(CATEGORY_LIST_ID), CategoryList)
    for coach in coaches:
        cache.get(assignments_id(coach))
    assert list(cache.kept) == [assignments_id(c) for c in coaches]
