"""Rebuilding reporting from the sources' notification logs, on the running platform: the
reporting database loses everything, the rebuild fetches what every source ever published
into a shadow schema while the live tables keep serving, and swaps it in. Events that
arrive during the rebuild are counted too, and consumers carry on after the swap."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg2
import requests

from deploy.local import ROOT
from services.reporting import schema
from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.integration.agreements.client import imported
from tests.integration.reporting.client import AMQP, reporting_url
from tests.support import roster
from tests.support.district import District
from tests.support.platform import Platform, wait_until

# Events the tests publish by hand stand for sources at positions from 10**12 on; the
# sources' own logs are far below that.
REAL = 10**12


def real_events() -> set[tuple[str, int, str]]:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT source, position, event_type FROM received_events"
                       " WHERE position < %s", (REAL,))
        return set(cursor.fetchall())


def cycle_rows(schools: list[str]) -> list[tuple[object, ...]]:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT cycle_id, coach_id, school_id, status, phase, teacher_ids,"
                       " started_on FROM cycle_facts WHERE school_id::text = ANY(%s)"
                       " ORDER BY cycle_id", (schools,))
        return cursor.fetchall()


def lose_everything() -> None:
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        for table in schema.TABLES:
            cursor.execute(f"DELETE FROM {table}")


def test_a_rebuild_from_the_sources_restores_every_report_while_events_keep_coming(
    platform: Platform,
) -> None:
    # Every source has published something: a roster, a time category, cycles.
    small = District.generate(schools=2, regions=1, coaches=1, teachers=3, leaders=1,
                              prefix=f"rebuild-{uuid.uuid4().hex[:6]}-")
    assert imported(platform, small.files(), "2026-08-01")["state"] == "done"
    category = requests.post(f"{platform.url}/time-categories", timeout=10,
                             json={"label": f"Data chats {uuid.uuid4().hex[:8]}",
                                   "kind": "coaching"},
                             headers=roster.anyone(platform, "district_leader"))
    assert category.status_code == 201, category.text
    ats = [roster.school(platform, coaches=1, teachers=n + 2) for n in range(3)]
    schools = [at.id for at in ats]
    for n, at in enumerate(ats):
        for _ in range(n + 1):
            assert start_as_teacher(platform, start_cycle_body(platform, at)).status_code == 201
    wait_until(lambda: [active_cycles(platform, s) for s in schools] == [1, 2, 3], timeout=30,
               what="the cycles to reach reporting")
    wait_until(lambda: {s for s, _, _ in real_events()} >= {"agreements", "timetracking"},
               timeout=30, what="the roster and the category to reach reporting")
    events, cycles = real_events(), cycle_rows(schools)
    assert {source for source, _, _ in events} >= {"cycles", "agreements", "timetracking"}

    lose_everything()
    assert [active_cycles(platform, s) for s in schools] == [0, 0, 0]
    rebuild = subprocess.Popen(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "sources",
         "--database-url", reporting_url(), "--amqp-uri", AMQP],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Work goes on while it runs: this cycle is counted whichever side of the swap it
    # reaches reporting on.
    body = start_cycle_body(platform, ats[0])
    assert start_as_teacher(platform, body).status_code == 201
    out, err = rebuild.communicate(timeout=300)
    assert rebuild.returncode == 0, err
    assert "fetched cycles" in out and "events/s" in out and "swapped in" in out, out

    wait_until(lambda: [active_cycles(platform, s) for s in schools] == [2, 2, 3],
               timeout=30, what="the rebuilt reports and the cycle started meanwhile")
    assert real_events() >= events
    rebuilt = cycle_rows(schools)
    assert [row for row in rebuilt if row in cycles] == cycles
    assert len(rebuilt) == len(cycles) + 1
    # Consumers carry on against the swapped-in tables, and no shadow is left behind.
    assert start_as_teacher(platform, start_cycle_body(platform, ats[1])).status_code == 201
    wait_until(lambda: active_cycles(platform, schools[1]) == 3, timeout=30,
               what="a cycle started after the rebuild")
    with psycopg2.connect(reporting_url()) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'reporting_%'")
        assert cursor.fetchall() == []
