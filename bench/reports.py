"""Report queries at 1 million and 10 million events, and the rebuild rate.

Ten million events cannot be sent through the platform in a benchmark's time, so the
read model is loaded as a district's years would have left it: one ``time_facts`` row per
``TimeEntryRecorded`` a district would have sent (its 1,000 coaches, their schools and
regions, three and a half school years, the district's categories).

- The past school years are settled history: ``COPY`` with the rollup trigger off, the
  rollups made in one statement each as the trigger would have kept them, and vacuumed,
  as autovacuum would have left them long since.
- This school year arrives as ingest brings it: in day order, a batch of facts to a
  transaction, each stored by reporting's own statement (placed, and counted into the
  rollups by their trigger) with a new read-model version, and not vacuumed by the
  benchmark: the rollup rows reports read most carry what live ingest leaves. Autovacuum
  (the benchmark turns it on, as PostgreSQL ships it) is given the time to visit each
  rollup once, as it would have many times over the months those entries took.

The figures are labelled "history bulk-loaded, this year as ingest". ``received_events``
and ``processed_events`` are not filled for those rows: no report reads them (only an "as
of" report and a rebuild do; see bench/README.md).

The queries then go through the gateway, as a district leader's browser would, and the
same view SQL is timed straight on PostgreSQL as the baseline.
"""

from __future__ import annotations

import http.client
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg2

from bench import probes
from bench.load import CATEGORIES
from coachops.store.database import one_transaction
from services.reporting import periods, projections, rollups, schema
from services.reporting import queries as report_queries

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"coaching-cycle": "coaching", "co-planning": "coaching",
         "group-coaching": "coaching", "modelling": "coaching",
         "covering-classes": "other", "tech-support": "other", "admin-tasks": "other",
         "duties": "other"}
assert set(KINDS) == set(CATEGORIES)
FIRST_DAY = date(2023, 8, 1)
CHUNK_ROWS = 50_000
SETTLING_SECONDS = 300
NULL = "\\N"  # COPY text format


@dataclass(frozen=True)
class Placement:
    coach_id: str
    school_id: str
    region_id: str | None


def placements(url: str) -> list[Placement]:
    """Each coach's school and that school's region, as the roster import left them."""
    with one_transaction(url) as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (cs.coach_id) cs.coach_id, cs.school_id, sr.region_id"
            " FROM coach_schools cs LEFT JOIN school_regions sr USING (school_id)"
            " WHERE cs.assigned ORDER BY cs.coach_id")
        return [Placement(str(c), str(s), str(r) if r else None)
                for c, s, r in cursor.fetchall()]


def count_facts(url: str) -> int:
    with one_transaction(url) as cursor:
        cursor.execute("SELECT count(*) FROM time_facts")
        return int(cursor.fetchall()[0][0])


@dataclass(frozen=True)
class Fact:
    """One time fact as reporting stores it, before its placement."""

    entry_id: uuid.UUID
    place: Placement
    worked_on: date
    minutes: int
    category_id: str

    @classmethod
    def drawn(cls, rand: random.Random, where: list[Placement], day: date) -> Fact:
        return cls(uuid.UUID(int=rand.getrandbits(128), version=4),
                   where[rand.randrange(len(where))], day, 15 * (1 + rand.randrange(6)),
                   CATEGORIES[rand.randrange(len(CATEGORIES))])


def school_year_began(today: date) -> date:
    month, day = periods.school_year_start()
    began = date(today.year, month, day)
    return began if began <= today else date(today.year - 1, month, day)


class _Rows:
    """A file-like stream of COPY text of facts on days before ``until``, made as
    PostgreSQL reads it (no 10M-row list)."""

    def __init__(self, count: int, where: list[Placement], seed: int, until: date) -> None:
        self.left = count
        self.where = where
        self.random = random.Random(seed)
        self.pending = ""
        self.days = (until - FIRST_DAY).days

    def _chunk(self) -> str:
        n = min(self.left, CHUNK_ROWS)
        self.left -= n
        rand, lines = self.random, []
        for _ in range(n):
            fact = Fact.drawn(rand, self.where, FIRST_DAY + timedelta(rand.randrange(self.days)))
            kind = KINDS[fact.category_id]
            region = fact.place.region_id or NULL
            aligned = "t" if kind == "coaching" and rand.random() < 0.4 else "f"
            lines.append(f"{fact.entry_id}\t{fact.place.coach_id}\t{fact.place.school_id}\t"
                         f"{fact.worked_on}\t{fact.minutes}\t{fact.category_id}\t"
                         f"{kind}\t\\N\t\\N\t{region}\t{aligned}\n")
        return "".join(lines)

    def read(self, size: int = -1) -> str:
        while self.left and (size < 0 or len(self.pending) < size):
            self.pending += self._chunk()
        if size < 0:
            size = len(self.pending)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    readline = read


