"""CSV import of a coach's spreadsheet: all or nothing, with a line-numbered report."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest

from coachops import csv_rows
from coachops.errors import Forbidden, Rejected
from coachops.identity import Actor, Role
from services.timetracking import csv_import
from services.timetracking.app import TimeTracking
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, SCHOOL, TODAY, values

OTHER_SCHOOL = uuid.uuid4()

GOOD = f"""Date,Start,End,Minutes,Category,School_ID,Note
2026-10-05,8:00,9:15,,Co-planning,,"planned the fractions unit"
2026-10-05,9:15 AM,10:00 AM,,covering-classes,,
10/5/2026,1:00 PM,2:30 PM,,Group coaching / PLC,{OTHER_SCHOOL},
2026-10-06,,,30,Tech support,,
2026-10-06,,,45,Tech support,,"two separate, equal entries"
2026-10-06,,,45,Tech support,,"two separate, equal entries"
"""


@pytest.fixture
def app(time_app: TimeTracking) -> TimeTracking:
    time_app.category_list()
    time_app.learn_assignment(COACH, OTHER_SCHOOL, MONDAY, assigned=True)
    return time_app


def stored(app: TimeTracking) -> int:
    return app.recorder.max_notification_id() or 0


def import_csv(app: TimeTracking, text: str, school: uuid.UUID | None = SCHOOL) -> list[uuid.UUID]:
    return app.import_entries(AS_COACH, COACH, text, school, TODAY)


def rejected(app: TimeTracking, text: str, school: uuid.UUID | None = SCHOOL,
             ) -> list[tuple[int | None, str | None, str]]:
    before = stored(app)
    with pytest.raises(Rejected) as error:
        import_csv(app, text, school)
    assert stored(app) == before, "a broken file saved something"
    assert error.value.message.startswith("nothing was imported")
    return [(e["line"], e["field"], e["reason"]) for e in error.value.errors]


def test_a_good_file_is_imported_whole(app: TimeTracking) -> None:
    entry_ids = import_csv(app, GOOD)
    assert len(entry_ids) == 6
    monday = app.coach_day(AS_COACH, COACH, MONDAY).live()
    assert [(e.values.start, e.values.end, e.values.category_id, e.values.school_id)
            for e in monday] == [
        (time(8), time(9, 15), "co-planning", SCHOOL),
        (time(9, 15), time(10), "covering-classes", SCHOOL),
        (time(13), time(14, 30), "group-coaching", OTHER_SCHOOL),
    ]
    assert monday[0].values.note == "planned the fractions unit"
    tuesday = app.coach_day(AS_COACH, COACH, date(2026, 10, 6)).live()
    assert [e.values.minutes for e in tuesday] == [30, 45, 45]
    assert {app.repository.get(e).coach_id for e in entry_ids} == {COACH}


def test_the_whole_file_is_saved_in_one_transaction(app: TimeTracking) -> None:
    before = app.recorder.max_notification_id()
    import_csv(app, GOOD)
    # Two days opened, six entries, six locations: one recording, contiguous positions.
    notifications = app.recorder.select_notifications(start=before, limit=100,
                                                      inclusive_of_start=False)
    assert len(notifications) == 2 + 6 + 6


def test_a_broken_file_reports_every_problem_by_line_and_imports_nothing(
    app: TimeTracking,
) -> None:
    text = """date,start,end,minutes,category
2026-10-05,09:00,10:00,,co-planning
2026-13-05,09:00,10:00,,co-planning

