"""An event lost on the bus still ends up counted: reporting sees a later event name it as
its predecessor, fetches it from the source's notification log and applies it once.

On a platform of its own: the other reporting tests publish made-up cycles events at
positions far past the real log's, and a reporting database whose first cycles events were
those has its mark past every real position, where no real loss is looked for (in a
district, a source's positions are its own log's alone)."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest

from services.reporting.service import GAP_CHECK_SECONDS
from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.integration.reporting.client import publish
from tests.support.platform import (
    NAMESPACE,
    Platform,
    free_port,
    rabbitmqctl,
    started,
    wait_until,
)
from tests.support.roster import RosterSchool, school

GAP_NAMESPACE = f"{NAMESPACE}gap"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with started(tmp_path_factory.mktemp("logs"), GAP_NAMESPACE, free_port()) as own:
        yield own


def purge_reporting_queues(platform: Platform, source: str) -> int:
    vhost = platform.env["AMQP_URI"].rsplit("/", 1)[1]
    listed = rabbitmqctl("list_queues", "-p", vhost, "name").stdout.decode().split()
    queues = [q for q in listed if q.startswith(f"evt-{source}-") and "--reporting." in q]
    for queue in queues:
        rabbitmqctl("purge_queue", "-p", vhost, queue).check_returncode()
    return len(queues)


def start_a_cycle_lost_on_the_bus(platform: Platform, at: RosterSchool, cycles_lost: int = 1
                                  ) -> None:
    """Cycles started while reporting is down, their events purged from reporting's queues
    once published; then reporting starts again."""
    reporting, cycles = platform["reporting"], platform["cycles"]
    bodies = [start_cycle_body(platform, at) for _ in range(cycles_lost)]  # people first
    reporting.stop()
    relayed = cycles.log().count("relayed cycles notifications")
    for body in bodies:
        assert start_as_teacher(platform, body).status_code == 201
    wait_until(lambda: cycles.log().count("relayed cycles notifications") > relayed,
               timeout=10, what="the relay to publish")
    assert purge_reporting_queues(platform, "cycles") > 0
    reporting.start()
    platform.wait_ready()


def test_an_event_lost_on_the_bus_is_fetched_from_its_source(platform: Platform) -> None:
    at = school(platform, coaches=1, teachers=2)
    school_id = at.id
    start_a_cycle_lost_on_the_bus(platform, at)
    # A later event names the lost ones as its predecessors...
    assert start_as_teacher(platform, start_cycle_body(platform, at)).status_code == 201
    # ...so both cycles end up counted, the lost one fetched from the cycles store.
    wait_until(lambda: active_cycles(platform, school_id) == 2, timeout=30,
               what="the lost cycle to be fetched and counted")
    assert "missed on the bus" in platform["reporting"].log()


def test_a_long_run_lost_on_the_bus_is_fetched_in_one_check(platform: Platform) -> None:
    """A consumer gone for a while loses a run of events, each named only by the one after
    it: the whole run is fetched at once, not one event a check."""
    at = school(platform, coaches=1, teachers=13)
    start_a_cycle_lost_on_the_bus(platform, at, cycles_lost=12)
    assert start_as_teacher(platform, start_cycle_body(platform, at)).status_code == 201
    wait_until(lambda: active_cycles(platform, at.id) == 13, timeout=60,
               what="the lost run to be fetched and counted")
    fetches = re.findall(r"fetched (\d+) events of cycles from position \d+ \(named by a later"
                         r" event\)", platform["reporting"].log())
    assert len(fetches) == 1 and int(fetches[0]) >= 12, fetches


def test_a_lost_last_event_is_fetched_though_no_later_event_names_it(
    platform: Platform,
) -> None:
    at = school(platform, coaches=1, teachers=1)
    school_id = at.id
    start_a_cycle_lost_on_the_bus(platform, at)  # and nothing comes after it
    wait_until(lambda: active_cycles(platform, school_id) == 1, timeout=60,
               what="the lost last event to be fetched from the cycles store")
    assert "its source's last" in platform["reporting"].log()


def test_reporting_stops_cleanly_while_its_sources_are_down(platform: Platform) -> None:
    """The gap check asks the sources for every gap and their last events; stopped sources
    (a platform stopping) must not hold it, and with it reporting's shutdown, past the 30 s
    a clean stop gets before SIGKILL (it waited 10 s for each question: here six)."""
    from tests.integration.reporting.test_parked_events import base, cycle_started, gaps

    # Events naming predecessors that never arrived: a check fetches each from cycles.
    named = [cycle_started(base() + 2, base() + 1, uuid.uuid4()) for _ in range(3)]
    publish(named, platform.env["AMQP_URI"])
    wait_until(lambda: len(gaps(platform)) >= 3, timeout=60, what="the gaps to be seen")
    reporting = platform["reporting"]
    sources = [platform[name] for name in ("agreements", "cycles", "timetracking")]
    for source in sources:
        source.stop()
    try:
        time.sleep(2 * GAP_CHECK_SECONDS)  # a check is under way, asking the stopped sources
        reporting.stop()
        assert reporting.process is not None
        assert reporting.process.returncode == 0, reporting.log()[-3000:]
    finally:
        for process in (*sources, reporting):
            process.start()
        platform.wait_ready()
