"""District IT's import of the time kept before coachops: the coach's rules, recorded by
IT and marked imported, a dry run that records nothing, and a file seen twice recorded once."""

from __future__ import annotations

import uuid

import pytest

from coachops.errors import Forbidden, Rejected
from coachops.identity import Actor, Role
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CoachDay
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY

IT = Actor(uuid.uuid4(), Role.IT_ADMIN)

HISTORY = f"""coach_id,date,start,end,minutes,category,school_id
{COACH},{MONDAY},8:00,9:15,,Co-planning,{SCHOOL}
{COACH},{MONDAY},,,30,Tech support,{SCHOOL}
{COACH},{MONDAY},,,30,Tech support,{SCHOOL}
"""


@pytest.fixture
def app(time_app: TimeTracking) -> TimeTracking:
    time_app.category_list()
    return time_app


def stored(app: TimeTracking) -> int:
    return app.recorder.max_notification_id() or 0


def test_history_is_recorded_by_district_it_and_marked_imported(app: TimeTracking) -> None:
    plan = app.import_history(IT, HISTORY, TODAY, dry_run=False)
    assert (len(plan.locations), plan.already) == (3, 0)
    day = app.coach_day(AS_COACH, COACH, MONDAY)
    assert [e.values.minutes for e in day.live()] == [75, 30, 30]
    recorded = [e for e in app.repository.event_store.get(day.id)
                if isinstance(e, CoachDay.EntryRecorded)]
    assert {(e.actor, e.source) for e in recorded} == {(IT, "imported")}
    assert [e.history[0].action for e in day.live()] == ["imported"] * 3  # what the coach sees


def test_a_dry_run_records_nothing(app: TimeTracking) -> None:
    before = stored(app)
    plan = app.import_history(IT, HISTORY, TODAY, dry_run=True)
    assert len(plan.locations) == 3
    assert stored(app) == before
    assert app.coach_day(AS_COACH, COACH, MONDAY).live() == []


def test_the_same_file_twice_records_nothing_twice(app: TimeTracking) -> None:
    app.import_history(IT, HISTORY, TODAY, dry_run=False)
    before = stored(app)
    again = app.import_history(IT, HISTORY, TODAY, dry_run=False)
    assert (len(again.locations), again.already) == (0, 3)
    assert stored(app) == before
    assert len(app.coach_day(AS_COACH, COACH, MONDAY).live()) == 3


def test_a_refused_line_names_its_line_and_column(app: TimeTracking) -> None:
    other = uuid.uuid4()
    text = HISTORY + (f"{COACH},{MONDAY},9:00,10:00,,Co-planning,{SCHOOL}\n"
                      f"{COACH},{MONDAY},,,30,Co-planning,{other}\n"
                      f"not-a-coach,{MONDAY},,,30,Co-planning,{SCHOOL}\n")
    before = stored(app)
    with pytest.raises(Rejected) as error:
        app.import_history(IT, text, TODAY, dry_run=False)
    assert stored(app) == before
    assert [(e["line"], e["field"]) for e in error.value.errors] == [
        (5, "start"), (6, "school_id"), (7, "coach_id")]
    assert "overlaps line 2" in error.value.errors[0]["reason"]


def test_only_district_it_imports_history(app: TimeTracking) -> None:
    with pytest.raises(Forbidden):
        app.import_history(AS_COACH, HISTORY, TODAY, dry_run=True)
