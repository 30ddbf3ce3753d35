"""The fault-injection suite: a known set of commands goes through the gateway while
processes are killed and the broker and the database restart; then every accepted command
must be stored exactly once and every report must equal one rebuilt from scratch.

    make reliability    # the full run, every fault, on a platform of its own (namespace
                        # "reliability": its own vhost and databases)

``make reliability`` runs ``python -m tests.reliability.suite`` (``--short``: the few
faults CI runs, as ``tests/reliability/test_faults.py`` does on the test platform).

Loopback only, bounded: the load stops after ``--commands`` commands, every wait has a
deadline. A command is a teacher starting a cycle (``POST /cycles``) with a teacher id of
its own, so what the stores hold can be counted per command. Beside them, coaches' apps
send offline batches (``POST /sync`` of time entries, each with the app's own ids), and
send a batch again, whole, until every item of it is answered as stored: what is stored is
counted per entry, and reporting's time per coach must equal it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from coachops import clock
from deploy.local import ROOT
from tests.e2e.test_slice import cycle_body
from tests.support import roster
from tests.support.auth import bearer
from tests.support.pg_cluster import Cluster
from tests.support.platform import (
    Platform,
    platform_for_tests,
    rabbitmqctl,
    reset_databases,
    reset_vhost,
    wait_until,
)
from tests.support.reporting import active_cycles
from tests.support.roster import RosterSchool

SCHOOLS = 5
BATCH = 20  # time entries in a /sync batch, five minutes each
SLOTS = 200  # five-minute entries a batch client puts on one day (from midnight)


@dataclass
class Fault:
    name: str
    inject: Callable[[Platform], None]


def kill(service: str) -> Fault:
    def inject(platform: Platform) -> None:
        platform[service].kill()  # SIGKILL: no chance to finish anything
        time.sleep(1.0)
        platform[service].start()
        platform.wait_ready(timeout=90)

    return Fault(f"SIGKILL {service}", inject)


def broker_restart() -> Fault:
    def inject(platform: Platform) -> None:
        rabbitmqctl("stop_app").check_returncode()
        time.sleep(3.0)
        rabbitmqctl("start_app").check_returncode()
        platform.wait_ready(timeout=120)

    return Fault("RabbitMQ restart", inject)


def database_restart() -> Fault:
    def inject(platform: Platform) -> None:
        cluster = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main",
                        "restart"], check=True, capture_output=True, timeout=120)
        platform.wait_ready(timeout=120)

    return Fault("PostgreSQL restart", inject)


def primary_lost(cluster: Cluster, killed_at: list[float] | None = None,
                 promoted_at: list[float] | None = None) -> Fault:
    """The PostgreSQL primary of ``cluster`` SIGKILLed (its machine lost, nothing flushed):
    pg_auto_failover promotes the synchronous standby, the services reconnect to it through
    their URLs naming both nodes, and the lost node comes back as the new primary's standby.
    When it was killed and when the standby took writes go into the lists given."""
    def inject(platform: Platform) -> None:
        time.sleep(2.0)  # some load on the primary first
        killed = time.monotonic()
        lost = cluster.kill_primary()
        promoted = cluster.wait_primary(other_than=lost)
        for times, at in ((killed_at, killed), (promoted_at, promoted)):
            if times is not None:
                times.append(at)
        time.sleep(5.0)  # the district works on the promoted standby alone meanwhile
        cluster.start(lost)  # with its data: pg_rewind, then the new primary's standby
        cluster.wait_states()
        platform.wait_ready(timeout=120)

    return Fault("SIGKILL the PostgreSQL primary", inject)


SHORT = (kill("cycles"), kill("reporting"), kill("gateway"), broker_restart(),
         database_restart())
FULL = (kill("cycles"), kill("reporting"), kill("gateway"), kill("timetracking"),
        kill("agreements"), broker_restart(), database_restart())


@dataclass
class Result:
    faults: list[str]
    sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (teacher, school)
    unanswered: list[tuple[str, str]] = field(default_factory=list)  # outcome unknown
    stored: Counter[str] = field(default_factory=Counter)  # teacher -> cycles stored
    sends: Counter[str] = field(default_factory=Counter)  # teacher -> commands sent
    reports_equal_rebuild: bool | None = None
    # (sent at, answered at, status), on time.monotonic(): for the time writes were refused
    answers: list[tuple[float, float, str]] = field(default_factory=list)
    batches: int = 0  # /sync requests sent, a batch sent again counted again
    entries_sent: int = 0
    acknowledged: set[str] = field(default_factory=set)  # entry ids answered as stored
    entries_stored: Counter[str] = field(default_factory=Counter)  # entry id -> times stored

    def accepted_again(self, since: float) -> float | None:
        """Seconds from ``since`` (a fault) until a command sent after it was accepted."""
        done = [answered for sent, answered, status in self.answers
                if status == "201" and sent >= since]
        return min(done) - since if done else None

    @property
    def duplicates(self) -> int:
        """Cycles stored beyond the commands sent for them (a teacher may get several), and
        time entries stored more than once."""
        return (sum(max(0, n - self.sends[t]) for t, n in self.stored.items())
                + sum(n - 1 for n in self.entries_stored.values() if n > 1))

    @property
    def lost(self) -> int:
        """Accepted cycles and acknowledged time entries that are not stored."""
        accepted = Counter(teacher for teacher, _ in self.accepted)
        return (sum(max(0, n - self.stored[t]) for t, n in accepted.items())
                + sum(1 for entry in self.acknowledged if not self.entries_stored[entry]))

    def table(self) -> str:
        rows = [
            ("faults injected", ", ".join(self.faults) or "none"),
            ("commands sent", self.sent),
            ("accepted (201)", len(self.accepted)),
            ("refused (503, or no answer while down)", len(self.unanswered)),
            ("answers", ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))),
            ("stored", sum(self.stored.values())),
            ("/sync batches sent (again after a failure)", self.batches),
            ("time entries in them: sent, acknowledged, stored",
             f"{self.entries_sent}, {len(self.acknowledged)}, {len(self.entries_stored)}"),
            ("stored of the refused (the caller may retry)",
             sum(1 for t, _ in self.unanswered if self.stored[t])),
            ("duplicates (must be 0)", self.duplicates),
            ("lost (must be 0)", self.lost),
            ("reports equal a rebuild (must be yes)",
             {True: "yes", False: "NO", None: "not checked"}[self.reports_equal_rebuild]),
        ]
        width = max(len(label) for label, _ in rows)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and bool(self.reports_equal_rebuild)


def send(platform: Platform, at: RosterSchool, n: int) -> tuple[str, str, str]:
    # Teachers put on the roster before any fault (the roster may be down during one);
    # past the first round each starts another cycle.
    teacher = at.teachers[n % len(at.teachers)]
    body = cycle_body(at.coaches[0], teacher, at.id)
    school = at.id
    try:
        response = requests.post(f"{platform.url}/cycles", json=body, timeout=30,
                                 headers=bearer(teacher, "teacher"))
        return teacher, school, str(response.status_code)
    except requests.RequestException as error:
        return teacher, school, type(error).__name__


@dataclass
class BatchClient:
    """A coach's app sending its offline time as ``/sync`` batches, a new batch of entries
    on past days each time, and a batch again, whole and with the same ids, until each of
    its items is answered as stored (as the app does after no answer, a 503 or a refusal
    it can retry)."""

    at: RosterSchool
    sent: dict[str, tuple[date, int]] = field(default_factory=dict)  # entry: (day, minutes)
    acknowledged: set[str] = field(default_factory=set)
    requests: int = 0

    @property
    def coach(self) -> str:
        return self.at.coaches[0]

    def batch(self, n: int) -> list[dict[str, Any]]:
        day = clock.today() - timedelta(days=1 + n * BATCH // SLOTS)
        items = []
        for slot in range(n * BATCH % SLOTS, n * BATCH % SLOTS + BATCH):
            entry = str(uuid.uuid4())
            start = f"{slot * 5 // 60:02d}:{slot * 5 % 60:02d}"
            end = f"{(slot * 5 + 5) // 60:02d}:{(slot * 5 + 5) % 60:02d}"
            self.sent[entry] = (day, 5)
            items.append({"client_id": str(uuid.uuid4()), "command": "record_time_entry",
                          "body": {"entry_id": entry, "coach_id": self.coach,
                                   "school_id": self.at.id, "worked_on": day.isoformat(),
                                   "start": start, "end": end,
                                   "category_id": "co-planning"}})
        return items

    def send(self, platform: Platform, items: list[dict[str, Any]],
             go_on: Callable[[], bool]) -> None:
        """The batch until every item is stored, or until ``go_on`` says stop."""
        while True:
            self.requests += 1
            try:
                response = requests.post(f"{platform.url}/sync", json={"items": items},
                                         headers=bearer(self.coach, "coach"), timeout=60)
                results = response.json()["results"] if response.status_code == 200 else []
            except (requests.RequestException, ValueError):
                results = []
            stored = [r["body"]["entry_id"] for r in results
                      if r.get("outcome") in ("accepted", "duplicate")]
            self.acknowledged.update(stored)
            if len(stored) == len(items) or not go_on():
                return
            time.sleep(0.5)

    def stored(self, platform: Platform) -> Counter[str]:
        """How often each entry the app sent is stored, as the coach's days say."""
        counted: Counter[str] = Counter()
        for day in sorted({day for day, _ in self.sent.values()}):
            body = read(platform, f"/coaches/{self.coach}/time/days/{day}",
                        bearer(self.coach, "coach"))
            counted.update(e["entry_id"] for e in body["entries"]
                           if e["entry_id"] in self.sent and not e["voided"])
        return counted

    def minutes_reported(self, platform: Platform) -> int:
        days = [day for day, _ in self.sent.values()]
        body = read(platform, "/reports/time-use", roster.anyone(platform, "district_leader"),
                    {"coach_id": self.coach, "from_date": min(days).isoformat(),
                     "to_date": max(days).isoformat()})
        rows = [r for r in body["rows"] if r["level"] == "coach"]
        return int(rows[0]["minutes"]) if rows else 0


