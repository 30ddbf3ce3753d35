"""The time rollups (``time_month``, and per day in ``time_day``) against the
facts they summarise: after entries are recorded, corrected (to another day and school)
and voided, a coach moves school mid-month, a school moves region mid-month and an
agreement revision re-places entries, the rollups the trigger kept, the rollups made in
one statement (as-of reports, rebuilds, the bench's bulk load) and every report over
ranges that start or end mid-month equal sums worked out here in Python from the facts.

Runs in a schema of its own in the test session's reporting database, rolled back at the
end, so nothing the service holds is touched."""

from __future__ import annotations

import random
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from psycopg2.extensions import cursor as Cursor

from coachops.contracts import decode
from services.reporting import facts, projections, queries, replay, rollups, schema
from tests.integration.reporting.client import feed, report, reporting_url, rows_by_key
from tests.integration.reporting.world import Story, World
from tests.support.platform import Platform

YEAR = 2031
KINDS = {"co-planning": "coaching", "modelling": "coaching", "covering": "other",
         "duty": "other"}
Key = tuple[Any, ...]


def d(month: int, day: int) -> date:
    return date(YEAR if month >= 8 else YEAR + 1, month, day)


class Ledger:
    """Time entries stored through the projection's own statements, with a history of
    changes a district sees: corrections, voids, moves of coaches and schools."""

    def __init__(self, cursor: Cursor, seed: int) -> None:
        self.cursor = cursor
        self.random = random.Random(seed)
        self.coaches = [str(uuid.uuid4()) for _ in range(3)]
        self.schools = [str(uuid.uuid4()) for _ in range(3)]
        self.regions = [str(uuid.uuid4()) for _ in range(2)]
        self.live: dict[str, facts.TimeFact] = {}
        self.position = 0

    def next_position(self) -> int:
        self.position += 1
        return self.position

    def school_in_region(self, school: str, region: str, on: date) -> None:
        self.cursor.execute("INSERT INTO school_regions VALUES (%s, %s, %s, %s)",
                            (school, region, on, self.next_position()))

    def agreement(self, coach: str, school: str, version: int, focus: list[str],
                  effective_on: date) -> None:
        self.cursor.execute(
            "INSERT INTO agreement_versions VALUES (%s, %s, %s, %s, %s, %s, 6, true, %s)",
            (str(uuid.uuid5(uuid.NAMESPACE_URL, coach + school)), version, coach, school,
             YEAR, focus, effective_on))
        projections.place(self.cursor, coach_id=coach, school_id=school)

    def store(self, entry_id: str, fact: facts.TimeFact | None) -> None:
        projections._store_time_fact(self.cursor, entry_id, fact)
        if fact is None:
            self.live.pop(entry_id, None)
        else:
            self.live[entry_id] = fact

    def entry(self, coach: str, school: str, on: date, entry_id: str | None = None) -> str:
        entry_id = entry_id or str(uuid.uuid4())
        category = self.random.choice(sorted(KINDS))
        self.store(entry_id, facts.TimeFact(
            entry_id=entry_id, coach_id=coach, school_id=school, worked_on=on.isoformat(),
            minutes=15 * self.random.randint(1, 16), category_id=category,
            category_kind=KINDS[category], cycle_id=None,
            focus_area_id=self.random.choice(["fa-1", "fa-2", None])))
        return entry_id

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.random.randrange((last - first).days + 1))

    def tell(self) -> None:
        (c1, c2, c3), (s1, s2, s3), (r1, r2) = self.coaches, self.schools, self.regions
        self.school_in_region(s1, r1, d(8, 1))
        self.school_in_region(s2, r1, d(8, 1))  # s3 has no region: "unassigned"
        self.agreement(c1, s1, 1, ["fa-1"], d(8, 20))
        # c1 at s1 until October 14th, then at s2; c2 and c3 at s2 and s3 all along.
        for _ in range(60):
            on = self.day(d(9, 1), d(11, 30))
            self.entry(c1, s1 if on < d(10, 15) else s2, on)
            self.entry(c2, s2, self.day(d(9, 1), d(11, 30)))
            self.entry(c3, s3, self.day(d(9, 1), d(11, 30)))
        entries = sorted(self.live)
        self.random.shuffle(entries)
        for entry_id in entries[:15]:  # corrections: another day, even another month
            fact = self.live[entry_id]
            self.entry(fact.coach_id, fact.school_id, self.day(d(9, 1), d(11, 30)), entry_id)
        for entry_id in entries[15:30]:  # voids
            self.store(entry_id, None)
        # The revision re-places c1's entries at s1 from October 1st; s2 moves to r2 in
        # the middle of October, which re-places its entries from then on.
        self.agreement(c1, s1, 2, ["fa-2"], d(10, 1))
        self.school_in_region(s2, r2, d(10, 20))
        projections.place(self.cursor, school_id=s2)


