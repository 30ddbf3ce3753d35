"""Scaling out: a second process of a service joins the first as a competing consumer on
the same queues. Under a burst of commands nothing is handled twice and nothing is lost,
and both processes take a share of the work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from deploy.local import ServiceProcess
from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.support.platform import Platform, free_port, wait_until
from tests.support.roster import school

CYCLES = 200
SCHOOLS = 5



def handled(port: int) -> float:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('coachops_events_handled_total{consumer="reporting.'
                                  'on_cycle_started"') and 'outcome="handled"' in line)


def test_two_reporting_and_two_cycles_processes_share_the_work(platform: Platform) -> None:
    ports = {"reporting": free_port(), "cycles": free_port()}
    extra = {name: ServiceProcess(f"{name}-2", platform[name].env, platform.log_dir,
                                  command=platform[name].process.args)  # type: ignore[union-attr]
             for name in ports}
    first_reporting_port = free_port()
    try:
        for name, process in extra.items():
            process.start(METRICS_PORT=str(ports[name]))
        # The first reporting process again, now with metrics on, to see its share.
        platform["reporting"].stop()
        platform["reporting"].start(METRICS_PORT=str(first_reporting_port))
        platform.wait_ready()
        wait_until(lambda: handled(ports["reporting"]) >= 0, timeout=30, what="metrics")

        ats = [school(platform, coaches=1, teachers=CYCLES // SCHOOLS)
               for _ in range(SCHOOLS)]
        schools = [at.id for at in ats]
        bodies = [start_cycle_body(platform, ats[n % SCHOOLS]) for n in range(CYCLES)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda b: start_as_teacher(platform, b).status_code, bodies))
        assert statuses == [201] * CYCLES

        per_school = CYCLES // SCHOOLS
        wait_until(lambda: all(active_cycles(platform, s) == per_school for s in schools),
                   timeout=60, what="every cycle in reporting")
        assert [active_cycles(platform, s) for s in schools] == [per_school] * SCHOOLS
        shares = (handled(first_reporting_port), handled(ports["reporting"]))
        assert sum(shares) == CYCLES, shares  # each event handled once, by one of the two
        assert min(shares) > 0, shares  # and both took part
    finally:
        for process in extra.values():
            process.stop()
