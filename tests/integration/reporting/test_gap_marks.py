"""The gap check looks only past each source's mark, yet finds every gap the check over all
of ``received_events`` finds: events arriving in any order, some lost for a while, some
never, checked after every few arrivals. Runs in a schema of its own (``scratch``), rolled
back."""

from __future__ import annotations

import random
import uuid

import pytest
from psycopg2.extensions import cursor as Cursor

from services.reporting import projections

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
            found = projections.gaps(scratch)
            scratch.execute(EVERY_GAP)
            assert [(g["source"], g["position"]) for g in found] == scratch.fetchall()
            checks += 1
    assert checks > 10
    assert projections.gaps(scratch) == []
    # The marks then reach each source's last event of its unbroken chain.
    scratch.execute("SELECT source, complete_to FROM gap_marks WHERE complete_to > 0")
    marks = dict(scratch.fetchall())
    assert marks["timetracking"] == max(p for s, p, _ in arrivals if s == "timetracking")
    assert marks["cycles"] == max(p for s, p, _ in arrivals if s == "cycles" and p < 10_000)
