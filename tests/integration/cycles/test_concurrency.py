"""Two workers acting on one cycle at once do not lose an update: each command reloads
and decides again when it lost the race to save (optimistic concurrency), and answers
409 only when it lost too many times in a row. Requests go through the gateway at the
same moment, to one cycles process and then to two."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from deploy.local import ServiceProcess
from tests.support.platform import Platform, wait_until

from .client import Coach


def at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Send every call at the same moment, each from its own thread."""
    start = threading.Barrier(len(calls))

    def send(call: Callable[[], requests.Response]) -> requests.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(send, calls))


def add_step(coach: Coach, cycle_id: str, text: str) -> Callable[[], requests.Response]:
    return lambda: coach.post(f"/cycles/{cycle_id}/next-steps", coach.step(text=text))


def step_texts(coach: Coach, cycle_id: str) -> list[str]:
    return sorted(s["text"] for s in coach.cycle(cycle_id)["next_steps"]["steps"])


def test_two_next_steps_added_at_the_same_moment_both_land(platform: Platform) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    expected = []
    for round_ in range(5):
        texts = [f"round {round_} coach", f"round {round_} teacher"]
        responses = at_once([add_step(coach, cycle_id, t) for t in texts])
        assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
        expected += texts
    assert step_texts(coach, cycle_id) == sorted(expected)
    assert coach.cycle(cycle_id)["next_steps"]["label"] == "0/10 next steps complete"


def test_different_commands_on_one_cycle_at_once_all_land(platform: Platform) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    first = coach.ok(coach.post(f"/cycles/{cycle_id}/next-steps", coach.step()), 201)
    responses = at_once([
        lambda: coach.teacher.post(
            f"/cycles/{cycle_id}/next-steps/{first['step_id']}/complete"),
        lambda: coach.put(f"/cycles/{cycle_id}/norms", {"norms": ["debrief within 24h"]}),
        lambda: coach.post(f"/cycles/{cycle_id}/observations", coach.observation()),
        add_step(coach, cycle_id, "another"),
    ])
    assert [r.status_code for r in responses] == [200, 200, 201, 201]
    cycle = coach.cycle(cycle_id)
    assert cycle["next_steps"]["label"] == "1/2 next steps complete"
    assert cycle["norms"]["norms"] == ["debrief within 24h"]
    assert (len(cycle["observations"]), cycle["phase"]) == (1, "act")


@pytest.fixture
def second_cycles_process(platform: Platform) -> Iterator[ServiceProcess]:
    """Another cycles process beside the platform's: they share the RPC queue as
    competing consumers, and the store."""
    extra = ServiceProcess("cycles-2", platform.env, platform.log_dir)
    extra.name = "cycles"  # the same service module, logged as cycles.<n>.log
    extra.starts = 100
    extra.start()
    wait_until(lambda: "Connected to amqp" in extra.log(), timeout=30,
               what="the second cycles process to consume RPC requests")
    yield extra
    extra.stop()
    assert extra.process is not None and extra.process.returncode == 0, extra.log()[-2000:]


def test_with_two_cycles_processes_no_acknowledged_update_is_lost(
    platform: Platform, second_cycles_process: ServiceProcess,
) -> None:
    coach = Coach(platform)
    cycle_id = coach.active_cycle()
    texts = [f"step {n}" for n in range(12)]
    responses = at_once([add_step(coach, cycle_id, t) for t in texts])

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    landed = sorted(t for t, r in zip(texts, responses, strict=True) if r.status_code == 201)
    assert step_texts(coach, cycle_id) == landed  # every 201 is there, nothing else
    for response in responses:
        if response.status_code == 409:  # retries exhausted: said so, and nothing saved
            body: dict[str, Any] = response.json()
            assert (body["error"], body["field"]) == ("Conflict", "cycle_id")
    races = sum(p.log().count("lost a race to save a cycle")
                for p in (platform["cycles"], second_cycles_process))
    print(f"\n12 at once over two processes: {dict(statuses)}; lost races retried: {races}")
    assert statuses[201] >= 1