def load(admin_url: str, url: str, count: int, where: list[Placement], seed: int,
         batch: int, progress: Callable[[str], None]) -> float:
    """Add ``count`` time facts, as many of them dated this school year as its share of
    the days since ``FIRST_DAY``: the history bulk-loaded, this year as ingest brings it
    (the module's docstring); returns the seconds it took."""
    began = time.monotonic()
    today = date.today()
    this_year = school_year_began(today)
    recent = round(count * ((today - this_year).days + 1) / ((today - FIRST_DAY).days + 1))
    bulk_load(admin_url, count - recent, where, seed, this_year, progress)
    progress(f"storing this school year's {recent:,} facts as ingest does,"
             f" {batch} to a transaction ...")
    as_ingest(url, recent, where, seed, this_year, today, batch)
    waited = autovacuumed(url)
    progress(f"  autovacuum caught up with the rollups after {waited:.0f}s" if waited is not None
             else f"  autovacuum had not caught up with the rollups in {SETTLING_SECONDS}s")
    return time.monotonic() - began


def autovacuumed(url: str) -> float | None:
    """Seconds until autovacuum has caught up with the rollups (none is past its table's
    thresholds, as autovacuum reckons them), as it would have many times over the months
    this school year's entries took to arrive; None: not within ``SETTLING_SECONDS``. Not
    a VACUUM: autovacuum decides, on its own thresholds and schedule."""
    began = time.monotonic()
    while time.monotonic() - began < SETTLING_SECONDS:
        with one_transaction(url) as cursor:
            cursor.execute(DUE, (list(rollups.ROLLUPS),))
            if not cursor.fetchall()[0][0]:
                return time.monotonic() - began
        time.sleep(2)
    return None


def _past(counted: str, threshold: str, scale: str) -> str:
    """Whether ``counted`` is past a table's autovacuum threshold: its own setting
    (reloptions) where it has one, else the server's."""
    return f"""{counted} > current_setting('{threshold}')::float8 + COALESCE(
      (SELECT option_value::float8 FROM pg_options_to_table(c.reloptions)
       WHERE option_name = '{scale}'), current_setting('{scale}')::float8)
      * greatest(c.reltuples, 0)"""


DUE = f"""SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.relname = ANY(%s) AND (
  {_past('s.n_dead_tup', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor')}
  OR {_past('s.n_ins_since_vacuum', 'autovacuum_vacuum_insert_threshold',
            'autovacuum_vacuum_insert_scale_factor')})"""


