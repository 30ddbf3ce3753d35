"""The gap check looks only past each source's mark, yet finds every gap the check over all
of ``received_events`` finds: events arriving in any order, some lost for a while, some
never, checked after every few arrivals. Runs in a schema of its own (``scratch``), rolled
back."""

from __future__ import annotations

import random
import uuid

import pytest
from prometheus_client import REGISTRY
from psycopg2.extensions import cursor as Cursor

from coachops.bus import parked
from services.reporting import received

EVERY_GAP = """
SELECT r.source, r.previous_position FROM received_events r
WHERE r.previous_position IS NOT NULL AND NOT EXISTS (SELECT 1 FROM received_events q
    WHERE q.source = r.source AND q.position = r.previous_position)
ORDER BY 1, 2"""


def arrive(cursor: Cursor, source: str, position: int, previous: int | None) -> None:
    cursor.execute(
        "INSERT INTO received_events (source, position, previous_position, stream_id,"
        " stream_position, event_type, recorded_at, occurred_at, payload)"
        " VALUES (%s, %s, %s, %s, 1, 'TimeEntryRecorded', now(), now(), '{}')",
        (source, position, previous, str(uuid.uuid4())))


@pytest.mark.parametrize("seed", range(8))
def test_the_check_past_the_marks_finds_what_the_check_of_everything_finds(
        scratch: Cursor, seed: int) -> None:
    rand = random.Random(seed)
    arrivals = []
    for source in ("timetracking", "cycles"):
        # Published positions skip the notifications a source does not publish.
        published = sorted(rand.sample(range(1, 400), 150))
        arrivals += [(source, p, prev) for prev, p in zip([None, *published], published,
                                                          strict=False)]
    # A chain that names no predecessor far past the rest (as tests' made-up events do):
    # the mark may not jump to it over what has not arrived below it.
    arrivals += [("cycles", 10_000 + n, 10_000 + n - 1 if n else None) for n in range(5)]
    rand.shuffle(arrivals)
    late = [a for a in arrivals if rand.random() < 0.08]  # lost, then fetched
    never = {max(a for a in arrivals if a[0] == "cycles")}  # its source's last: never named
    on_time = [a for a in arrivals if a not in late and a not in never]
    checks = 0
    for n, arrival in enumerate([*on_time, *late]):
        arrive(scratch, *arrival)
        if rand.random() < 0.2 or n == len(on_time) - 1:
            found = received.gaps(scratch)
            scratch.execute(EVERY_GAP)
            assert [(g["source"], g["position"]) for g in found] == scratch.fetchall()
            checks += 1
    assert checks > 10
    assert received.gaps(scratch) == []
    # The marks then reach each source's last event of its unbroken chain.
    scratch.execute("SELECT source, complete_to FROM gap_marks WHERE complete_to > 0")
    marks = dict(scratch.fetchall())
    assert marks["timetracking"] == max(p for s, p, _ in arrivals if s == "timetracking")
    assert marks["cycles"] == max(p for s, p, _ in arrivals if s == "cycles" and p < 10_000)


def test_a_parked_event_is_no_gap_and_the_mark_moves_past_it(scratch: Cursor) -> None:
    """Reporting could not store 2 (parked, waiting for a fix): 3 names it, yet it is not
    fetched again at every check, and the mark goes on to 3."""
    arrive(scratch, "timetracking", 1, None)
    parked.record(scratch, parked.Parked("timetracking", 2, 1, "TimeEntryRecorded"),
                  "reporting.on_time_entry_recorded", "handler failed: \\u0000")
    arrive(scratch, "timetracking", 3, 2)
    assert received.gaps(scratch) == []
    scratch.execute("SELECT complete_to FROM gap_marks WHERE source = 'timetracking'")
    assert scratch.fetchone() == (3,)
    # Prometheus sees the mark too (the GapMarkStuck alert compares it with the source's).
    mark = REGISTRY.get_sample_value("coachops_gap_mark_position", {"source": "timetracking"})
    assert mark == 3
    assert received.received(scratch, "timetracking", [1, 2, 3, 4]) == {1, 2, 3}


def test_parked_events_wait_until_applied_and_the_gauge_says_how_many(
        scratch: Cursor) -> None:
    def gauge() -> float | None:
        return REGISTRY.get_sample_value("coachops_events_parked", {"source": "cycles"})

    hostile = parked.identify({"source": "cycles", "position": 7, "previous_position": 6,
                               "event_type": "CycleStarted\x00"})
    assert hostile is not None and "\x00" not in hostile.event_type  # storable
    parked.record(scratch, hostile, "reporting.on_cycle_started", "reason \x00 \ud800")
    assert parked.waiting(scratch, ["cycles", "agreements"]) == {"cycles": 1, "agreements": 0}
    assert gauge() == 1
    # Replayed after a fix and applied: claimed like any event, so no longer waiting.
    scratch.execute("INSERT INTO processed_events (source, position, event_id)"
                    " VALUES ('cycles', 7, %s)", (str(uuid.uuid4()),))
    assert parked.waiting(scratch, ["cycles"]) == {"cycles": 0}
    assert gauge() == 0
