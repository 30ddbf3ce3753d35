"""A load phase: the load processes send for a while, then the phase waits until reporting
holds every accepted event, and measures what happened on the way."""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import psycopg2
import requests

from bench import load, probes
from bench.results import percentile
from bench.stack import ADMIN_URL, Stack
from coachops.serve import CONFIG, NAMEKO
from deploy.local import ServiceProcess
from tests.support.platform import DATABASES, free_port, wait_until

LAG = "coachops_projection_lag_seconds"


def say(line: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


def scalar(url: str, query: str) -> int:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return int(cursor.fetchall()[0][0])
    finally:
        connection.close()


def wait(check: Any, timeout: float, what: str, every: float = 0.05) -> float:
    """Polls until ``check()``; returns the wall-clock time it first held."""
    deadline = time.monotonic() + timeout
    last_said = time.monotonic()
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        if time.monotonic() - last_said > 10:
            say(f"  ... still waiting for {what}")
            last_said = time.monotonic()
        time.sleep(every)
    return time.time()


@dataclass
class Phase:
    name: str
    outcome: load.Outcome
    visible_at: float  # when reporting held every accepted event
    lags_ms: list[float] = field(default_factory=list)
    lag: probes.Buckets = field(default_factory=dict)  # the Prometheus histogram's view
    cpu_ms_per_event: dict[str, float] = field(default_factory=dict)  # by process
    load_average: tuple[float, float] = (0.0, 0.0)  # the machine's, before and after
    work_per_event: dict[str, float] = field(default_factory=dict)  # rows, WAL, messages

    @property
    def accepted_per_second(self) -> float:
        return self.outcome.events / max(self.outcome.last_answered - self.outcome.first_sent,
                                         1e-9)

    @property
    def end_to_end_per_second(self) -> float:
        return self.outcome.events / max(self.visible_at - self.outcome.first_sent, 1e-9)

    @property
    def requests_per_second(self) -> float:
        return self.outcome.requests / max(self.outcome.last_answered - self.outcome.first_sent,
                                           1e-9)

    def summary(self) -> dict[str, Any]:
        o = self.outcome
        return {"requests": o.requests, "events": o.events, "statuses": o.statuses,
                "errors": o.errors, "seconds_sending": o.last_answered - o.first_sent,
                "seconds_to_visible": self.visible_at - o.first_sent,
                "load_process_peak_mb": o.peak_mb,
                "cpu_ms_per_event": self.cpu_ms_per_event,
                "work_per_event": self.work_per_event,
                "machine_load_average_before_after": self.load_average,
                "lag_ms_by_timestamps": {q: percentile(self.lags_ms, q) for q in (50, 99)},
                "lag_s_by_histogram": {q: probes.quantile(self.lag, q / 100)
                                       for q in (50, 99)}}


def reporting_lag(stack: Stack, sources: Collection[str] = ()) -> probes.Buckets:
    return probes.add(*(probes.histogram(probes.scrape(port), LAG, sources)
                        for name, port in stack.metrics_ports.items()
                        if name.startswith("reporting") and stack.platform is not None
                        and stack.platform[name].alive()))


LOADED = ("timetracking", "cycles")  # the sources the load writes to
RECEIVED = f"SELECT count(*) FROM received_events WHERE source IN {LOADED}"


def projected(stack: Stack) -> float:
    """How many of the load's events reporting has handled: its lag histogram's count (one
    observation per event, once committed), scraped from each instance. Cheap to poll,
    where counting ``received_events`` scans everything the phase sent each time, on the
    same two cores as what is measured; it may count an event delivered twice, so the
    count is checked once it says all are there."""
    return reporting_lag(stack, LOADED).get(math.inf, 0.0)


def visible(stack: Stack, events: int, before: tuple[int, float], timeout: float,
            what: str) -> float:
    """When reporting held all ``events`` more than ``before`` (its count of
    ``received_events`` and ``projected``): polled through the metrics, then counted."""
    reporting = psycopg2.connect(stack.database_url("reporting"))
    reporting.autocommit = True
    try:
        with reporting.cursor() as cursor:
            def counted() -> bool:
                cursor.execute(RECEIVED)
                return int(cursor.fetchall()[0][0]) >= before[0] + events

            deadline = time.monotonic() + timeout
            at = wait(lambda: projected(stack) >= before[1] + events, timeout, what, 0.1)
            if counted():
                return at
            # A redelivery was counted twice: count until all are there.
            return wait(counted, max(deadline - time.monotonic(), 1.0), what, 0.25)
    finally:
        reporting.close()
# Each event's lag: from its commit at the source (recorded_at) to the start of the
# reporting transaction that claimed it (processed_at).
LAGS = """
SELECT extract(epoch FROM p.processed_at - r.recorded_at) * 1000
FROM received_events r JOIN processed_events p USING (source, position)
WHERE r.source IN ('timetracking', 'cycles') AND p.processed_at >= to_timestamp(%s)"""


def lags_ms(url: str, since: float) -> list[float]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAGS, (since,))
            return [float(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()


def drive(stack: Stack, args: argparse.Namespace, name: str, mode: str,
          coaches: list[load.Coach], newest: date, days: int) -> Phase:
    reporting = stack.database_url("reporting")
    before, lag_before = (scalar(reporting, RECEIVED), projected(stack)), reporting_lag(stack)
    load_before = os.getloadavg()[0]
    work_before = work(stack)
    cpu_before = {process: probes.cpu_seconds(pid) for process, pid in stack.pids().items()}
    servers_before = probes.shared_server_cpu_seconds()
    machine_before = probes.machine_cpu_seconds()
    concurrency = args.concurrency if mode == "single" else args.batch_concurrency
    processes = max(1, min(args.processes, concurrency))
    start_at = time.time() + 3  # every process starts together, after spawning
    jobs = [load.Job(port=stack.gateway_port, mode=mode, coaches=coaches[p::processes],
                     newest_day=newest, days=days, seconds=args.seconds,
                     max_events=args.max_events // processes,
                     threads=max(1, concurrency // processes), batch_size=args.batch_size,
                     start_at=start_at)
             for p in range(processes)]
    say(f"{name}: {processes} load processes x {jobs[0].threads} threads for "
        f"{args.seconds:.0f}s ...")
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pending = pool.map_async(load.run, jobs)
        while not pending.ready():
            pending.wait(5)
            if time.time() > start_at:
                seen = int(projected(stack) - before[1])
                say(f"  {name}: {time.time() - start_at:.0f}s, {seen:,} events in reporting")
        outcomes = pending.get()
    outcome = outcomes[0]
    for other in outcomes[1:]:
        outcome.merge(other)
    say(f"{name}: {outcome.requests:,} requests, {outcome.events:,} events accepted, "
        f"statuses {outcome.statuses}; waiting for reporting ...")
    if outcome.errors:
        say(f"  first refusals: {outcome.errors[:3]}")
    visible_at = visible(stack, outcome.events, before, max(120.0, 10 * args.seconds),
                         f"{name} in reporting")
    # CPU each service process spent per event: what the figures would be on a machine of
    # our own (this one is shared), and where the work goes.
    cpu = {process: ((probes.cpu_seconds(pid) or 0.0) - (cpu_before.get(process) or 0.0))
                    * 1000 / max(outcome.events, 1)
           for process, pid in stack.pids().items()}
    # And what PostgreSQL, RabbitMQ and the whole machine (the load generator too) spent:
    # the budget two cores give each event.
    servers = probes.shared_server_cpu_seconds()
    cpu.update({server: (seconds - servers_before[server]) * 1000 / max(outcome.events, 1)
                for server, seconds in servers.items()})
    cpu["machine"] = ((probes.machine_cpu_seconds() - machine_before) * 1000
                      / max(outcome.events, 1))
    say(f"  {name}: CPU ms per event " + ", ".join(f"{n} {ms:.2f}" for n, ms in cpu.items()))
    lags = lags_ms(reporting, start_at - 1)
    time.sleep(probes.STATISTICS_FLUSHED_SECONDS)
    per_event = {what: (value - work_before[what]) / max(outcome.events, 1)
                 for what, value in work(stack).items()}
    say(f"  {name}: per event {per_event['rows_written']:.1f} rows written, "
        f"{per_event['wal_bytes'] / 1024:.1f} KiB of WAL, "
        f"{per_event['events_published']:.2f} events in "
        f"{per_event['messages_published']:.3f} messages published by the relays")
    return Phase(name, outcome, visible_at, lags,
                 probes.difference(reporting_lag(stack), lag_before), cpu,
                 (load_before, os.getloadavg()[0]), per_event)


def work(stack: Stack) -> dict[str, float]:
    """What the platform has written so far: rows and WAL in PostgreSQL, events and the
    messages that carried them to the bus (each relay's counts)."""
    done = probes.database_work(ADMIN_URL, [f"coachops_{stack.namespace}_{service}"
                                            for service in DATABASES])
    alive = [probes.scrape(port) for name, port in stack.metrics_ports.items()
             if stack.platform is not None and stack.platform[name].alive()]
    done["events_published"] = sum(probes.counter(scraped, "coachops_events_published")
                                   for scraped in alive)
    done["messages_published"] = sum(probes.counter(scraped, "coachops_messages_published")
                                     for scraped in alive)
    return done


@dataclass
class Floor:
    outcome: load.Outcome
    cpu_ms_per_request: float | None  # the echo process's CPU (both services are in it)

    @property
    def requests_per_second(self) -> float:
        spent = self.outcome.last_answered - self.outcome.first_sent
        return self.outcome.requests / spent if spent > 0 else 0.0


def echo_floor(stack: Stack, args: argparse.Namespace, coaches: list[load.Coach],
               newest: date) -> Floor:
    """Start the echo, drive it as the single commands are driven, stop it."""
    port = free_port()
    process = ServiceProcess("bench-echo", stack.env(), stack.log_dir, command=[
        sys.executable, "-c", NAMEKO, "run", "--config", CONFIG, "bench.echo"])
    process.start(GATEWAY_ADDRESS=f"127.0.0.1:{port}")
    try:
        wait_until(lambda: _echo_answers(port), timeout=60, what="the bare nameko echo")
        assert process.process is not None
        cpu_before = probes.cpu_seconds(process.process.pid)
        processes = max(1, min(args.processes, args.concurrency))
        start_at = time.time() + 3
        jobs = [load.Job(port=port, mode="echo", coaches=coaches[p::processes],
                         newest_day=newest, days=3650, seconds=args.seconds,
                         max_events=args.max_events // processes,
                         threads=max(1, args.concurrency // processes), start_at=start_at)
                for p in range(processes)]
        say(f"echo floor: {processes} load processes x {jobs[0].threads} threads for "
            f"{args.seconds:.0f}s ...")
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            outcomes = pool.map(load.run, jobs)
        cpu_after = probes.cpu_seconds(process.process.pid)
    finally:
        process.stop()
    outcome = outcomes[0]
    for other in outcomes[1:]:
        outcome.merge(other)
    cpu = (None if cpu_before is None or cpu_after is None
           else (cpu_after - cpu_before) * 1000 / max(outcome.requests, 1))
    floor = Floor(outcome, cpu)
    say(f"echo floor: {outcome.requests:,} requests, {floor.requests_per_second:,.0f}/s, "
        f"statuses {outcome.statuses}, CPU {cpu or 0:.2f} ms per request")
    return floor


def _echo_answers(port: int) -> bool:
    try:
        return requests.post(f"http://127.0.0.1:{port}{load.ECHO_PATH}", json={"up": True},
                             timeout=2).status_code == 201
    except requests.RequestException:
        return False
