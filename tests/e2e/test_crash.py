"""Nothing lost, nothing doubled: the cycles service is SIGKILLed between committing an
event and publishing it, between publishing its run and the broker committing the run (an
AMQP transaction), and between that and recording that it did; after a restart the event
reaches reporting exactly once. The cycle is one a teacher starts, so
the one command commits its proposal and its start together."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.support.auth import bearer
from tests.support.platform import Platform, wait_until
from tests.support.roster import school

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("fault", ["relay.before_publish", "relay.before_commit",
                                   "relay.after_publish"])
def test_killed_cycles_service_delivers_exactly_once_after_restart(
    platform: Platform, fault: str
) -> None:
    at = school(platform, coaches=1, teachers=1)  # on the roster before the fault is armed
    school_id, body = at.id, start_cycle_body(platform, at)
    cycles = platform["cycles"]
    cycles.stop()
    # A long poll: the relay runs only when a command wakes it, after the reply is sent,
    # so the kill falls between commit and publish and never before the reply.
    cycles.start(COACHOPS_FAULT=fault, RELAY_POLL_SECONDS="600")
    platform.wait_ready()

    response = start_as_teacher(platform, body)
    assert response.status_code == 201, response.text

    assert cycles.wait_exit(timeout=30) == -9, cycles.log()[-2000:]
    assert f"fault point {fault} reached" in cycles.log()
    if fault != "relay.after_publish":
        time.sleep(0.5)
        # committed in the store, never published (or published in a run the broker
        # discarded with the connection, uncommitted)
        assert active_cycles(platform, school_id) == 0

    cycles.start()
    platform.wait_ready()
    wait_until(lambda: active_cycles(platform, school_id) == 1, timeout=20,
               what="the committed cycle to reach reporting")
    wait_until(lambda: "relayed cycles notifications" in cycles.log(), timeout=10,
               what="the restarted relay to publish")
    time.sleep(1.0)  # a duplicate, if it were counted, would show by now
    assert active_cycles(platform, school_id) == 1


def test_a_command_redelivered_after_a_crash_past_its_commit_is_applied_once(
    platform: Platform,
) -> None:
    """The cycles service dies after committing a command and before answering it:
    RabbitMQ hands the request to the restarted service, which answers it as the first
    time, from what was stored, without storing it again."""
    at = school(platform, coaches=1, teachers=1)  # on the roster before the fault is armed
    school_id, body = at.id, start_cycle_body(platform, at)
    cycles = platform["cycles"]
    cycles.stop()
    cycles.start(COACHOPS_FAULT="store.after_commit")
    platform.wait_ready()

    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(start_as_teacher, platform, body)
        assert cycles.wait_exit(timeout=30) == -9, cycles.log()[-2000:]
        assert "fault point store.after_commit reached" in cycles.log()
        cycles.start()
        response = answer.result(timeout=60)
    assert response.status_code == 201, response.text
    platform.wait_ready()
    teacher = str(body["teacher_ids"][0])  # type: ignore[index]
    listed = requests.get(f"{platform.url}/teachers/{teacher}/cycles", timeout=10,
                          headers=bearer(teacher, "teacher")).json()
    assert [c["cycle_id"] for c in listed["cycles"]] == [response.json()["cycle_id"]]
    wait_until(lambda: active_cycles(platform, school_id) == 1, timeout=20,
               what="the cycle to reach reporting")
    time.sleep(1.0)  # a second cycle, if one were stored, would be counted by now
    assert active_cycles(platform, school_id) == 1