def stored_facts(cursor: Cursor) -> list[dict[str, Any]]:
    cursor.execute("SELECT coach_id::text, school_id::text, region_id::text, worked_on,"
                   " minutes, category_id, category_kind, aligned FROM time_facts")
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def month_sums(rows: list[dict[str, Any]],
               grain: tuple[str, ...]) -> dict[Key, tuple[str, int, int]]:
    """Minutes and aligned minutes per group of ``grain``, month and category."""
    sums: dict[Key, list[Any]] = {}
    for f in rows:
        key = (*(f[c] for c in grain), f["worked_on"].replace(day=1), f["category_id"])
        cell = sums.setdefault(key, [f["category_kind"], 0, 0])
        cell[1] += f["minutes"]
        cell[2] += f["minutes"] if f["aligned"] else 0
    return {key: (kind, minutes, aligned) for key, (kind, minutes, aligned) in sums.items()}


def day_sums(rows: list[dict[str, Any]],
             grain: tuple[str, ...]) -> dict[Key, tuple[str, int, int]]:
    """Minutes and aligned minutes per group of ``grain``, day and category (days with
    minutes only)."""
    sums: dict[Key, list[Any]] = {}
    for f in rows:
        key = (*(f[c] for c in grain), f["worked_on"], f["category_id"])
        cell = sums.setdefault(key, [f["category_kind"], 0, 0])
        cell[1] += f["minutes"]
        cell[2] += f["minutes"] if f["aligned"] else 0
    return {key: (kind, minutes, aligned) for key, (kind, minutes, aligned) in sums.items()}


def rollup(cursor: Cursor, table: str, grain: tuple[str, ...]) -> dict[Key, tuple[str, int, int]]:
    when = "month" if table.endswith("month") else "day"
    columns = "".join(f"{c}::text, " for c in grain)
    cursor.execute(f"SELECT {columns}{when}, category_id, category_kind, minutes,"
                   f" aligned_minutes FROM {table}")
    n = len(grain) + 2
    return {tuple(row[:n]): (row[n], int(row[n + 1]), int(row[n + 2]))
            for row in cursor.fetchall()}


def test_the_rollups_kept_by_the_trigger_equal_the_facts_summed(scratch: Cursor) -> None:
    ledger = Ledger(scratch, seed=11)
    ledger.tell()
    rows = stored_facts(scratch)
    # The facts are the ledger's live entries (corrections and voids applied), placed.
    assert sorted((f["coach_id"], f["worked_on"], f["minutes"]) for f in rows) == sorted(
        (e.coach_id, date.fromisoformat(e.worked_on), e.minutes) for e in ledger.live.values())
    assert {f["region_id"] for f in rows} == {*ledger.regions, None}
    assert any(f["aligned"] for f in rows) and not all(f["aligned"] for f in rows)

    expected = {}
    for name, grain in rollups.GRAINS.items():
        expected[f"{name}_month"] = month_sums(rows, grain)
        expected[f"{name}_day"] = day_sums(rows, grain)
        assert rollup(scratch, f"{name}_month", grain) == expected[f"{name}_month"], name
        assert rollup(scratch, f"{name}_day", grain) == expected[f"{name}_day"], name
    # The same made in one statement each (as-of reports, rebuilds, the bulk load).
    for table in rollups.ROLLUPS:
        scratch.execute(f"CREATE TEMPORARY TABLE {table} ({schema.DERIVED[table]})"
                        " ON COMMIT DROP")
    scratch.execute(rollups.ROLLUP_ALL)
    for name, grain in rollups.GRAINS.items():
        for period in ("month", "day"):
            table = f"{name}_{period}"
            assert rollup(scratch, f"pg_temp.{table}", grain) == expected[table], table


def assert_rollups_sum(cursor: Cursor) -> None:
    rows = stored_facts(cursor)
    for name, grain in rollups.GRAINS.items():
        assert rollup(cursor, f"{name}_month", grain) == month_sums(rows, grain), name
        assert rollup(cursor, f"{name}_day", grain) == day_sums(rows, grain), name


