"""The work of one offline batch inside time tracking, counted rather than timed (a shared
machine's seconds move with the others' load; counts do not): the batch's ``sync`` as the
service runs it, with ``--items`` ``record_time_entry`` items as the bench's coaches send
them (bench/load.py), on the library's in-memory store or, with ``--database-url``, on a
PostgreSQL database of its own (emptied first: give a scratch one). It prints, per batch,
the function calls (cProfile) per item and per stored event, how often an aggregate's
pending events were looked at, and the statements and commits sent to PostgreSQL; then the
same for single commands. Issue #23's lever 3 in bench/README.md was measured with it.

    .venv/bin/python -m bench.batch_work --items 500 --database-url postgresql://...

Against another tree's code (``main``'s, for a before figure), put that tree first:
``PYTHONPATH=<tree> .venv/bin/python bench/batch_work.py ...`` (its imports are the tree's).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta
from functools import partial
from typing import Any

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import psycopg2  # noqa: E402
import psycopg2.extensions  # noqa: E402
from eventsourcing.domain import BaseAggregate  # noqa: E402
from nameko.testing.services import worker_factory  # noqa: E402

from bench.load import CATEGORIES, slot  # noqa: E402
from coachops import cli, logs, settings  # noqa: E402
from coachops.identity import Actor, Role  # noqa: E402
from coachops.store import database as store_database  # noqa: E402
from services.timetracking.app import TimeTracking  # noqa: E402
from services.timetracking.domain import EntryValues  # noqa: E402
from services.timetracking.service import TimeTrackingService  # noqa: E402

COACH, SCHOOL = uuid.UUID(int=1), uuid.UUID(int=2)
NEWEST_DAY = date(2026, 10, 5)
COUNTS = {"statements": 0, "commits": 0, "pending": 0}


class CountingCursor(psycopg2.extensions.cursor):
    def execute(self, query: Any, vars: Any = None) -> None:
        COUNTS["statements"] += 1
        super().execute(query, vars)


class CountingConnection(psycopg2.extensions.connection):
    def commit(self) -> None:
        COUNTS["commits"] += 1
        super().commit()

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cursor_factory", CountingCursor)
        return super().cursor(*args, **kwargs)


@contextmanager
def counted() -> Iterator[None]:
    """Statements, commits and reads of pending events, counted while inside."""
    connect = store_database.PostgresDatabase._connect
    pending_events = BaseAggregate.pending_events

    def counting_connect(database: store_database.PostgresDatabase) -> Any:
        return psycopg2.connect(database.url, connection_factory=CountingConnection,
                                **database._connect_args)

    def read(aggregate: Any) -> Any:
        COUNTS["pending"] += 1
        return pending_events.fget(aggregate)  # type: ignore[attr-defined]

    setattr(store_database.PostgresDatabase, "_connect", counting_connect)  # noqa: B010
    setattr(BaseAggregate, "pending_events", property(read))  # noqa: B010
    try:
        yield
    finally:
        setattr(store_database.PostgresDatabase, "_connect", connect)  # noqa: B010
        setattr(BaseAggregate, "pending_events", pending_events)  # noqa: B010


def items(count: int, days_back: int) -> list[dict[str, Any]]:
    """An app's offline queue: half-hour entries, twelve a day, days going back."""
    queued = []
    for n in range(count):
        day, start, end = slot(n, NEWEST_DAY - timedelta(days=days_back))
        queued.append({"client_id": str(uuid.uuid4()), "command": "record_time_entry",
                       "body": {"entry_id": str(uuid.uuid4()), "coach_id": str(COACH),
                                "school_id": str(SCHOOL), "worked_on": day.isoformat(),
                                "start": start, "end": end,
                                "category_id": CATEGORIES[n % len(CATEGORIES)]}})
    return queued


def application(database_url: str | None) -> TimeTracking:
    if database_url is None:
        app = TimeTracking(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    else:
        app = TimeTracking(env={"DATABASE_URL": database_url, "POSTGRES_POOL_SIZE": "2"})
        with app.factory.database.transaction() as cursor:  # type: ignore[attr-defined]
            cursor.execute("TRUNCATE timetracking_events, timetracking_events_requests")
    app.learn_assignment(COACH, SCHOOL, date(2020, 8, 1), assigned=True)
    app.category_list()
    return app


def measured(app: TimeTracking, work: Callable[[], object]) -> tuple[int, dict[str, int], int]:
    """Function calls, counts and events stored of ``work``, in a request of its own."""
    before = app.recorder.max_notification_id() or 0
    COUNTS.update(statements=0, commits=0, pending=0)
    profile = cProfile.Profile()
    logs.bind(f"batch-work-{uuid.uuid4()}")  # as a worker binds its request's id
    try:
        profile.enable()
        work()
        profile.disable()
    finally:
        logs.bind(None)
    seen = dict(COUNTS)
    stored = (app.recorder.max_notification_id() or 0) - before
    # Less the calls the counting itself adds: one for each read and statement counted.
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return calls - sum(seen.values()), seen, stored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batch_work", description=__doc__)
    parser.add_argument("--items", type=int, nargs="+", default=[500],
                        help="items of each batch, one batch per number")
    parser.add_argument("--singles", type=int, default=48, help="single commands after")
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (emptied)")
    args = parser.parse_args(argv)
    settings.start()
    with counted():  # from the first connection on
        app = application(args.database_url)
        service = worker_factory(TimeTrackingService, timetracking=app)
        actor = {"id": str(COACH), "role": "coach"}
        days_back = 0
        for size in args.items:
            batch = items(size, days_back)
            days_back += size // 12 + 2
            calls, seen, stored = measured(app, partial(service.sync, actor, batch))
            print(f"batch of {size}: {stored} events stored; function calls {calls / size:.0f}"
                  f" per item, {calls / stored:.0f} per event; pending events looked at "
                  f"{seen['pending'] / size:.1f} times per item; {seen['statements']} "
                  f"statements, {seen['commits']} commits")
        coach = Actor(COACH, Role.COACH)
        singles = [EntryValues.of(school_id=SCHOOL, worked_on=date.fromisoformat(b["worked_on"]),
                                  category_id=b["category_id"],
                                  start=time.fromisoformat(b["start"]),
                                  end=time.fromisoformat(b["end"]))
                   for b in (item["body"] for item in items(args.singles, days_back))]
        totals = {"calls": 0, "statements": 0, "commits": 0}
        for values in singles:
            calls, seen, _ = measured(app, partial(
                app.record_entry, coach, COACH, values, NEWEST_DAY + timedelta(days=1)))
            totals["calls"] += calls
            totals["statements"] += seen["statements"]
            totals["commits"] += seen["commits"]
        if singles:
            n = len(singles)
            print(f"single commands ({n}): function calls {totals['calls'] / n:.0f} per command;"
                  f" {totals['statements'] / n:.2f} statements, {totals['commits'] / n:.2f}"
                  " commits per command")
    app.close()
    return 0


if __name__ == "__main__":
    cli.run(main)