def read(platform: Platform, path: str, headers: dict[str, str],
         params: dict[str, str] | None = None, within: float = 120.0) -> Any:
    """A GET's JSON answer, asked again after a 503 as an app is told to (Retry-After):
    counting after the faults must not fail on a moment's refusal, which is printed."""
    deadline = time.monotonic() + within
    while True:
        response = requests.get(f"{platform.url}{path}", headers=headers, params=params,
                                timeout=30)
        if response.status_code != 503 or time.monotonic() > deadline:
            response.raise_for_status()
            return response.json()
        print(f"503 on GET {path}, asked again: {response.text[:300]}")
        time.sleep(float(response.headers.get("Retry-After", "1")))


def stored_cycles(platform: Platform, teacher: str) -> int:
    body = read(platform, f"/teachers/{teacher}/cycles", bearer(teacher, "teacher"))
    return len(body["cycles"]) + len(body["awaiting_your_answer"])


def rebuild_from_sources(platform: Platform) -> None:
    subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "sources",
         "--database-url", platform.env["REPORTING_DATABASE_URL"],
         "--amqp-uri", platform.env["AMQP_URI"]],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=600,
    )


def run(platform: Platform, faults: tuple[Fault, ...], commands: int = 300,
        concurrency: int = 6, batch_clients: int = 2,
        say: Callable[[str], None] = print) -> Result:
    """Send commands, and ``batch_clients`` apps' ``/sync`` batches, while injecting
    ``faults`` one after another (at least ``commands``, and on until the last fault is
    over; never more than ten times that), then count."""
    ats = [roster.school(platform, coaches=1, teachers=max(1, commands // SCHOOLS))
           for _ in range(SCHOOLS)]
    schools = [at.id for at in ats]
    apps = [BatchClient(at) for at in ats[:batch_clients]]
    result = Result(faults=[f.name for f in faults])
    outcomes: list[tuple[str, str, str]] = []
    answers: list[tuple[float, float, str]] = []
    lock = threading.Lock()
    faults_over = threading.Event()
    load_over = threading.Event()
    # Time tracking learns each coach's school from the roster's events before it takes
    # their time: every app's first batch is stored before any fault.
    learnt_by = time.monotonic() + 120
    for app in apps:
        app.send(platform, app.batch(0), lambda: time.monotonic() < learnt_by)

    def inject_all() -> None:
        try:
            for fault in faults:
                time.sleep(1.0)
                say(f"injecting: {fault.name}")
                fault.inject(platform)
        finally:
            faults_over.set()

    def load() -> None:
        while True:
            with lock:
                n = len(outcomes)
                if (n >= commands and faults_over.is_set()) or n >= commands * 10:
                    return
            sent = time.monotonic()
            outcome = send(platform, ats[n % SCHOOLS], n // SCHOOLS)
            answered = time.monotonic()
            if not outcome[2].isdigit() or outcome[2] == "503":
                # no answer (the gateway is down) or a 503 (Retry-After): a real app backs
                # off too, and the load outlasts a fault instead of spending itself on it
                time.sleep(0.5)
            with lock:
                outcomes.append(outcome)
                answers.append((sent, answered, outcome[2]))
                if len(outcomes) % 100 == 0:
                    say(f"sent {len(outcomes)}")

    over_at: list[float] = []

    def unstored_batch_again() -> bool:
        """Whether an app sends a batch not yet all stored again: while the load runs, and
        for two minutes after it (the last fault's recovery)."""
        return not over_at or time.monotonic() < over_at[0] + 120

    def offline(app: BatchClient) -> None:
        n = 1
        while not load_over.is_set():
            app.send(platform, app.batch(n), unstored_batch_again)
            n += 1

    injector = threading.Thread(target=inject_all, name="faults")
    injector.start()
    with ThreadPoolExecutor(max_workers=concurrency + len(apps)) as pool:
        offline_apps = [pool.submit(offline, app) for app in apps]
        for future in [pool.submit(load) for _ in range(concurrency)]:
            future.result()
        over_at.append(time.monotonic())
        load_over.set()
        for future in offline_apps:
            future.result()
    injector.join()
    platform.wait_ready(timeout=120)

    result.sent = len(outcomes)
    result.answers = answers
    for teacher, school, status in outcomes:
        result.sends[teacher] += 1
        result.statuses[status] += 1
        (result.accepted if status == "201" else result.unanswered).append((teacher, school))
    school_of = {teacher: school for teacher, school, _ in outcomes}
    for teacher in school_of:
        result.stored[teacher] = stored_cycles(platform, teacher)
    for app in apps:
        result.batches += app.requests
        result.entries_sent += len(app.sent)
        result.acknowledged |= app.acknowledged
        result.entries_stored += app.stored(platform)
    def reported_as_stored(app: BatchClient) -> bool:
        minutes = sum(m for entry, (_, m) in app.sent.items() if result.entries_stored[entry])
        return app.minutes_reported(platform) == minutes

    for app in apps:
        wait_until(lambda: reported_as_stored(app), timeout=120,  # noqa: B023 (waited here)
                   what="reporting to count every stored time entry")
    per_school = Counter({s: 0 for s in schools})
    for teacher, school in school_of.items():
        per_school[school] += result.stored[teacher]
    wait_until(lambda: all(active_cycles(platform, s) == per_school[s] for s in schools),
               timeout=120, what="reporting to count every stored cycle")
    before = reports(platform, schools)
    say("rebuilding reporting from the sources to compare")
    rebuild_from_sources(platform)
    result.reports_equal_rebuild = reports(platform, schools) == before
    return result


def reports(platform: Platform, schools: list[str]) -> list[object]:
    """What reporting says of the run's schools: active cycles, and each school's cycle
    activity and time use for the school year."""
    said: list[object] = []
    for school in schools:
        said.append(active_cycles(platform, school))
        for view in ("cycle-activity", "time-use"):
            said.append(read(platform, f"/reports/{view}",
                             roster.anyone(platform, "district_leader"),
                             {"school_id": school})["rows"])
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the few faults CI runs")
    parser.add_argument("--commands", type=int, default=600)
    args = parser.parse_args(argv)
    reset_vhost()
    reset_databases()
    platform = platform_for_tests(Path(ROOT / "var" / "reliability"))
    platform.start()
    try:
        result = run(platform, SHORT if args.short else FULL, commands=args.commands)
    finally:
        platform.stop()
    print(result.table())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