def test_statements_of_many_facts_keep_the_rollups_as_one_fact_at_a_time_did(
        scratch: Cursor) -> None:
    """The trigger works per statement (a reporting batch stores hundreds of facts in
    one): every fact removed at once, stored again at once, a placement that moves some
    of the facts it rewrites and not others, a rewrite that changes nothing, and half of
    the facts removed in one statement."""
    Ledger(scratch, seed=13).tell()
    assert_rollups_sum(scratch)
    scratch.execute("CREATE TEMPORARY TABLE kept ON COMMIT DROP AS SELECT * FROM time_facts")
    scratch.execute("DELETE FROM time_facts")
    assert all(not rollup(scratch, table, ()) for table in rollups.ROLLUPS)
    scratch.execute("INSERT INTO time_facts SELECT * FROM kept")
    assert_rollups_sum(scratch)
    scratch.execute("SELECT school_id FROM time_facts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    [school] = scratch.fetchone()
    scratch.execute("SELECT DISTINCT region_id FROM time_facts WHERE region_id IS NOT NULL")
    regions = [r for (r,) in scratch.fetchall()]
    scratch.execute(  # every fact rewritten, those of one school moved to another region
        "UPDATE time_facts SET region_id = CASE WHEN school_id = %s THEN %s ELSE region_id"
        " END, aligned = CASE WHEN school_id = %s THEN NOT aligned ELSE aligned END",
        (school, regions[-1], school))
    assert scratch.rowcount > 1
    assert_rollups_sum(scratch)
    scratch.execute("UPDATE time_facts SET minutes = minutes")
    assert_rollups_sum(scratch)
    scratch.execute("DELETE FROM time_facts WHERE worked_on < (SELECT percentile_disc(0.5)"
                    " WITHIN GROUP (ORDER BY worked_on) FROM time_facts)")
    assert scratch.rowcount > 1
    assert_rollups_sum(scratch)


RANGES = [
    (d(8, 1), d(7, 31)),  # the school year
    (d(9, 10), d(11, 20)),  # partial months at both ends
    (d(9, 1), d(11, 20)),  # ends mid-month
    (d(10, 16), d(11, 30)),  # starts mid-month
    (d(10, 3), d(10, 17)),  # inside one month
    (d(9, 30), d(10, 1)),  # two partial months, no whole one
    (d(10, 1), d(10, 31)),  # one whole month
    (d(11, 30), d(11, 30)),  # one day, the month's last
    (d(12, 2), d(12, 9)),  # nothing recorded
]


def expected_time_use(rows: list[dict[str, Any]], start: date, end: date,
                      **only: str) -> dict[Key, dict[str, Any]]:
    cells: dict[Key, dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0, "coaching": 0, "aligned": 0, "by": defaultdict(int)})
    for f in rows:
        if not start <= f["worked_on"] <= end or any(f[k] != v for k, v in only.items()):
            continue
        for key in (("district", "district"), ("region", f["region_id"] or "unassigned"),
                    ("school", f["school_id"]), ("coach", f["coach_id"]),
                    ("coach_school", f"{f['coach_id']}/{f['school_id']}"),
                    ("month", f["worked_on"].strftime("%Y-%m"))):
            cell = cells[key]
            cell["minutes"] += f["minutes"]
            cell["by"][f["category_id"]] += f["minutes"]
            if f["category_kind"] == "coaching":
                cell["coaching"] += f["minutes"]
                cell["aligned"] += f["minutes"] if f["aligned"] else 0
    return cells


