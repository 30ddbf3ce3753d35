"""The rebuild rate at scale: a reporting database of its own holding a million (``--rebuild-
events``) received events, derived again by ``python -m services.reporting.rebuild --from
received`` as district IT runs it.

The events the load phases send (tens of thousands) rebuild in a second or two, most of
it the command starting up, so they say little about the rate. Here ``received_events`` is
filled with ``COPY``: the district's roster as the roster import publishes it (each school
in its region, each coach at their school) and time entries over three school years as
time tracking publishes them, 5% of them corrected and 2% voided. The rate is the events
over the rebuild's own time (it prints it); the command's whole time, start-up included,
is in the JSON.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg2

from bench.load import CATEGORIES
from bench.reports import FIRST_DAY, KINDS, NULL, ROOT, Placement
from coachops.store.admin import drop_database, ensure_role_and_database
from services.reporting import replay

COLUMNS = ("source, position, previous_position, stream_id, stream_position, event_type,"
           " entity_key, recorded_at, occurred_at, payload")
CORRECTED, VOIDED = 0.05, 0.02


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class _Events:
    """A file-like stream of ``received_events`` rows in COPY text, made as PostgreSQL
    reads it."""

    def __init__(self, count: int, where: list[Placement], seed: int) -> None:
        self.random = random.Random(seed)
        self.lines = self._lines(count, where)
        self.pending = ""
        self.made = 0
        self.now = datetime.now(UTC).isoformat()

    def _line(self, source: str, position: int, event_type: str, key: str | None,
              payload: dict[str, object]) -> str:
        previous = str(position - 1) if position > 1 else NULL
        return (f"{source}\t{position}\t{previous}\t{uuid.uuid4()}\t1\t{event_type}\t"
                f"{key or NULL}\t{self.now}\t{self.now}\t"
                f"{_copy_text(json.dumps(payload))}\n")

    def _lines(self, count: int, where: list[Placement]) -> Iterator[str]:
        position = 0
        since = FIRST_DAY.isoformat()
        for school, region in sorted({(p.school_id, p.region_id) for p in where if p.region_id}):
            position += 1
            yield self._line("agreements", position, "SchoolAssignedToRegion", None,
                             {"school_id": school, "region_id": region, "effective_on": since})
        for p in where:
            position += 1
            yield self._line("agreements", position, "CoachAssignedToSchool", None,
                             {"coach_id": p.coach_id, "school_id": p.school_id,
                              "effective_on": since})
        rand, days, position = self.random, (date.today() - FIRST_DAY).days, 0
        while position < count:
            p = where[rand.randrange(len(where))]
            category = CATEGORIES[rand.randrange(len(CATEGORIES))]
            entry = str(uuid.UUID(int=rand.getrandbits(128), version=4))
            recorded = {"entry_id": entry, "coach_id": p.coach_id, "school_id": p.school_id,
                        "worked_on": (FIRST_DAY + timedelta(days=rand.randrange(days))).isoformat(),
                        "minutes": 15 * (1 + rand.randrange(6)), "category_id": category,
                        "category_kind": KINDS[category], "cycle_id": None,
                        "focus_area_id": None}
            position += 1
            yield self._line("timetracking", position, "TimeEntryRecorded",
                             f"entry_id:{entry}", recorded)
            later = rand.random()
            if later < CORRECTED:
                position += 1
                yield self._line("timetracking", position, "TimeEntryCorrected",
                                 f"entry_id:{entry}", {**recorded, "minutes": 60})
            elif later < CORRECTED + VOIDED:
                position += 1
                yield self._line("timetracking", position, "TimeEntryVoided",
                                 f"entry_id:{entry}", {"entry_id": entry,
                                                       "coach_id": p.coach_id})
        self.made = position

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self.pending) < size:
            line = next(self.lines, None)
            if line is None:
                break
            self.pending += line
        if size < 0:
            size = len(self.pending)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    readline = read


def fill(admin_url: str, database: str, count: int, where: list[Placement],
         progress: Callable[[str], None]) -> str:
    """A fresh reporting database ``database`` holding ``count`` time events and the
    roster; returns its URL."""
    drop_database(admin_url, database)
    ensure_role_and_database(admin_url, database, database)
    url = f"postgresql://{database}@127.0.0.1:5432/{database}"
    connection = psycopg2.connect(url)
    try:
        with connection, connection.cursor() as cursor:
            replay.ensure_current(cursor)  # empty read models of the current version
            progress(f"storing {count:,} received events with COPY ...")
            # psycopg2 reads text from any read(); its stubs ask for bytes or a TextIO.
            cursor.copy_expert(f"COPY received_events ({COLUMNS}) FROM STDIN",
                               _Events(count, where, seed=count),  # type: ignore[arg-type]
                               size=1 << 20)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE received_events")
    finally:
        connection.close()
    return url


def rebuild(url: str) -> tuple[int, float, float]:
    """``rebuild --from received`` on ``url``: (events, its own seconds, the command's)."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url", url], cwd=ROOT, capture_output=True, text=True, timeout=3600,
        check=False)
    whole = time.monotonic() - began
    if done.returncode != 0:
        raise RuntimeError(f"rebuild at scale failed:\n{done.stderr[-3000:]}")
    return (*parse(done.stdout), whole)


def parse(output: str) -> tuple[int, float]:
    """(events, seconds) of the rebuild's last line: "rebuild complete: N events in S s
    (R events/s)"."""
    words = output.strip().splitlines()[-1].split(":", 1)[1].split()
    return int(words[0]), float(words[3])
