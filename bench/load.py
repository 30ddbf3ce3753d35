"""The load generator: coaches' apps sending time entries and cycle proposals through the
gateway, one at a time (single commands) or as offline batches. It runs in processes of
its own (``multiprocessing`` spawn), each with a few threads; a thread owns its coaches,
as one device per coach would, so two requests never race for one coach's day.

Bounded in time (``seconds``) and in count (``max_events``, and the days a coach can fill:
twelve half-hour entries a day from 07:00, on past days only)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.probes import peak_memory_mb

ENTRIES_PER_DAY = 12
ECHO_PATH = "/echo"  # the floor's route (``bench.echo``)
CATEGORIES = ("coaching-cycle", "co-planning", "group-coaching", "modelling",
              "covering-classes", "tech-support", "admin-tasks", "duties")


@dataclass(frozen=True)
class Coach:
    id: str
    school_id: str
    token: str
    teacher_id: str  # a teacher at the coach's school, for cycle proposals


@dataclass
class Job:
    """What one load process does; picklable, so it crosses to the spawned process."""

    port: int
    mode: str  # "single", a batch: "sync" (POST /sync) or "csv" (the CSV import), or
    # "echo": the same time entries to the bare nameko echo (``bench.echo``), no cycles
    coaches: list[Coach]
    newest_day: date  # the most recent day entries go on; earlier days follow
    days: int  # how many days back a coach may fill
    seconds: float
    max_events: int
    threads: int
    batch_size: int = 500
    cycle_every: int = 10  # in single mode, every n-th command proposes a cycle
    start_at: float = 0.0  # time.time() to begin at, so every process starts together


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    events: int = 0  # integration events the accepted commands cause
    requests: int = 0
    first_sent: float = 0.0
    last_answered: float = 0.0
    errors: list[str] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)  # each load process's VmHWM

    def merge(self, other: Outcome) -> None:
        self.latencies_ms += other.latencies_ms
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.events += other.events
        self.requests += other.requests
        self.first_sent = min(x for x in (self.first_sent, other.first_sent) if x) \
            if (self.first_sent or other.first_sent) else 0.0
        self.last_answered = max(self.last_answered, other.last_answered)
        self.errors += other.errors[:5]
        self.peak_mb += other.peak_mb


def slot(n: int, newest_day: date) -> tuple[date, str, str]:
    """The n-th entry a coach can log: half an hour, from 07:00, days going back."""
    day = newest_day - timedelta(days=n // ENTRIES_PER_DAY)
    start = 7 * 60 + (n % ENTRIES_PER_DAY) * 30
    end = start + 30
    return day, f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


class Client:
    """One keep-alive HTTP connection to the gateway."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def post(self, path: str, body: bytes, token: str, content_type: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        try:
            self.connection.request("POST", path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
            raise


def time_entry(coach: Coach, n: int, newest_day: date) -> dict[str, Any]:
    day, start, end = slot(n, newest_day)
    return {"entry_id": str(uuid.uuid4()), "coach_id": coach.id, "school_id": coach.school_id,
            "worked_on": day.isoformat(), "start": start, "end": end,
            "category_id": CATEGORIES[n % len(CATEGORIES)]}


def cycle_proposal(coach: Coach, today: date) -> dict[str, Any]:
    return {"coach_id": coach.id, "teacher_ids": [coach.teacher_id],
            "school_id": coach.school_id, "focus_area_ids": ["danielson-2b"],
            "goal": {"what": "More students explain their reasoning aloud",
                     "measure": "tally of student explanations per lesson",
                     "by": (today + timedelta(days=42)).isoformat()}}


def batch_csv(coach: Coach, first: int, count: int, newest_day: date) -> str:
    """The spreadsheet an offline app uploads: ``count`` entries from slot ``first`` on."""
    lines = ["date,start,end,category"]
    for n in range(first, first + count):
        day, start, end = slot(n, newest_day)
        lines.append(f"{day.isoformat()},{start},{end},{CATEGORIES[n % len(CATEGORIES)]}")
    return "\n".join(lines) + "\n"


def sync_batch(coach: Coach, first: int, count: int, newest_day: date) -> dict[str, Any]:
    """What an app queued offline, as ``POST /sync`` takes it: one item per entry."""
    return {"items": [{"client_id": str(uuid.uuid4()), "command": "record_time_entry",
                       "body": time_entry(coach, n, newest_day)}
                      for n in range(first, first + count)]}


def accepted(mode: str, answer: bytes, sent: int) -> int:
    """Events the platform took from one successful request."""
    if mode == "sync":
        return int(json.loads(answer)["counts"]["accepted"])
    return sent


def _drive(job: Job, coaches: list[Coach], budget: list[int], lock: threading.Lock,
           outcome: Outcome, deadline: float) -> None:
    client = Client(job.port)
    capacity = job.days * ENTRIES_PER_DAY
    used = dict.fromkeys((c.id for c in coaches), 0)
    turn = 0
    while coaches and time.time() < deadline:
        coach = coaches[turn % len(coaches)]
        turn += 1
        size = job.batch_size if job.mode in ("sync", "csv") else 1
        if used[coach.id] + size > capacity:
            coaches = [c for c in coaches if c.id != coach.id]  # this coach's days are full
            continue
        with lock:
            if budget[0] < size:
                return
            budget[0] -= size
        if job.mode == "csv":
            path = f"/coaches/{coach.id}/time-entries/import?school_id={coach.school_id}"
            body = batch_csv(coach, used[coach.id], size, job.newest_day).encode()
            content_type, events = "text/csv", size
        elif job.mode == "sync":
            path, content_type, events = "/sync", "application/json", size
            body = json.dumps(sync_batch(coach, used[coach.id], size, job.newest_day)).encode()
        elif job.mode == "echo":
            path, content_type, events = ECHO_PATH, "application/json", 1
            body = json.dumps(time_entry(coach, used[coach.id], job.newest_day)).encode()
        elif job.cycle_every and turn % job.cycle_every == 0:
            path, content_type, events = "/cycles", "application/json", 1
            body = json.dumps(cycle_proposal(coach, job.newest_day)).encode()
            size = 0
        else:
            path, content_type, events = "/time-entries", "application/json", 1
            body = json.dumps(time_entry(coach, used[coach.id], job.newest_day)).encode()
        used[coach.id] += size
        sent = time.time()
        began = time.perf_counter()
        try:
            status, answer = client.post(path, body, coach.token, content_type)
        except (OSError, http.client.HTTPException) as error:
            status, answer = 599, repr(error).encode()
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            outcome.first_sent = min(outcome.first_sent or sent, sent)
            outcome.last_answered = max(outcome.last_answered, time.time())
            outcome.latencies_ms.append(elapsed)
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            outcome.requests += 1
            if status in (200, 201):
                outcome.events += accepted(job.mode, answer, events)
            elif len(outcome.errors) < 5:
                outcome.errors.append(f"{status} {path.split('?')[0]}: {answer[:300]!r}")


def run(job: Job) -> Outcome:
    """One load process: ``job.threads`` threads, each with its share of the coaches."""
    if job.start_at:
        time.sleep(max(0.0, job.start_at - time.time()))
    deadline = time.time() + job.seconds
    outcome, lock, budget = Outcome(), threading.Lock(), [job.max_events]
    threads = [threading.Thread(target=_drive, daemon=True,
                                args=(job, job.coaches[t::job.threads], budget, lock, outcome,
                                      deadline))
               for t in range(job.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak = peak_memory_mb(os.getpid())
    outcome.peak_mb = [peak] if peak is not None else []
    return outcome
