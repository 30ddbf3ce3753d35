"""Two of everything: a platform of two instances of every service and of the gateway
(``Platform(instances=2)``) under the fault suite's load, while one instance at a time is
SIGKILLed (a machine lost) and later started again:

- the instance that relays cycles' events (found from PostgreSQL: the session holding the
  relay's lock, ``coachops.bus.leadership.relay_holder``): the other one takes the relay
  over and events flow again; then time tracking's, with a time entry recorded after it;
- one reporting instance of two: the other one goes on handling every event;
- one gateway of two (sharing the port, as two behind the proxy do).

After each: every accepted command stored once, reporting equal to a rebuild from the
sources. The times until the relay was taken over and events flowed again are printed with
a line per fault (measured, not asserted: speed belongs in bench/)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
import requests

from coachops import clock
from coachops.bus.leadership import relay_holder
from coachops.store import PostgresDatabase
from tests.reliability import suite
from tests.support import roster
from tests.support.auth import bearer
from tests.support.platform import (
    NAMESPACE,
    Platform,
    ServiceProcess,
    free_port,
    platform_for_tests,
    reset_databases,
    reset_vhost,
    wait_until,
)
from tests.support.roster import RosterSchool

TWO_NAMESPACE = f"{NAMESPACE}2x"  # databases and vhost apart from the session's platform
DOWN_SECONDS = 8.0  # how long the district works on with one instance before it returns


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    reset_vhost(TWO_NAMESPACE)
    reset_databases(TWO_NAMESPACE)
    platform = platform_for_tests(tmp_path_factory.mktemp("logs"), TWO_NAMESPACE,
                                  gateway_port=free_port(), instances=2)
    platform.start()
    try:
        yield platform
    finally:
        platform.stop()


def query(platform: Platform, service: str, sql: str, *args: object) -> object:
    connection = psycopg2.connect(platform.env[f"{service.upper()}_DATABASE_URL"])
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            row = cursor.fetchone()
            return row[0] if row else None
    finally:
        connection.close()


def holder(platform: Platform, source: str) -> ServiceProcess | None:
    """The instance of ``source`` that relays its events now (None: no instance does)."""
    database = PostgresDatabase(platform.env[f"{source.upper()}_DATABASE_URL"], pool_size=1)
    try:
        name = relay_holder(database, source)
    finally:
        database.close()
    pid = re.search(r" pid (\d+)$", name or "")
    for process in platform.of(source):
        if pid and process.process is not None and process.process.pid == int(pid[1]):
            return process
    return None


def rss_mb(process: ServiceProcess) -> float:
    assert process.process is not None
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    kb = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(kb[1]) / 1024 if kb else 0.0


@dataclass
class Measured:
    """What one fault did, on time.monotonic()."""

    name: str
    killed: float = 0.0
    over: float = 0.0  # the killed instance started again and the platform ready
    taken_over: float | None = None  # another instance holds the relay
    flowed: float | None = None  # events moved on past where they were at the kill
    notes: list[str] = field(default_factory=list)


RELAYED = "SELECT position FROM outbox_relay WHERE source = %s"
RECEIVED = "SELECT coalesce(max(position), 0) FROM received_events WHERE source = %s"


def moves_on(platform: Platform, service: str, sql: str, source: str, what: str) -> None:
    """Wait until ``sql`` (a position of ``source``) read from ``service``'s database passes
    what it reads now."""
    position = int(query(platform, service, sql, source) or 0)
    wait_until(lambda: int(query(platform, service, sql, source) or 0) > position,
               timeout=60, interval=0.05, what=what)


def back(platform: Platform, victim: ServiceProcess, measured: Measured) -> None:
    """The killed instance started again once the district worked DOWN_SECONDS without it."""
    time.sleep(max(0.0, measured.killed + DOWN_SECONDS - time.monotonic()))
    victim.start()
    platform.wait_ready(timeout=90)
    measured.over = time.monotonic()


def relay_holder_killed(source: str, measured: Measured,
                        record: Callable[[], object] = lambda: None) -> suite.Fault:
    """SIGKILL the instance holding ``source``'s relay; watch the other take it over and
    the relay's position move on (past an event ``record`` makes after the kill, where the
    load makes none); start the killed one again."""
    def inject(platform: Platform) -> None:
        time.sleep(2.0)  # some load on both instances first
        victim = wait_until(lambda: holder(platform, source), timeout=30,
                            what=f"an instance relaying {source}")
        measured.killed = time.monotonic()
        victim.kill()
        flowing = threading.Thread(target=moves_on, args=(
            platform, source, RELAYED, source, f"{source}'s events to flow"))
        flowing.start()
        record()
        # (The killed one's session may still be listed for a moment: PostgreSQL ends it
        # once it sees the connection closed.)
        survivor = wait_until(lambda: next((p for p in [holder(platform, source)]
                                            if p is not None and p is not victim), None),
                              timeout=60, interval=0.05,
                              what=f"another instance to take {source}'s relay over")
        measured.taken_over = time.monotonic()
        flowing.join()
        measured.flowed = time.monotonic()
        measured.notes.append(f"relay moved from {victim.name} to {survivor.name}")
        back(platform, victim, measured)

    return suite.Fault(measured.name, inject)


def reporting_instance_killed(measured: Measured) -> suite.Fault:
    """SIGKILL one reporting instance of two; watch reporting receive cycles' events again;
    start it again."""
    def inject(platform: Platform) -> None:
        time.sleep(2.0)
        victim = platform.of("reporting")[0]
        measured.killed = time.monotonic()
        victim.kill()
        moves_on(platform, "reporting", RECEIVED, "cycles",
                 "the other reporting instance to handle cycles' events")
        measured.flowed = time.monotonic()
        back(platform, victim, measured)

    return suite.Fault(measured.name, inject)


def gateway_killed(measured: Measured) -> suite.Fault:
    """SIGKILL one gateway of two (they share the port, as two behind a proxy do); start it
    again. The time until a command was accepted again is the suite's."""
    def inject(platform: Platform) -> None:
        time.sleep(2.0)
        victim = platform.of("gateway")[1]
        measured.killed = time.monotonic()
        victim.kill()
        back(platform, victim, measured)

    return suite.Fault(measured.name, inject)