@pytest.mark.parametrize("start, end", RANGES)
def test_every_range_counts_the_days_in_it_and_no_others(scratch: Cursor, start: date,
                                                         end: date) -> None:
    ledger = Ledger(scratch, seed=12)
    ledger.tell()
    rows = stored_facts(scratch)
    c1, s2, r1 = ledger.coaches[0], ledger.schools[1], ledger.regions[0]
    for only in ({}, {"coach_id": c1}, {"school_id": s2}, {"region_id": r1}):
        scope = queries.Scope(start=start, end=end, reference=end,
                            **{k: uuid.UUID(v) for k, v in only.items()})
        expected = expected_time_use(rows, start, end, **only)
        time_use = {(r["level"], r["key"]): r for r in queries.time_use(scratch, scope)}
        assert set(time_use) == {k for k in expected if k[0] != "coach_school"}, only
        for key, row in time_use.items():
            cell = expected[key]
            assert (row["minutes"], row["coaching_minutes"]) == (
                cell["minutes"], cell["coaching"]), key
            assert row["minutes_by_category"] == dict(cell["by"]), key
        alignment = {(r["level"], r["key"]): r for r in queries.plan_alignment(scratch, scope)
                     if not r["level"].startswith("flag_")}
        assert set(alignment) == {k for k, c in expected.items()
                                  if c["coaching"] and k[0] != "coach"}, only
        for key, row in alignment.items():
            assert (row["coaching_minutes"], row["aligned_minutes"]) == (
                expected[key]["coaching"], expected[key]["aligned"]), key


def test_a_rebuild_derives_every_table_as_handling_each_event_did(scratch: Cursor) -> None:
    """Two stories' events handled one by one in a shuffled order (the trigger keeping the
    rollups), then every table derived again set-wise from the events kept."""
    events = [e for year in (2031, 2032) for e in Story(World(year)).tell().world.events]
    random.Random(5).shuffle(events)
    for event in events:
        projections.receive(scratch, decode(event.body))

    def tables() -> dict[str, list[str]]:
        contents = {}
        for table in schema.DERIVED:
            scratch.execute(f"SELECT * FROM {table}")
            contents[table] = sorted(map(repr, scratch.fetchall()))
        return contents

    handled = tables()
    assert all(handled.values()), {table for table, rows in handled.items() if not rows}
    names = " ".join(handled["staff_names"])
    assert "Ada Brook-Evans" in names and "Fay Gone" not in names  # forgotten in any order
    scratch.execute("SELECT payload FROM received_events WHERE payload::text LIKE '%Fay Gone%'")
    assert scratch.fetchall() == []
    assert replay.derive_all(scratch) == len(events)
    assert tables() == handled


def test_a_range_ending_mid_month_as_of_a_date_and_rebuilt(platform: Platform) -> None:
    """Through the service: the story's correction (recorded October 20th) and void, and
    its coach moving school mid-January, over ranges that end mid-month, today, as of
    dates before and after the correction, and after a rebuild."""
    # A year after every other story's (its cycles, still open at its end, would count as
    # active in theirs) and before the real events'.
    story = Story(World(2023)).tell()
    feed(story.world)
    ranges = [(story.world.d(9, 6), story.world.d(1, 20)),
              (story.world.d(10, 2), story.world.d(10, 10)),
              (story.world.d(1, 10), story.world.d(2, 1))]

    def expected(start: date, end: date, known_on: date | None) -> dict[Key, int]:
        cells: dict[Key, int] = defaultdict(int)
        for e in story.live_entries(known_on):
            if start <= e["worked_on"] <= end:
                for key in (("coach", str(e["coach_id"])), ("school", str(e["school_id"])),
                            ("region", str(story.regions[e["school_id"]]))):
                    cells[key] += e["minutes"]
        return dict(cells)

    def minutes(start: date, end: date, **params: str) -> dict[Key, int]:
        body = report(platform, "time-use", from_date=start.isoformat(),
                      to_date=end.isoformat(), **params)
        return {key: row["minutes"] for key, row in rows_by_key(body).items()
                if key[0] in ("coach", "school", "region")}

    before_correction, after_correction = story.world.d(10, 10), story.world.d(10, 25)
    today = {}
    for start, end in ranges:
        today[(start, end)] = minutes(start, end)
        assert today[(start, end)] == expected(start, end, None)
        for known_on in (before_correction, after_correction):
            assert minutes(start, end, as_of=known_on.isoformat()) == expected(
                start, end, known_on)
    # By hand: the entry of October 3rd (90 minutes) was corrected to 45 on the 4th.
    assert minutes(*ranges[1], as_of=before_correction.isoformat())[
        ("coach", str(story.c1))] == 90
    assert today[ranges[1]][("coach", str(story.c1))] == 45
    # By hand: January 10th to February 1st is C1's 60 and 80 minutes, both at S2.
    assert today[ranges[2]][("school", str(story.s2))] == 140

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url", reporting_url()],
        capture_output=True, text=True, timeout=300, check=False)
    assert rebuilt.returncode == 0, rebuilt.stderr
    for start, end in ranges:
        assert minutes(start, end) == today[(start, end)]