def as_ingest(url: str, count: int, where: list[Placement], seed: int, first: date,
              last: date, batch: int) -> None:
    """``count`` facts dated ``first`` to ``last`` in day order, ``batch`` to a transaction,
    each transaction as reporting's writer makes it: the facts stored placed by
    ``projections.INSERT_TIMES`` (the rollup trigger counts them) and a new read-model
    version. Not vacuumed after."""
    rand = random.Random(seed + 1)
    days = (last - first).days + 1
    month, day = periods.school_year_start()
    connection = psycopg2.connect(url)
    try:
        pending: list[Fact] = []
        for n in range(days):
            worked_on = first + timedelta(n)
            pending += [Fact.drawn(rand, where, worked_on)
                        for _ in range(count // days + (n < count % days))]
            while len(pending) >= batch or (pending and n == days - 1):
                stored, pending = pending[:batch], pending[batch:]
                with connection, connection.cursor() as cursor:
                    cursor.execute(projections.INSERT_TIMES, {
                        "entry_id": [str(f.entry_id) for f in stored],
                        "coach_id": [f.place.coach_id for f in stored],
                        "school_id": [f.place.school_id for f in stored],
                        "worked_on": [f.worked_on for f in stored],
                        "minutes": [f.minutes for f in stored],
                        "category_id": [f.category_id for f in stored],
                        "category_kind": [KINDS[f.category_id] for f in stored],
                        "cycle_id": [None] * len(stored), "focus_area_id": [None] * len(stored),
                        "sm": month, "sd": day})
                    schema.read_model_changed(cursor)
    finally:
        connection.close()


def bulk_load(admin_url: str, count: int, where: list[Placement], seed: int, until: date,
              progress: Callable[[str], None]) -> None:
    """Add ``count`` time facts dated before ``until`` and remake the rollups, vacuumed.
    Runs as the database's superuser: the rollup trigger is off while COPY runs (one
    statement each remakes the rollups after, as the trigger would have kept them), and
    the indexes are rebuilt after rather than kept row by row."""
    connection = psycopg2.connect(admin_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("ALTER TABLE time_facts DISABLE TRIGGER USER")
            for index in ("time_facts_day", "time_facts_school_day", "time_facts_coach_day",
                          "time_month_covering", "time_day_covering"):
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            stream = _Rows(count, where, seed, until)
            progress(f"bulk-loading {count:,} time facts of past years with COPY ...")
            cursor.copy_expert(
                "COPY time_facts (entry_id, coach_id, school_id, worked_on, minutes,"
                " category_id, category_kind, cycle_id, focus_area_id, region_id, aligned)"
                " FROM STDIN",
                # psycopg2 reads text from any read(); its stubs ask for bytes or a TextIO.
                stream, size=1 << 20)  # type: ignore[arg-type]
            progress("re-indexing and remaking the time rollups ...")
            cursor.execute(schema.INDEXES)
            for table in rollups.ROLLUPS:
                cursor.execute(f"TRUNCATE {table}")
            cursor.execute(rollups.ROLLUP_ALL)
            cursor.execute(rollups.ROLLUP_INDEXES)
            cursor.execute("ALTER TABLE time_facts ENABLE TRIGGER USER")
            # Written behind the writer's back: reports cached before it are not served.
            schema.read_model_changed(cursor)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for table in ("time_facts", *rollups.ROLLUPS):
                cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        connection.close()


def table_rows(url: str) -> dict[str, dict[str, int]]:
    """Live and dead rows of the time facts and each rollup, the updates among them that
    were HOT, and the times autovacuum visited, as PostgreSQL's statistics count them."""
    with one_transaction(url) as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd,"
            " autovacuum_count, autoanalyze_count FROM pg_stat_user_tables"
            " WHERE relname = ANY(%s) ORDER BY relname", (["time_facts", *rollups.ROLLUPS],))
        return {name: dict(zip(("live", "dead", "updated", "hot_updated", "autovacuums",
                                "autoanalyzes"), counts, strict=True))
                for name, *counts in cursor.fetchall()}


@dataclass(frozen=True)
class Query:
    label: str
    path: str  # through the gateway
    view: str  # the view function timed as the baseline ("council": all three)
    params: dict[str, Any]

    @property
    def url(self) -> str:
        return self.path + "?" + "&".join(f"{k}={v}" for k, v in self.params.items())


def queries(where: list[Placement], today: date) -> list[Query]:
    """What a leader, a CLT representative and a principal open most: this school year's
    district, region and school views, a coach's month, and a range ending mid-month
    (whose partial months are read from ``time_facts`` rather than the rollup)."""
    year = today.year if today.month >= 8 else today.year - 1
    place = where[0]
    region = next((p.region_id for p in where if p.region_id), None)
    mid = {"from_date": f"{year}-09-10", "to_date": f"{year}-11-20"}
    chosen = [
        Query("time use, district, school year", "/reports/time-use", "time_use",
              {"school_year": year}),
        Query("plan alignment, school, school year", "/reports/plan-alignment",
              "plan_alignment", {"school_year": year, "school_id": place.school_id}),
        Query("cycle activity, district, school year", "/reports/cycle-activity",
              "cycle_activity", {"school_year": year}),
        Query("council, school year", "/reports/council", "council", {"school_year": year}),
        Query("time use, coach, month", "/reports/time-use", "time_use",
              {"month": f"{year}-10", "coach_id": place.coach_id}),
        Query("time use, district, mid-month range", "/reports/time-use", "time_use", mid),
    ]
    if region:
        chosen.append(Query("time use, region, school year", "/reports/time-use", "time_use",
                            {"school_year": year, "region_id": region}))
    return chosen


def read_model_changed(url: str) -> None:
    """A new read-model version, as a transaction applying an event makes: every report
    cached before it is computed again when next asked."""
    with one_transaction(url) as cursor:
        schema.read_model_changed(cursor)


def cache_lookups(metrics_ports: list[int]) -> dict[str, float]:
    """Reporting's cache hits and misses so far, summed over the processes' /metrics."""
    found: dict[str, float] = {}
    for port in metrics_ports:
        for line in probes.scrape(port).splitlines():
            match = probes.SAMPLE.match(line)
            if match and match["name"] == "coachops_reporting_report_cache_total":
                outcome = dict(probes.LABEL.findall(match["labels"] or "")).get("outcome", "?")
                found[outcome] = found.get(outcome, 0.0) + float(match["value"])
    return found


@dataclass
class Asked:
    """Latencies in ms by query: each query's first ask after the read models changed
    (cold: nothing cached can answer it), and the same query asked again (warm)."""

    cold: dict[str, list[float]]
    warm: dict[str, list[float]]


def through_gateway(port: int, tokens: dict[str, str], chosen: list[Query], repeat: int,
                    reporting_url: str) -> Asked:
    """Each query ``repeat`` times cold and then ``repeat`` times warm (after one warm-up
    ask each, not counted), as the leader ``tokens`` names for it. Before each cold ask the
    read-model version changes (``read_model_changed``), as when an event is applied, so
    the report is computed: the cold figures are what an uncached report costs."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    asked = Asked({}, {})
    try:
        for query in chosen:
            headers = {"Authorization": f"Bearer {tokens[query.label]}"}
            asked_once(connection, query.url, headers)  # warm-up: connections, buffers
            for _ in range(repeat):
                read_model_changed(reporting_url)
                asked.cold.setdefault(query.label, []).append(
                    asked_once(connection, query.url, headers))
            for _ in range(repeat):
                asked.warm.setdefault(query.label, []).append(
                    asked_once(connection, query.url, headers))
    finally:
        connection.close()
    return asked


def asked_once(connection: http.client.HTTPConnection, path: str,
               headers: dict[str, str]) -> float:
    """One report's answer, in ms; a 429 (the gateway's limit per person) waited out as its
    Retry-After says and not counted: the limiter is not what is measured."""
    while True:
        began = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status == 429:
            time.sleep(float(response.getheader("Retry-After") or 1))
            continue
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
        return (time.perf_counter() - began) * 1000


def asked_while(port: int, tokens: dict[str, str], chosen: list[Query],
                going: threading.Event, taken: list[float]) -> None:
    """Each query in turn, as its leader, into ``taken`` (ms) until ``going`` is cleared:
    run beside a load phase, where each applied transaction changes the read models'
    version, so an ask is computed unless one before it since that change was the same."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        while going.is_set():
            for query in chosen:
                taken.append(asked_once(
                    connection, query.url, {"Authorization": f"Bearer {tokens[query.label]}"}))
    finally:
        connection.close()


def _scope(params: dict[str, Any], today: date) -> report_queries.Scope:
    if "month" in params:
        y, m = (int(x) for x in params["month"].split("-"))
        start = date(y, m, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    elif "from_date" in params:
        start, end = date.fromisoformat(params["from_date"]), date.fromisoformat(params["to_date"])
    else:
        start, end = date(params["school_year"], 8, 1), date(params["school_year"] + 1, 7, 31)
    ids: dict[str, Any] = {k: uuid.UUID(params[k]) for k in ("region_id", "school_id", "coach_id")
           if k in params}
    return report_queries.Scope(start=start, end=end, reference=min(end, today), **ids)


def straight_sql(url: str, chosen: list[Query], repeat: int,
                 today: date) -> dict[str, list[float]]:
    """The same view SQL on a plain psycopg2 connection: the baseline."""
    functions: dict[str, list[Callable[..., Any]]] = {
        "time_use": [report_queries.time_use], "plan_alignment": [report_queries.plan_alignment],
        "cycle_activity": [report_queries.cycle_activity],
        "council": list(report_queries.COUNCIL_REPORTS.values())}
    latencies: dict[str, list[float]] = {}
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            for query in chosen:
                scope = _scope(query.params, today)
                for n in range(repeat + 1):
                    began = time.perf_counter()
                    for view in functions[query.view]:
                        view(cursor, scope)
                    connection.rollback()
                    if n:
                        latencies.setdefault(query.label, []).append(
                            (time.perf_counter() - began) * 1000)
    finally:
        connection.close()
    return latencies


def rebuild(database_url: str, amqp_uri: str, origin: str) -> tuple[int, float]:
    """``python -m services.reporting.rebuild`` as district IT runs it: (events, seconds)."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", origin,
         "--database-url", database_url, "--amqp-uri", amqp_uri],
        cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False)
    seconds = time.monotonic() - began
    if done.returncode != 0:
        raise RuntimeError(f"rebuild --from {origin} failed:\n{done.stderr[-3000:]}")
    last = done.stdout.strip().splitlines()[-1]  # "rebuild complete: N events"
    return int(last.split(":")[1].split()[0]), seconds


def chunks(total: int, steps: list[int]) -> Iterator[tuple[int, int]]:
    """(target size, rows to add) for each step, given ``total`` rows already there."""
    for step in sorted(steps):
        yield step, max(0, step - total)
        total = max(total, step)
