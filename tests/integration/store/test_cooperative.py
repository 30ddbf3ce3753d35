"""The store cooperates with eventlet: green threads' queries overlap instead of queueing.

pytest itself is not monkey patched, so the work runs in a subprocess that patches first,
as ``nameko run`` does. Ten green threads each hold a transaction through a 0.3 s
``pg_sleep`` and a recorder read; cooperative, they take about as long as one; blocking,
ten times as long. The same script without the patch is the control: it shows the
measurement can tell the two apart. The patched run also checks that callers waiting for
a connection from a small pool, and a LISTEN/NOTIFY subscription, yield to the others.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

SCRIPT = """
import sys
if sys.argv[2] == "patched":
    import eventlet
    eventlet.monkey_patch()
else:
    import eventlet

import json
import time
from uuid import uuid4

import psycopg2.extensions
from eventsourcing.persistence import StoredEvent

from coachops.store import PostgresDatabase, PostgresApplicationRecorder

N = 10
patched = sys.argv[2] == "patched"
assert (psycopg2.extensions.get_wait_callback() is not None) == patched

# Each unit holds two connections: its own transaction's and the recorder's read.
database = PostgresDatabase(sys.argv[1], pool_size=2 * N)
recorder = PostgresApplicationRecorder(database, events_table_name="cooperative_events")
recorder.create_table()
if recorder.max_notification_id() is None:
    recorder.insert_events([StoredEvent(uuid4(), 1, "test:Event", b"{}")])


def unit(_: object = None) -> None:
    with database.transaction() as cursor:
        cursor.execute("SELECT pg_sleep(0.3)")
        assert [n.id for n in recorder.select_notifications(None, 10)] == [1]


def all_at_once() -> None:
    list(eventlet.GreenPool(N).imap(unit, range(N)))


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if patched:
    all_at_once()  # open the pool's connections first, so connecting is not timed
figures = {"n": N, "single": timed(unit), "concurrent": timed(all_at_once)}

if patched:
    # N callers on a pool of 2: the waiting ones must yield, or the hub stalls.
    small = PostgresDatabase(sys.argv[1], pool_size=2)

    def short_unit(_: object) -> None:
        with small.transaction() as cursor:
            cursor.execute("SELECT pg_sleep(0.1)")

    figures["pool_of_2"] = timed(lambda: list(eventlet.GreenPool(N).imap(short_unit, range(N))))
    small.close()

    # A subscriber hears an insert made by another green thread.
    with recorder.subscribe(gt=recorder.max_notification_id()) as subscription:
        eventlet.spawn_after(
            0.2, recorder.insert_events, [StoredEvent(uuid4(), 1, "test:Event", b"{}")]
        )
        figures["subscription"] = timed(lambda: next(subscription))

database.close()
print(json.dumps(figures))
"""


def run(database_url: str, mode: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, database_url, mode],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"\n{mode}: 1 unit {figures['single']:.3f}s,"
        f" {figures['n']} units at once {figures['concurrent']:.3f}s"
        f" ({figures['concurrent'] / figures['single']:.1f}x)"
    )
    return figures


def test_green_threads_overlap_their_store_work(empty_tables: str) -> None:
    figures = run(empty_tables, "patched")
    assert figures["concurrent"] < 3 * figures["single"]
    # 10 x 0.1 s on 2 connections: 0.5 s when waiting is green (1 s if serial).
    print(f"10 units of 0.1s on a pool of 2: {figures['pool_of_2']:.3f}s")
    assert figures["pool_of_2"] < 0.8
    # The insert happens 0.2 s in; the subscriber hears it at once.
    print(f"subscription heard an insert made 0.2s later after {figures['subscription']:.3f}s")
    assert figures["subscription"] < 1.0


def test_control_without_the_patch_the_same_work_is_serial(empty_tables: str) -> None:
    figures = run(empty_tables, "unpatched")
    assert figures["concurrent"] > 0.8 * figures["n"] * figures["single"]
