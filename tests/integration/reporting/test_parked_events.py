"""An event reporting cannot store holds back no other (issue 17, item 7b): it is parked,
counted as received by the check for events lost on the bus (so not fetched and failed
again every few seconds), visible (a gauge, the dead-letter tool) and applied when replayed
after a fix; the events its source published after it still reach the reports."""

from __future__ import annotations

import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg2
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from coachops.contracts import Envelope, encode
from tests.e2e.test_slice import start_as_teacher, start_cycle_body
from tests.integration.reporting.client import AMQP, publish, reporting_url
from tests.integration.reporting.test_gap_fetch import purge_reporting_queues
from tests.integration.reporting.world import Published
from tests.support import roster
from tests.support.platform import Platform, wait_until
from tests.support.roster import RosterSchool


def cycle_started(position: int, previous: int | None, school_id: uuid.UUID,
                  focus_area: str = "2b") -> Published:
    """A CycleStarted as the cycles service publishes it, at ``position`` of its log."""
    now = datetime.now(UTC)
    body = encode(Envelope(
        event_type="CycleStarted", version=1, source="cycles", stream_id=uuid.uuid4(),
        stream_position=1, position=position, previous_position=previous, occurred_at=now,
        recorded_at=now, payload={
            "cycle_id": uuid.uuid4(), "coach_id": uuid.uuid4(), "teacher_ids": [uuid.uuid4()],
            "school_id": school_id, "focus_area_ids": [focus_area], "phase": "plan",
            "started_on": date.today()}))
    return Published("cycles", body)


def base() -> int:
    """Positions far past the real cycles log's, so no relayed event has them."""
    return 10**12 + random.randrange(10**9) * 1000


def query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall() if cursor.description else []


def counted(event: Published) -> bool:
    """The event's cycle is in the read model the reports are computed from."""
    return bool(query("SELECT 1 FROM cycle_facts WHERE cycle_id = %s",
                      event.body["payload"]["cycle_id"]))


def parked_times(event: Published) -> int | None:
    rows = query("SELECT times FROM parked_events WHERE source = %s AND position = %s",
                 event.source, event.position)
    return int(rows[0][0]) if rows else None


def gaps(platform: Platform) -> list[dict[str, Any]]:
    with ClusterRpcProxy({"AMQP_URI": platform.env["AMQP_URI"]}, timeout=30) as rpc:
        found: list[dict[str, Any]] = rpc.reporting.gaps()
    return found


def dead_letters(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "coachops.bus.dead_letters", *args,
                           "--amqp-uri", AMQP], capture_output=True, text=True, timeout=60,
                          check=True).stdout


def test_an_event_reporting_cannot_store_is_parked_and_the_later_ones_go_on(
        platform: Platform) -> None:
    school, start = uuid.uuid4(), base()
    first = cycle_started(start + 1, None, school)
    # PostgreSQL's JSON cannot hold \u0000: reporting cannot store this one.
    hostile = cycle_started(start + 2, start + 1, school, focus_area="2b\x00")
    later = cycle_started(start + 3, start + 2, school)
    publish([first, hostile, later])

    wait_until(lambda: counted(first) and counted(later), timeout=60,
               what="the events before and after the hostile one in the reports")
    wait_until(lambda: parked_times(hostile) is not None, timeout=60,
               what="the hostile event to be parked")
    assert not counted(hostile)
    # Counted as received: the later event naming it is no gap to fetch, failing, forever.
    assert {"source": "cycles", "position": hostile.position} not in gaps(platform)
    listed = dead_letters("list")
    assert f"(cycles at {hostile.position})" in listed
    assert "reporting.on_cycle_started" in listed


@pytest.fixture
def failing_at(platform: Platform) -> RosterSchool:
    return roster.school(platform, coaches=1, teachers=1)


