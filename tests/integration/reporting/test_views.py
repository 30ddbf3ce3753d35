"""The reporting views against a known history, fed to the real service as the sources
would publish it. Every number is checked against the story's own arithmetic
(``world.Story.expected_*``), never against the code under test."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import timedelta
from typing import Any

import psycopg2
import pytest

from services.reporting import received, schema
from tests.integration.reporting import disclosure
from tests.integration.reporting.client import (
    cast,
    feed,
    publish,
    report,
    reporting_url,
    rows_by_key,
    wait_received,
)
from tests.integration.reporting.world import Story, World
from tests.support.auth import bearer
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def told(year: int) -> Story:
    """A story in its own school year. Tests go back in time, one year each, and stay
    before the years the other tests' real events fall in: a cycle still open at the end
    of a story's year is rightly counted as active in every later year, so a later story
    would see it."""
    return Story(World(year)).tell()


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def unnamed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("name", "school_name")}


def check_names(platform: Platform, story: Story) -> None:
    """Each row names what it is about, as the roster last called it; a forgotten person
    is named nowhere, and what a report covers is named too."""
    body = report(platform, "plan-alignment", school_year=story.world.year)
    rows = rows_by_key(body)
    assert body["scope"] == {"level": "district", "key": "district"}
    assert rows[("region", str(story.r1))]["name"] == "North CLT"
    assert rows[("school", str(story.s1))]["name"] == "S"
    pair = rows[("coach_school", f"{story.c1}/{story.s1}")]
    assert (pair["name"], pair["school_name"]) == ("Ada Brook-Evans", "S")
    flag = rows[("flag_no_agreement", f"{story.c2}/{story.s3}")]
    assert (flag["name"], flag["school_name"]) == ("Bo Chen", "S")
    assert "Fay Gone" not in str(body)
    coach = report(platform, "time-use", school_year=story.world.year, coach_id=str(story.c2))
    assert coach["scope"] == {"level": "coach", "key": str(story.c2), "name": "Bo Chen"}


def check_time_use(platform: Platform, story: Story) -> None:
    body = report(platform, "time-use", school_year=story.world.year)
    rows = rows_by_key(body)
    expected = story.expected_time_use()
    assert set(rows) == set(expected)
    for key, cell in expected.items():
        row = rows[key]
        assert row["minutes"] == cell["minutes"], key
        assert row["coaching_minutes"] == cell["coaching_minutes"], key
        assert row["coaching_share"] == share(cell["coaching_minutes"], cell["minutes"]), key
        assert row["minutes_by_category"] == dict(cell["by"]), key
        if key[0] == "coach":
            assert row["below_target"] == (cell["coaching_minutes"] / cell["minutes"] < 0.4)
    # The story's own headline figures, by hand: the correction and the void count.
    assert rows[("coach", str(story.c1))]["minutes"] == 60 + 30 + 45 + 120 + 50 + 60 + 80 + 100
    assert rows[("coach", str(story.c2))]["below_target"] is True
    assert rows[("coach", str(story.c1))]["below_target"] is False
    # The move: C1's time after Jan 15 is S2's, in the same region.
    assert rows[("school", str(story.s2))]["minutes"] == 60 + 80 + 100


def check_alignment(platform: Platform, story: Story) -> None:
    body = report(platform, "plan-alignment", school_year=story.world.year)
    rows = rows_by_key(body)
    expected = story.expected_alignment()
    for key, cell in expected.items():
        row = rows[key]
        assert row["coaching_minutes"] == cell["coaching"], key
        assert row["aligned_minutes"] == cell["aligned"], key
        assert row["aligned_time_share"] == share(cell["aligned"], cell["coaching"]), key
        if cell["cycles"] and len(cell["teachers"]) < 3:
            assert row["cycles"] == {"suppressed": True}, key
            assert row["aligned_cycles"] == {"suppressed": True}, key
        elif row["cycles"] != {"suppressed": True}:  # else suppressed beside a small cell
            assert row["cycles"] == len(cell["cycles"]), key
            assert row["aligned_cycles"] == len(cell["aligned_cycles"]), key
    cycles = {key: len(cell["cycles"]) for key, cell in expected.items()}
    assert disclosure.worked_out(rows, story_groups(story, months=True),
                                 disclosure.alignment_cycles, cycles, False) == []
    assert rows[("district", "district")]["cycles"] == 5
    # Flags are district-wide; this story's are those of its own coaches.
    flags = {key: row for key, row in rows.items() if key[0].startswith("flag_")
             and row["coach_id"] in (str(story.c1), str(story.c2))}
    assert set(flags) == {
        ("flag_no_agreement", f"{story.c2}/{story.s3}"),
        ("flag_check_in_overdue", str(story.a1)),
        ("flag_check_in_overdue", str(story.a2)),
    }
    assert flags[("flag_check_in_overdue", str(story.a1))]["due_on"] == \
        story.world.d(12, 15).isoformat()
    # A2 in force from Jan 20, no check-in, every 6 weeks: due 42 days later.
    assert flags[("flag_check_in_overdue", str(story.a2))]["due_on"] == \
        (story.world.d(1, 20) + timedelta(days=42)).isoformat()
    # By hand: C1-S1 coaching 60 (fa-1, v1: yes) + 45 (fa-2, v1: no) + 120 (fa-2, v2: yes)
    # + 50 (fa-1, v2: no); the revision in force from Nov 1 decides the last two.
    pair = rows[("coach_school", f"{story.c1}/{story.s1}")]
    assert (pair["coaching_minutes"], pair["aligned_minutes"]) == (275, 180)


def check_cycles(platform: Platform, story: Story) -> None:
    body = report(platform, "cycle-activity", school_year=story.world.year)
    rows = rows_by_key(body)
    expected = story.expected_cycles()
    assert set(rows) == set(expected)
    for key, cell in expected.items():
        row = rows[key]
        if len(cell["teachers"]) < 3 or disclosure.suppressed(row):  # small, or beside one
            assert unnamed(row) == {"level": key[0], "key": key[1], "suppressed": True}
            continue
        assert row["teachers_coached"] == len(cell["teachers"]), key
        assert row["started"] == cell["started"], key
        assert row["closed"] == cell["closed"], key
        assert row["active_by_phase"] == dict(cell["phase"]), key
        assert row["closed_by_outcome"] == dict(cell["outcome"]), key
        assert row["next_step_completion"] == share(cell["complete"], cell["total"]), key
    # Small cells: S2 and S3 each have one coached teacher, so does region R2.
    for key in (("school", str(story.s2)), ("school", str(story.s3)),
                ("region", str(story.r2))):
        assert unnamed(rows[key]) == {"level": key[0], "key": key[1], "suppressed": True}
    # R2 alone beside R1 would be the district less R1: R1 (or another region, when
    # another test's cycles are in this year too) is suppressed with it.
    assert sum(disclosure.suppressed(row) for (level, _), row in rows.items()
               if level == "region") >= 2
    assert rows[("district", "district")]["teachers_coached"] == 5
    teachers = {key: len(cell["teachers"]) for key, cell in expected.items()}
    started = {key: cell["started"] for key, cell in expected.items()}
    groups = story_groups(story)
    assert disclosure.worked_out(rows, groups, disclosure.activity_teachers, teachers, True) == []
    assert disclosure.worked_out(rows, groups, disclosure.activity_started, started, False) == []


Groups = list[tuple[disclosure.Key, list[disclosure.Key]]]


def story_groups(story: Story, months: bool = False) -> Groups:
    """Each total a report of the story shows beside its parts (coach-school pairs and
    months in plan alignment)."""
    district = ("district", "district")
    groups = [(district, [("region", str(story.r1)), ("region", str(story.r2))]),
              (("region", str(story.r1)), [("school", str(story.s1)),
                                           ("school", str(story.s2))]),
              (("region", str(story.r2)), [("school", str(story.s3))])]
    if months:
        pairs = {(c["coach"], c["school"]) for c in story.cycles.values()}
        groups += [(("school", str(school)), [("coach_school", f"{coach}/{school}")])
                   for coach, school in pairs]
        groups.append((district, [("month", m) for m in sorted(
            {c["started_on"].strftime("%Y-%m") for c in story.cycles.values()})]))
    return groups


def test_every_view_matches_the_story(platform: Platform) -> None:
    story = told(2020)
    feed(story.world)
    check_time_use(platform, story)
    check_alignment(platform, story)
    check_cycles(platform, story)
    check_names(platform, story)


def test_every_event_delivered_twice_in_any_order_gives_the_same_numbers(
    platform: Platform,
) -> None:
    story = told(2019)
    twice = story.world.events * 2
    random.Random(6).shuffle(twice)
    feed(story.world, twice)
    check_time_use(platform, story)
    check_alignment(platform, story)
    check_cycles(platform, story)
    check_names(platform, story)


def test_as_of_a_past_date_uses_what_was_recorded_by_then(platform: Platform) -> None:
    story = told(2018)
    feed(story.world)
    october = story.world.d(10, 1).strftime("%Y-%m")
    c1 = ("coach", str(story.c1))
    before = rows_by_key(report(platform, "time-use", month=october,
                                as_of=story.world.d(10, 10).isoformat()))
    after = rows_by_key(report(platform, "time-use", month=october,
                               as_of=story.world.d(10, 25).isoformat()))
    assert before[c1]["minutes"] == 90  # the entry as first recorded
    assert after[c1]["minutes"] == 45  # its correction, recorded on the 20th
    assert before[("month", october)]["minutes"] == 90

    november = story.world.d(11, 1).strftime("%Y-%m")
    pair = ("coach_school", f"{story.c1}/{story.s1}")
    for known_on in (story.world.d(11, 10), story.world.d(11, 30)):
        rows = rows_by_key(report(platform, "plan-alignment", month=november,
                                  as_of=known_on.isoformat()))
        cell = story.expected_alignment(known_on, month=november)[pair]
        assert rows[pair]["coaching_minutes"] == cell["coaching"]
        assert rows[pair]["aligned_minutes"] == cell["aligned"]
    # By hand: on the 10th the revision (signed the 20th) was not known, so the Nov 7 entry
    # on fa-2 was held to v1 (fa-1): not aligned; by the 30th, v2 is in force from Nov 1.
    assert story.expected_alignment(story.world.d(11, 10), month=november)[pair]["aligned"] == 0
    assert story.expected_alignment(story.world.d(11, 30), month=november)[pair]["aligned"] == 120


def test_a_rebuild_from_the_received_events_gives_identical_reports(
    platform: Platform,
) -> None:
    story = told(2017)
    feed(story.world)
    views = ("time-use", "plan-alignment", "cycle-activity", "council")
    before = {view: report(platform, view, school_year=2017) for view in views}
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        for table in schema.DERIVED:
            cursor.execute(f"DELETE FROM {table}")  # the projection is gone
        # Whatever writes the read models says so, or cached reports of them are served.
        schema.read_model_changed(cursor)
    assert report(platform, "time-use", school_year=2017)["rows"] == []

    result = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url", reporting_url()],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "events/s" in result.stdout and "rebuild complete" in result.stdout
    after = {view: report(platform, view, school_year=2017) for view in views}
    assert after == before
    check_time_use(platform, story)


def test_an_event_missing_on_the_bus_is_detected_as_a_gap_until_it_arrives(
    platform: Platform,
) -> None:
    story = told(2016)
    dropped = next(e for e in story.world.events
                   if e.event_type == "TimeEntryRecorded" and e.body["payload"]["minutes"] == 120)
    rest = [e for e in story.world.events if e is not dropped]
    feed(story.world, rest)

    def gaps() -> list[dict[str, Any]]:
        with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
            return received.gaps(cursor)

    assert {"source": "timetracking", "position": dropped.position} in gaps()
    c1 = ("coach", str(story.c1))
    short = rows_by_key(report(platform, "time-use", school_year=2016))[c1]["minutes"]
    publish([dropped])
    wait_received([dropped])
    assert {"source": "timetracking", "position": dropped.position} not in gaps()
    assert rows_by_key(report(platform, "time-use", school_year=2016))[c1]["minutes"] == \
        short + 120
    check_time_use(platform, story)


def test_each_role_sees_its_own_scope_and_nothing_else(platform: Platform) -> None:
    story = cast(platform, 2015)
    feed(story.world)
    year = {"school_year": 2015}
    rep = bearer(story.rep1, "clt_rep")
    body = report(platform, "time-use", headers=rep, **year)
    regions = {row["key"] for row in body["rows"] if row["level"] == "region"}
    assert regions == {str(story.r1)}  # defaults to the rep's own region
    report(platform, "time-use", headers=rep, status=403, region_id=str(story.r2), **year)
    council = report(platform, "council", headers=rep, **year)
    side_by_side = rows_by_key(council)
    assert {("region", str(story.r1)), ("region", str(story.r2))} <= set(side_by_side)
    assert side_by_side[("region", str(story.r2))]["cycle_activity"] == {"suppressed": True}

    principal = bearer(story.principal1, "principal")
    body = report(platform, "cycle-activity", headers=principal, **year)
    assert {row["key"] for row in body["rows"] if row["level"] == "school"} == {str(story.s1)}
    report(platform, "cycle-activity", headers=principal, status=403,
           school_id=str(story.s3), **year)
    report(platform, "council", headers=principal, status=403, **year)

    coach = bearer(story.c2, "coach")
    body = report(platform, "time-use", headers=coach, **year)
    assert {row["key"] for row in body["rows"] if row["level"] == "coach"} == {str(story.c2)}
    report(platform, "time-use", headers=coach, status=403, coach_id=str(story.c1), **year)
    report(platform, "cycle-activity", headers=coach, status=403, **year)
    report(platform, "time-use", headers=bearer(story.teachers[0], "teacher"), status=403,
           **year)


@pytest.mark.parametrize("params, field", [
    ({"month": "2016-13"}, "month"),
    ({"from_date": "2016-09-01"}, "to_date"),
    ({"from_date": "2016-09-02", "to_date": "2016-09-01"}, "to_date"),
    ({"school_year": "twenty"}, "school_year"),
    ({"region_id": "nope"}, "region_id"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"format": "xml"}, "format"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_query_is_a_400_naming_the_field(platform: Platform, params: dict[str, str],
                                               field: str) -> None:
    body = report(platform, "time-use", status=400, **params)
    assert field in [f["field"] for f in body["fields"]], body


def test_every_view_exports_as_csv_with_suppressed_cells_marked(platform: Platform) -> None:
    story = told(2014)
    feed(story.world)
    text = report(platform, "cycle-activity", school_year=2014, format="csv")
    lines = [line.split(",") for line in text.strip().split("\n")]
    header, rows = lines[0], {(r[0], r[1]): dict(zip(lines[0], r, strict=True))
                              for r in lines[1:]}
    assert header[:2] == ["level", "key"] and "teachers_coached" in header
    s2 = rows[("school", str(story.s2))]
    assert all(value == "suppressed" for name, value in s2.items()
               if name not in ("level", "key"))
    assert rows[("district", "district")]["teachers_coached"] == "5"
    for view in ("time-use", "plan-alignment", "council"):
        text = report(platform, view, school_year=2014, format="csv")
        assert text.startswith("level,key,")


def test_a_range_of_days_counts_the_days_of_its_partial_months(platform: Platform) -> None:
    story = told(2013)
    feed(story.world)
    start, end = story.world.d(9, 6), story.world.d(2, 1)
    rows = rows_by_key(report(platform, "time-use", from_date=start.isoformat(),
                              to_date=end.isoformat()))
    for coach in (story.c1, story.c2):
        inside = [e for e in story.live_entries()
                  if e["coach_id"] == coach and start <= e["worked_on"] <= end]
        row = rows[("coach", str(coach))]
        assert row["minutes"] == sum(e["minutes"] for e in inside)
        assert row["coaching_minutes"] == sum(e["minutes"] for e in inside
                                              if e["category_id"] in ("co-planning",
                                                                      "modelling"))
    # By hand: C1 from Sep 6 to Feb 1 is 30 + 45 + 120 + 50 + 60 + 80 (not Sep 5's 60, not
    # Feb 2's 100, not the voided 40).
    assert rows[("coach", str(story.c1))]["minutes"] == 385
