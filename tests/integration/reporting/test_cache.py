"""The cache of finished reports (``services.reporting.cache``) on the running service: a
report asked again is answered from it, yet nothing it serves is older than the read
models, and nobody is shown rows computed for a wider scope."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import psycopg2

from coachops.contracts import decode
from services.reporting import received, schema
from tests.integration.reporting.client import (
    cast,
    feed,
    publish,
    report,
    reporting_url,
    rows_by_key,
    wait_received,
)
from tests.integration.reporting.test_views import told
from tests.support.auth import bearer
from tests.support.platform import Platform

# A cycle still open at the end of a story's year counts as active in every later year
# (see ``told``), and roles are looked up on today's date: so each story here has a past
# school year, later than the years test_views checks (whose stories run after these),
# and none that another test checks (2019, 2023).


def sql(statement: str, *params: Any) -> int:
    """Run ``statement`` on the reporting database as a hand would: the read-model version
    does not change. Returns the rows it touched."""
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


def read_models_changed() -> None:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        schema.read_model_changed(cursor)


def version() -> str:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        return schema.read_model_version(cursor)


def unchanged(check: Callable[[], None], attempts: int = 5) -> None:
    """``check`` over a span in which nothing else changed the read models (the session's
    other events, the gap check): tried again if something did."""
    for _ in range(attempts - 1):
        before = version()
        try:
            check()
            return
        except AssertionError:
            if version() == before:
                raise
    check()


def test_a_repeated_report_is_answered_from_the_cache(platform: Platform) -> None:
    story = told(2025)
    feed(story.world)
    coach = ("coach", str(story.c1))
    expected = story.expected_time_use()[coach]["minutes"]
    added: list[int] = []  # rows changed by each hand change

    def cached() -> None:
        first = report(platform, "time-use", school_year=2025)
        # Changed behind the service's back: only a report computed again could show it.
        added.append(sql("UPDATE time_month SET minutes = minutes + 1000"
                         " WHERE coach_id = %s", str(story.c1)))
        assert report(platform, "time-use", school_year=2025) == first

    try:
        unchanged(cached)
        assert added[-1] > 0
        read_models_changed()
        seen = rows_by_key(report(platform, "time-use", school_year=2025))[coach]["minutes"]
        assert seen == expected + 1000 * sum(added)
    finally:
        sql("UPDATE time_month SET minutes = minutes - %s WHERE coach_id = %s",
            1000 * len(added), str(story.c1))
        read_models_changed()
    assert rows_by_key(report(platform, "time-use", school_year=2025))[coach]["minutes"] == \
        expected


def test_an_event_applied_after_a_report_is_in_the_next_one(platform: Platform) -> None:
    story = told(2024)
    feed(story.world)
    coach = ("coach", str(story.c2))
    before = rows_by_key(report(platform, "time-use", school_year=2024))[coach]["minutes"]
    assert rows_by_key(report(platform, "time-use", school_year=2024))[coach]["minutes"] == \
        before  # now cached
    story.record(story.c2, story.s3, story.world.d(3, 3), 25, "duty")
    late = story.world.events[-1]
    publish([late])
    wait_received([late])  # committed in the transaction that changed the read models
    after = rows_by_key(report(platform, "time-use", school_year=2024))
    assert after[coach]["minutes"] == before + 25
    assert after[coach]["minutes"] == story.expected_time_use()[coach]["minutes"]


def test_nobody_is_shown_rows_cached_for_a_wider_scope(platform: Platform) -> None:
    story = cast(platform, 2022)
    feed(story.world)
    year = {"school_year": 2022}
    # A leader's district, and the leader's view of another school, cached first.
    district = rows_by_key(report(platform, "time-use", **year))
    report(platform, "time-use", school_id=str(story.s3), **year)
    report(platform, "cycle-activity", **year)

    principal = bearer(story.principal1, "principal")
    for _ in range(2):  # computed, then from the cache: the same scope either way
        mine = rows_by_key(report(platform, "time-use", headers=principal, **year))
        assert {key for level, key in mine if level == "school"} == {str(story.s1)}
        assert {key for level, key in mine if level == "coach"} == {str(story.c1)}
        assert mine[("district", "district")]["minutes"] == \
            district[("school", str(story.s1))]["minutes"]
        assert mine[("district", "district")]["minutes"] < \
            district[("district", "district")]["minutes"]
        cycles = report(platform, "cycle-activity", headers=principal, **year)
        assert {row["key"] for row in cycles["rows"] if row["level"] == "school"} == \
            {str(story.s1)}
    # Refused before the cache is looked in, though a leader's answer to it is there.
    report(platform, "time-use", headers=principal, status=403, school_id=str(story.s3),
           **year)
    report(platform, "council", headers=principal, status=403, **year)

    rep = bearer(story.rep1, "clt_rep")
    theirs = rows_by_key(report(platform, "time-use", headers=rep, **year))
    assert {key for level, key in theirs if level == "region"} == {str(story.r1)}
    assert str(story.s3) not in {key for level, key in theirs if level == "school"}
    coach = bearer(story.c2, "coach")
    own = rows_by_key(report(platform, "time-use", headers=coach, **year))
    assert {key for level, key in own if level == "coach"} == {str(story.c2)}


def test_a_rebuild_makes_cached_reports_be_computed_again(platform: Platform) -> None:
    story = told(2021)
    feed(story.world)
    coach = ("coach", str(story.c2))
    before = rows_by_key(report(platform, "time-use", school_year=2021))[coach]["minutes"]
    # Kept and claimed but not derived, as the bus never delivered it: only a rebuild from
    # the received events puts it into the read models.
    story.record(story.c2, story.s3, story.world.d(4, 4), 35, "duty")
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        received.keep(cursor, [decode(story.world.events[-1].body)])
    assert rows_by_key(report(platform, "time-use", school_year=2021))[coach]["minutes"] == \
        before

    result = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url", reporting_url()],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    after = rows_by_key(report(platform, "time-use", school_year=2021))[coach]["minutes"]
    assert after == before + 35 == story.expected_time_use()[coach]["minutes"]