2026-10-05,11:00,10:00,,co-planning
2026-10-05,09:30,09:45,,modelling
2026-10-05,,,0,modelling
2026-10-05,12:00,13:00,,bulletin boards
2099-01-01,,,30,duties
2026-10-05,12:00,13:00,45,duties
2026-10-05,noon,13:00,,duties
2026-10-05,14:00,15:00,,admin-tasks
"""
    assert rejected(app, text) == [
        (3, "date", "'2026-13-05' is not a date: write 2026-10-05 or 10/5/2026"),
        (5, "end", "the end (10:00) is before the start (11:00)"),
        (6, "start", "overlaps line 2 (09:00-10:00, co-planning)"),
        (7, "minutes", "the length must be more than zero minutes, not 0"),
        (8, "category", "there is no category 'bulletin boards'"),
        (9, "date", "2099-01-01 is after today (2026-10-07): log time once it is spent"),
        (10, "minutes", "give start and end, or minutes, not both"),
        (11, "start", "'noon' is not a time: write 14:30 or 2:30 PM"),
    ]
    assert app.coach_day(AS_COACH, COACH, MONDAY).entries == {}


def test_an_overlap_with_a_stored_entry_names_that_entry(app: TimeTracking) -> None:
    stored_id = app.record_entry(AS_COACH, COACH, values("09:00", "10:00"), TODAY).result
    text = "date,start,end,category\n2026-10-05,9:30,10:30,co-planning\n"
    [(line, field, reason)] = rejected(app, text)
    assert (line, field) == (2, "start")
    assert reason == f"overlaps entry {stored_id} (09:00-10:00, co-planning)"


def test_more_than_24_hours_in_a_day_across_the_file(app: TimeTracking) -> None:
    text = "date,minutes,category\n2026-10-05,720,duties\n2026-10-05,720,duties\n" \
           "2026-10-05,1,duties\n2026-10-06,1,duties\n"
    assert rejected(app, text) == [
        (4, "minutes", "that makes 24 h 01 min logged on 2026-10-05; a day has 24 hours"),
    ]


def test_a_retired_category_is_refused_by_label_too(app: TimeTracking) -> None:
    leader = Actor(uuid.uuid4(), Role.DISTRICT_LEADER)
    app.retire_category(leader, "duties")
    text = "date,minutes,category\n2026-10-05,30,Duties (bus, lunch, recess)\n"
    [(line, field, reason)] = rejected(app, text.replace("Duties (bus, lunch, recess)",
                                                         '"Duties (bus, lunch, recess)"'))
    assert (line, field) == (2, "category")
    assert "is retired" in reason


def test_the_same_file_imported_twice_is_refused(app: TimeTracking) -> None:
    import_csv(app, GOOD)
    problems = rejected(app, GOOD)
    assert [line for line, _, _ in problems] == [2, 3, 4, 5, 6, 7]
    assert all("already recorded" in reason and "imported before" in reason
               for _, _, reason in problems)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", [(1, None, "the file is empty: it needs a header row and entries")]),
        ("\n\ndate,minutes,category\n", [(3, None, "the file has a header but no entries")]),
        ("date,minutes,category,comments\n2026-10-05,30,duties,x\n",
         [(1, "comments", "unknown column 'comments'; the columns are date, start, end, "
                          "minutes, category, school_id, cycle_id, focus_area_id, note")]),
        ("date,minutes\n2026-10-05,30\n", [(1, "category", "the column 'category' is missing")]),
        ("date,start,category\n", [(1, "minutes", "give columns start and end, or minutes")]),
        ("date,minutes,category,minutes\n",
         [(1, "minutes", "the column 'minutes' appears twice")]),
        ("date,minutes,category\n2026-10-05,30,duties,oops\n",
         [(2, None, "more cells than the 3 columns")]),
    ],
)
def test_a_file_that_cannot_be_read_says_why(
    app: TimeTracking, text: str, problems: list[tuple[int | None, str | None, str]]
) -> None:
    assert rejected(app, text) == problems


def test_line_numbers_count_blank_lines_and_notes_over_several_lines(app: TimeTracking) -> None:
    text = ('\ufeffdate,minutes,category,note\n'
            '2026-10-05,30,duties,"first line\nsecond line"\n'
            '\n'
            '2026-10-05,abc,duties,\n')
    assert rejected(app, text) == [(5, "minutes", "Not a valid integer.")]


def test_a_row_needs_a_school(app: TimeTracking) -> None:
    text = "date,minutes,category\n2026-10-05,30,duties\n"
    [(line, field, _)] = rejected(app, text, school=None)
    assert (line, field) == (2, "school_id")
    text = f"date,minutes,category,school_id\n2026-10-05,30,duties,{SCHOOL}\n"
    assert len(import_csv(app, text, school=None)) == 1


def test_trailing_empty_columns_of_a_spreadsheet_are_ignored(app: TimeTracking) -> None:
    text = "date,minutes,category,,\n2026-10-05,30,duties,,\n"
    assert len(import_csv(app, text)) == 1


def test_only_the_coach_imports_their_time(app: TimeTracking) -> None:
    with pytest.raises(Forbidden):
        app.import_entries(Actor(uuid.uuid4(), Role.COACH), COACH, GOOD, SCHOOL, TODAY)


def test_the_report_is_capped(app: TimeTracking) -> None:
    text = "date,minutes,category\n" + "2026-10-05,0,duties\n" * 250
    problems = rejected(app, text)
    assert len(problems) == csv_rows.MAX_ERRORS + 1
    assert problems[-1] == (None, None, "50 more problems not shown")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("9:05", time(9, 5)), ("09:05", time(9, 5)), ("14:30", time(14, 30)),
     ("2:30 PM", time(14, 30)), ("12:15 am", time(0, 15)), ("12:00pm", time(12)),
     ("9:00:00", time(9))],
)
def test_spreadsheet_times(cell: str, expected: time) -> None:
    assert csv_import.SheetTime().deserialize(cell) == expected


@pytest.mark.parametrize("cell", ["13:00 PM", "25:00", "9", "9:5", "noon"])
def test_not_times(cell: str) -> None:
    with pytest.raises(Exception, match="is not a time"):
        csv_import.SheetTime().deserialize(cell)


def test_the_refusal_crosses_rpc_with_numbers_and_nulls_intact() -> None:
    """nameko stringifies error args; the report must still arrive as it was sent."""
    from nameko.exceptions import deserialize, serialize

    sent = Rejected("nothing was imported", name="ImportRejected", errors=[
        {"line": 2, "field": "minutes", "reason": "r"}, {"line": None, "field": None,
                                                         "reason": "3 more"}])
    received = deserialize(serialize(sent))
    assert isinstance(received, Rejected)
    assert received.errors == sent.errors
    assert received.to_dict() == {"error": "ImportRejected", "message": "nothing was imported",
                                  "field": None, "errors": sent.errors}