def time_entry(platform: Platform, at: RosterSchool) -> Callable[[], object]:
    """A coach's time entry, recorded (tried again until accepted): an event of time
    tracking's, which the load does not make."""
    coach = at.coaches[0]
    entry = {"coach_id": coach, "school_id": at.id,
             "worked_on": (clock.today() - timedelta(days=1)).isoformat(),
             "start": "09:00", "end": "10:00", "category_id": "co-planning"}
    return lambda: wait_until(
        lambda: requests.post(f"{platform.url}/time-entries", json=entry, timeout=30,
                              headers=bearer(coach, "coach")).status_code == 201,
        timeout=60, interval=0.2, what="a time entry accepted")


def seconds(at: float | None, since: float) -> str:
    return "never" if at is None else f"{at - since:.2f}s"


def test_losing_an_instance_loses_and_doubles_nothing(two: Platform) -> None:
    assert len(two.of("cycles")) == 2 and all(p.alive() for p in two.processes.values())
    print("\nRSS after start: " + ", ".join(
        f"{p.name} {rss_mb(p):.0f} MB" for p in two.processes.values()))
    first = holder(two, "cycles")
    assert first is not None, "one cycles instance relays"
    # One relay per source, whichever instance holds it: the other's lock attempt fails.
    assert first in two.of("cycles")

    relay = Measured("SIGKILL the instance relaying cycles")
    relay_tt = Measured("SIGKILL the instance relaying timetracking")
    reporting = Measured("SIGKILL one reporting instance of two")
    gateway = Measured("SIGKILL one gateway of two")
    at = roster.school(two, coaches=1, teachers=1)
    faults = (relay_holder_killed("cycles", relay),
              relay_holder_killed("timetracking", relay_tt, time_entry(two, at)),
              reporting_instance_killed(reporting), gateway_killed(gateway))
    result = suite.run(two, faults, commands=300)
    print(f"\n{result.table()}")
    print("fault | relay taken over | events flowing again | a command accepted again"
          " | lost | duplicated | client errors seen")
    for measured in (relay, relay_tt, reporting, gateway):
        errors = sorted(status for sent, answered, status in result.answers
                        if status != "201" and answered >= measured.killed
                        and sent <= measured.over)
        again = result.accepted_again(measured.killed)
        print(f"{measured.name} | "
              f"{seconds(measured.taken_over, measured.killed) if measured.taken_over else '-'}"
              f" | {seconds(measured.flowed, measured.killed) if measured.flowed else '-'}"
              f" | {'never' if again is None else f'{again:.2f}s'}"
              f" | {result.lost} | {result.duplicates} | "
              f"{', '.join(errors) or 'none'} {' '.join(measured.notes)}")
        assert again is not None, measured
    assert None not in (relay.flowed, relay_tt.flowed, reporting.flowed)
    assert result.accepted, "commands must get through"
    assert result.duplicates == 0, result.table()
    assert result.lost == 0, result.table()
    assert result.reports_equal_rebuild, result.table()
    # The killed instances came back as followers: each source still relayed by one.
    assert holder(two, "cycles") is not None and holder(two, "timetracking") is not None