@pytest.fixture
def failing_for(platform: Platform, failing_at: RosterSchool) -> Iterator[uuid.UUID]:
    """A school whose events reporting fails to store, until the test drops the trigger
    that fails them (a bug, then its fix)."""
    school = uuid.UUID(failing_at.id)
    name = f"fail_{school.hex[:8]}"
    query(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN"
          f" IF NEW.payload->>'school_id' = '{school}' THEN"
          f" RAISE EXCEPTION 'a bug in reporting'; END IF; RETURN NEW; END $$"
          f" LANGUAGE plpgsql")
    query(f"CREATE TRIGGER {name} BEFORE INSERT ON received_events FOR EACH ROW"
          f" EXECUTE FUNCTION {name}()")
    try:
        yield school
    finally:
        query(f"DROP FUNCTION IF EXISTS {name}() CASCADE")


def test_a_parked_event_replayed_after_a_fix_is_applied_and_no_longer_waits(
        platform: Platform, failing_for: uuid.UUID) -> None:
    event = cycle_started(base() + 1, None, failing_for)
    publish([event])
    wait_until(lambda: parked_times(event) is not None, timeout=60,
               what="the event to be parked")
    assert not counted(event)

    query(f"DROP FUNCTION fail_{failing_for.hex[:8]}() CASCADE")  # the fix
    replayed = dead_letters("replay", "--consumer", "reporting.on_cycle_started")
    assert "replayed" in replayed
    wait_until(lambda: counted(event), timeout=60, what="the replayed event in the reports")
    # Applied now: no longer waiting, so no longer in the count the alert is on.
    wait_until(lambda: parked_times(event) is None, timeout=60,
               what="the applied event to leave the parked events")


def test_a_parked_event_is_kept_once_and_counted_each_time(platform: Platform) -> None:
    hostile = cycle_started(base() + 1, None, uuid.uuid4(), focus_area="\x00")
    publish([hostile])
    wait_until(lambda: parked_times(hostile) == 1, timeout=60, what="parked once")
    publish([hostile])  # sent again by its source: parked again, one row
    wait_until(lambda: parked_times(hostile) == 2, timeout=60, what="parked twice")


def cycles_of(school: uuid.UUID) -> int:
    return int(query("SELECT count(*) FROM cycle_facts WHERE school_id = %s", str(school))[0][0])


def test_an_event_fetched_from_its_source_that_cannot_be_applied_is_parked_not_retried(
        platform: Platform, failing_at: RosterSchool, failing_for: uuid.UUID) -> None:
    """Lost on the bus and failing when fetched: parked once (the check does not fetch it
    again every few seconds), then replayed after the fix like any parked event."""
    reporting, cycles = platform["reporting"], platform["cycles"]
    body = start_cycle_body(platform, failing_at)
    reporting.stop()
    try:
        relayed = cycles.log().count("relayed cycles notifications")
        assert start_as_teacher(platform, body).status_code == 201
        wait_until(lambda: cycles.log().count("relayed cycles notifications") > relayed,
                   timeout=10, what="the relay to publish")
        assert purge_reporting_queues(platform, "cycles") > 0
    finally:  # the later tests need reporting, whatever happened here
        reporting.start()
        platform.wait_ready()

    fetched = "reporting.fetch_missing"
    wait_until(lambda: query("SELECT 1 FROM parked_events WHERE consumer = %s AND reason"
                             " LIKE %s", fetched, "%a bug in reporting%"), timeout=60,
               what="the fetched event to be parked")
    assert cycles_of(failing_for) == 0
    # Parked, not raised: the check itself never fails (it did every 5 s, forever).
    assert "[reporting.fetch_missing]" not in reporting.log()

    query(f"DROP FUNCTION fail_{failing_for.hex[:8]}() CASCADE")  # the fix
    assert "replayed" in dead_letters("replay", "--consumer", fetched)
    wait_until(lambda: cycles_of(failing_for) == 1, timeout=60,
               what="the replayed event in the reports")
