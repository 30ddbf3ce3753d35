"""The end-to-end benchmark: starts the platform on its own vhost and databases, drives
coaches' traffic through the gateway from separate processes, measures the baselines in
the same run, and prints a table (writes bench/results/<timestamp>.json).

    python -m bench                                  # the defaults: see --help
    python -m bench --coaches 1000 --seconds 30 --report-events 1000000,10000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import baselines, load, probes, rebuild, reports, roster_export
from bench.phases import drive, echo_floor, say, scalar, wait
from bench.results import Figure, percentile, table, write
from bench.stack import ADMIN_URL, Stack
from coachops.identity import Role
from coachops.store.admin import admin_cursor, drop_database, ensure_role_and_database
from deploy.roster_import import wait_for_import
from gateway.auth import issue
from services.agreements.appoint import appoint_it_admin
from services.agreements.roster import roster_id
from tests.support.district import START, District

ROOT = Path(__file__).resolve().parents[1]
# The roster assigns coaches from this date, so the load has many past days to fill.
ROSTER_FROM = date(2024, 8, 1)
LOADED = "history bulk-loaded, this year as ingest"  # reports.load
LEADERS = 12  # district leaders on the roster, one per report probe
# Issue 23's: this stack's floor on two cores (the ones of issue 11 were 10,000 and 1,000).
TARGETS = {"batch_events": ">= 2500", "single_requests": ">= 350", "single_p99": "< 100",
           "lag_p99": "< 1000", "report_p95": "< 50", "rebuild": ">= 30000"}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--coaches", type=int, default=1000)
    p.add_argument("--schools", type=int, default=102)
    p.add_argument("--teachers", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=30, help="length of each load phase")
    p.add_argument("--processes", type=int, default=2, help="load generator processes")
    p.add_argument("--concurrency", type=int, default=16,
                   help="single commands in flight at once (threads over the processes)")
    p.add_argument("--batch-concurrency", type=int, default=4,
                   help="offline batches in flight at once")
    p.add_argument("--batch-size", type=int, default=500, help="entries per offline batch")
    p.add_argument("--batch-route", choices=("auto", "sync", "csv"), default="auto",
                   help="offline batches as POST /sync, or as the CSV import; auto: sync"
                        " when the gateway has it")
    p.add_argument("--max-events", type=int, default=2_000_000,
                   help="upper bound on events a load phase sends")
    p.add_argument("--baseline-events", type=int, default=20_000)
    p.add_argument("--report-events", default="1000000,10000000",
                   help="sizes of the bulk-loaded read model for report queries ('' skips)")
    p.add_argument("--report-repeat", type=int, default=20)
    p.add_argument("--rebuild-events", type=int, default=1_000_000,
                   help="received events of the rebuild at scale (0: skip it)")
    p.add_argument("--scale-service", default="reporting",
                   help="the service measured with one and then two instances ('' skips)")
    p.add_argument("--export-students", type=int, default=300_000,
                   help="students (each with a guardian) of the SIS export imported as one"
                        " zip (0: skip it)")
    p.add_argument("--export-staff", type=int, default=20_000,
                   help="staff of that export: an administrator and teachers per school")
    p.add_argument("--export-schools", type=int, default=100)
    p.add_argument("--namespace", default=os.environ.get("COACHOPS_TEST_NAMESPACE", "bench"))
    p.add_argument("--port", type=int,
                   default=int(os.environ.get("COACHOPS_TEST_GATEWAY_PORT", "18104")))
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--keep", action="store_true",
                   help="keep the vhost and databases after the run, to look into them")
    p.add_argument("--reports-only", action="store_true",
                   help="on the databases a --keep run left (not reset): the report queries"
                        " only (implies --keep)")
    return p.parse_args(argv)


# The district -------------------------------------------------------------------------------


def district(args: argparse.Namespace) -> District:
    """The generated district with one school per coach (every school gets coaches)."""
    d = District.generate(schools=args.schools, regions=min(6, args.schools),
                          coaches=args.coaches, teachers=args.teachers)
    names = list(d.schools)
    for n, coach in enumerate(d.coaching):
        d.coaching[coach] = [names[n % len(names)]]
        d.people[coach].schools = d.coaching[coach]
    return d


def coaches_of(d: District) -> list[load.Coach]:
    teacher_at: dict[str, str] = {}
    for teacher in d.teachers:
        teacher_at.setdefault(d.people[teacher].schools[0], teacher)
    return [load.Coach(id=str(roster_id(c)), school_id=str(roster_id(schools[0])),
                       token=issue(roster_id(c), Role.COACH),
                       teacher_id=str(roster_id(teacher_at.get(schools[0], c))))
            for c, schools in d.coaching.items()]


def import_roster(stack: Stack, d: District) -> None:
    import requests

    for n in range(LEADERS):  # the report probes' leaders (report_figures)
        d.add_leader(f"district-leader-{n}")
    files = d.files()
    files["assignments"] = files["assignments"].replace(START.isoformat(),
                                                        ROSTER_FROM.isoformat())
    appoint_it_admin(stack.amqp_uri, roster_id("district-it"), ROSTER_FROM.isoformat())
    token = issue(roster_id("district-it"), Role.IT_ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    started = requests.post(f"{stack.url}/roster/import", json=files, timeout=900,
                            headers=headers)
    wait_for_import(stack.url, started, headers, timeout=3600)
    # Time tracking checks entries against the roster: wait until it knows every coach.
    wait(lambda: scalar(stack.database_url("timetracking"),
                        "SELECT count(*) FROM timetracking_events"
                        " WHERE topic LIKE '%:CoachAssignments.Learned'")
         >= len(d.coaching), 600, "the roster in time tracking")
    # And cycles, every coach at each school and every teacher (it checks proposals).
    wait(lambda: scalar(stack.database_url("cycles"),
                        "SELECT count(*) FROM cycles_events"
                        " WHERE topic LIKE '%:RosterFacts.Learned'")
         >= sum(len(s) for s in d.coaching.values()) + len(d.teachers), 600,
         "the roster in cycles")
    wait(lambda: scalar(stack.database_url("reporting"),
                        "SELECT count(*) FROM coach_schools") >= len(d.coaching), 600,
         "the roster in reporting")


# The run ------------------------------------------------------------------------------------


def batch_route(stack: Stack, wanted: str) -> str:
    """``POST /sync`` when the gateway answers it (401 without a token), else the CSV
    import of a coach's spreadsheet."""
    if wanted != "auto":
        return wanted
    import requests

    answer = requests.post(f"{stack.url}/sync", json={"items": []}, timeout=10)
    return "sync" if answer.status_code != 404 else "csv"


def bare_process_mb() -> float:
    """Peak memory of a bare Python process importing what every service imports."""
    code = ("import nameko, eventlet, kombu, psycopg2, marshmallow, eventsourcing, os;"
            "from bench.probes import peak_memory_mb; print(peak_memory_mb(os.getpid()))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60)
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    began = datetime.now(UTC)
    log_dir = Path(tempfile.mkdtemp(prefix=f"coachops-{args.namespace}-logs-"))
    stack = Stack(args.namespace, args.port, log_dir)
    figures: list[Figure] = []
    details: dict[str, Any] = {"started": began.isoformat(), "settings": vars(args),
                               "machine": {"cpus": os.cpu_count(), "shared": True},
                               "logs": str(log_dir)}
    baseline_db = f"coachops_{args.namespace}_baseline"
    if not args.reports_only:
        say(f"resetting vhost {stack.vhost} and databases coachops_{args.namespace}_*")
        stack.reset()
        drop_database(ADMIN_URL, baseline_db)
        ensure_role_and_database(ADMIN_URL, baseline_db, baseline_db)
    baseline_url = f"postgresql://{baseline_db}@127.0.0.1:5432/{baseline_db}"
    # Reports are measured on tables as autovacuum keeps them in production.
    details["autovacuum_was_off"] = was_off = autovacuum(ADMIN_URL, "on")
    say(f"starting the platform (gateway {stack.url}, logs in {log_dir}) ...")
    stack.start()
    try:
        if args.reports_only:
            figures += report_figures(stack, args, details)
        else:
            figures += run_phases(stack, args, baseline_url, details)
    finally:
        say("stopping the platform ...")
        stack.stop()
        if not args.reports_only:
            drop_database(ADMIN_URL, baseline_db)
        if not (args.keep or args.reports_only):
            stack.drop()
        if was_off:
            autovacuum(ADMIN_URL, None)
    path = args.out / f"{began:%Y%m%dT%H%M%SZ}.json"
    write(path, figures, details)
    print()
    print(table(figures))
    print(f"\nwritten to {path}")
    return 0


def autovacuum(admin_url: str, setting: str | None) -> bool:
    """Set the server's autovacuum (None: back to its configuration file's); returns
    whether it was off before."""
    with admin_cursor(admin_url) as cursor:
        cursor.execute("SHOW autovacuum")
        was_off = cursor.fetchall()[0][0] == "off"
        if setting is None:
            cursor.execute("ALTER SYSTEM RESET autovacuum")
        else:
            cursor.execute("ALTER SYSTEM SET autovacuum = %s", (setting,))
        cursor.execute("SELECT pg_reload_conf()")
    return was_off


def run_phases(stack: Stack, args: argparse.Namespace, baseline_url: str,
               details: dict[str, Any]) -> list[Figure]:
    d = district(args)
    say(f"importing the roster: {args.coaches} coaches, {args.schools} schools, "
        f"{args.teachers} teachers ...")
    import_roster(stack, d)
    coaches = coaches_of(d)

    say(f"baselines: {args.baseline_events:,} events into PostgreSQL and through RabbitMQ ...")
    events = baselines.sample_events(args.baseline_events)
    pg_batch = baselines.pg_batch(baseline_url, events, args.batch_size)
    pg_copy = baselines.pg_copy(baseline_url, events)
    pg_single, pg_latencies = baselines.pg_single(baseline_url, events, args.concurrency,
                                                  args.seconds)
    amqp = baselines.amqp(stack.amqp_uri, events)
    amqp_tx = baselines.amqp_transactions(stack.amqp_uri, events, args.batch_size)
    bare_mb = bare_process_mb()
    details["baselines"] = {
        "pg_batch_events_per_s": pg_batch, "pg_copy_events_per_s": pg_copy,
        "pg_single_events_per_s": pg_single,
        "pg_single_latency_ms": {q: percentile(pg_latencies, q) for q in (50, 95, 99)},
        "amqp_publish_per_s": amqp.publish_per_second,
        "amqp_consume_per_s": amqp.consume_per_second, "amqp_tx_batch_per_s": amqp_tx,
        "amqp_latency_ms": {q: percentile(amqp.latencies_ms, q) for q in (50, 99)},
        "bare_process_mb": bare_mb}
    say(f"  pg batch {pg_batch:,.0f}/s, COPY {pg_copy:,.0f}/s, single {pg_single:,.0f}/s; "
        f"amqp publish {amqp.publish_per_second:,.0f}/s, consume "
        f"{amqp.consume_per_second:,.0f}/s, in transactions of {args.batch_size} "
        f"{amqp_tx:,.0f}/s")

    yesterday = date.today() - timedelta(days=1)
    # Days of their own for each phase: single commands, batches, scale-out, and batches
    # while reports are asked.
    zone = (yesterday - ROSTER_FROM).days // 4
    single = drive(stack, args, "single commands", "single", coaches, yesterday, zone)
    # Right after them, under the same load from the rest of the machine: the floor.
    floor = echo_floor(stack, args, coaches, yesterday)
    details["echo_floor"] = {
        "requests_per_s": floor.requests_per_second, "requests": floor.outcome.requests,
        "statuses": floor.outcome.statuses, "cpu_ms_per_request": floor.cpu_ms_per_request,
        "latency_ms": {q: percentile(floor.outcome.latencies_ms, q) for q in (50, 95, 99)}}
    route = batch_route(stack, args.batch_route)
    route_name = {"sync": "POST /sync", "csv": "CSV import"}[route]
    details["batch_route"] = route_name
    batch = drive(stack, args, f"offline batches ({route_name})", route, coaches,
                  yesterday - timedelta(days=zone), zone)
    phases = [single, batch]

    amqp_p50 = percentile(amqp.latencies_ms, 50)
    amqp_p99 = percentile(amqp.latencies_ms, 99)
    pg_batch_ms = args.batch_size / pg_batch * 1000
    lat = single.outcome.latencies_ms
    blat = batch.outcome.latencies_ms
    figures = [
        Figure("batch_events_end_to_end", "offline batches: events/s end to end",
               batch.end_to_end_per_second, "events/s", pg_batch, "pg batched insert",
               TARGETS["batch_events"], route_name),
        Figure("batch_events_accepted", "offline batches: events/s accepted at the gateway",
               batch.accepted_per_second, "events/s", pg_batch, "pg batched insert"),
        Figure("batch_latency_p50", "offline batch request p50", percentile(blat, 50), "ms",
               pg_batch_ms, "pg insert of one batch"),
        Figure("batch_latency_p99", "offline batch request p99", percentile(blat, 99), "ms",
               pg_batch_ms, "pg insert of one batch"),
        Figure("single_requests", "single commands: requests/s", single.requests_per_second,
               "req/s", pg_single, "pg insert+commit", TARGETS["single_requests"]),
        Figure("single_requests_to_floor", "single commands: requests/s to the echo floor",
               single.requests_per_second, "req/s", floor.requests_per_second,
               "bare nameko HTTP->RPC echo"),
        Figure("echo_floor_requests", "bare nameko HTTP->RPC echo: requests/s",
               floor.requests_per_second, "req/s", pg_single, "pg insert+commit"),
        Figure("single_events_end_to_end", "single commands: events/s end to end",
               single.end_to_end_per_second, "events/s", pg_single, "pg insert+commit"),
    ]
    floor_p99 = percentile(floor.outcome.latencies_ms, 99)
    figures.append(Figure("echo_floor_latency_p99", "bare nameko HTTP->RPC echo: p99",
                          floor_p99, "ms", percentile(pg_latencies, 99), "pg insert+commit"))
    for q in (50, 95, 99):
        figures.append(Figure(f"single_latency_p{q}", f"gateway latency p{q} (single)",
                              percentile(lat, q), "ms", percentile(pg_latencies, q),
                              "pg insert+commit", TARGETS["single_p99"] if q == 99 else ""))
    for phase in phases:
        short = "single" if phase is single else "batch"
        for q, base in ((50, amqp_p50), (99, amqp_p99)):
            figures.append(Figure(
                f"lag_{short}_p{q}", f"projection lag p{q} ({short})",
                percentile(phase.lags_ms, q), "ms", base, "amqp publish->consume",
                TARGETS["lag_p99"] if q == 99 else ""))

    if args.scale_service:
        say(f"scale-out: a second {args.scale_service} process ...")
        extra = stack.add_instance(args.scale_service)
        two = drive(stack, args, f"offline batches, two {args.scale_service}", route,
                    coaches, yesterday - timedelta(days=2 * zone), zone)
        phases.append(two)
        figures.append(Figure(
            "scale_two_instances", f"batches end to end, 2x {args.scale_service}",
            two.end_to_end_per_second, "events/s", batch.end_to_end_per_second,
            f"1x {args.scale_service}"))
        # add_instance started it: its process is not None.
        details["second_instance_peak_mb"] = probes.peak_memory_mb(
            extra.process.pid)  # type: ignore[union-attr]
    details["phases"] = {p.name: p.summary() for p in phases}

    for origin in ("received", "sources"):
        say(f"rebuilding reporting --from {origin} ...")
        rebuilt, seconds = reports.rebuild(stack.database_url("reporting"), stack.amqp_uri,
                                           origin)
        figures.append(Figure(
            f"rebuild_from_{origin}", f"rebuild --from {origin} ({rebuilt:,} events)",
            rebuilt / seconds, "events/s", pg_batch, "pg batched insert",
            TARGETS["rebuild"]))

    if args.rebuild_events:
        say(f"rebuild at scale: {args.rebuild_events:,} received events ...")
        url = rebuild.fill(ADMIN_URL, f"coachops_{args.namespace}_rebuild", args.rebuild_events,
                           reports.placements(stack.database_url("reporting")), say)
        try:
            rebuilt, seconds, whole = rebuild.rebuild(url)
        finally:
            drop_database(ADMIN_URL, f"coachops_{args.namespace}_rebuild")
        details["rebuild_at_scale"] = {"events": rebuilt, "seconds": seconds,
                                       "command_seconds": whole}
        figures.append(Figure(
            "rebuild_at_scale", f"rebuild --from received ({rebuilt:,} events)",
            rebuilt / seconds, "events/s", pg_batch, "pg batched insert", TARGETS["rebuild"]))

    memory = {name: probes.peak_memory_mb(pid) for name, pid in stack.pids().items()}
    memory["load generator (max)"] = max(
        (mb for p in phases for mb in p.outcome.peak_mb), default=None)
    memory["benchmark"] = probes.peak_memory_mb(os.getpid())

    quiet = report_figures(stack, args, details)
    figures += quiet
    figures += reports_under_ingest(stack, args, details, quiet, route, coaches,
                                    yesterday - timedelta(days=3 * zone), zone)
    # Reporting's memory after the report queries too.
    memory.update({name: probes.peak_memory_mb(pid) for name, pid in stack.pids().items()})
    for name, mb in memory.items():
        figures.append(Figure(f"peak_memory_{name}", f"peak memory: {name}", mb, "MiB", bare_mb,
                              "bare python process"))
    if args.export_students:  # last: its peaks are measured from a reset of each process's
        figures += roster_export.measure(
            stack, issue(roster_id("district-it"), Role.IT_ADMIN), args.export_students,
            args.export_staff, args.export_schools, bare_mb, details)
    return figures


def report_figures(stack: Stack, args: argparse.Namespace,
                   details: dict[str, Any]) -> list[Figure]:
    sizes = [int(s) for s in args.report_events.split(",") if s.strip()]
    if not sizes:
        return []
    reporting = stack.database_url("reporting")
    admin = ADMIN_URL.rsplit("/", 1)[0] + f"/coachops_{stack.namespace}_reporting"
    where = reports.placements(reporting)
    today = date.today()
    chosen = reports.queries(where, today)
    leaders = leaders_for(chosen)
    figures, loads = [], {}
    for size, add in reports.chunks(reports.count_facts(reporting), sizes):
        if add:
            loads[size] = reports.load(admin, reporting, add, where, size, args.batch_size,
                                       say)
            say(f"  {size:,} time facts stored ({loads[size]:.0f}s to load)")
        details.setdefault("report_load_average", {})[size] = {"before": os.getloadavg()}
        ports = reporting_ports(stack)
        before = reports.cache_lookups(ports)
        asked = reports.through_gateway(stack.gateway_port, leaders, chosen,
                                        args.report_repeat, reporting)
        after = reports.cache_lookups(ports)
        straight_by_query = reports.straight_sql(reporting, chosen, args.report_repeat, today)
        straight = [ms for values in straight_by_query.values() for ms in values]
        details["report_load_average"][size]["after"] = os.getloadavg()
        details.setdefault("report_by_query", {})[size] = {
            label: {f"{name}_p{q}_ms": percentile(values[label], q)
                    for name, values in (("cold", asked.cold), ("warm", asked.warm),
                                         ("sql", straight_by_query))
                    for q in (50, 95)}
            for label in asked.cold}
        details.setdefault("report_cache_lookups", {})[size] = {
            outcome: after[outcome] - before.get(outcome, 0.0) for outcome in after}
        label = size_label(size)
        # The target is held to the cold asks: a cache cannot make it pass by itself.
        for kind, by_query, key in (("cold", asked.cold, "report"),
                                    ("repeated, cached", asked.warm, "report_warm")):
            gateway = [ms for values in by_query.values() for ms in values]
            for q in (50, 95):
                figures.append(Figure(
                    f"{key}_p{q}_{size}", f"report query p{q} at {label} events, {kind}",
                    percentile(gateway, q), "ms", percentile(straight, q),
                    "same SQL on psycopg2",
                    TARGETS["report_p95"] if q == 95 and key == "report" else "",
                    LOADED))
    details["load_seconds"] = loads
    return figures


def reports_under_ingest(stack: Stack, args: argparse.Namespace, details: dict[str, Any],
                         quiet: list[Figure], route: str, coaches: list[load.Coach],
                         newest: date, days: int) -> list[Figure]:
    """The report queries again, on the read models the report figures left (the largest
    size), while offline batches are ingested: each applied transaction changes the read
    models' version (an ask between two is answered from the cache: the JSON counts hits and
    misses), and the rollups are written while they are read.
    Beside each figure: the same queries' cold figure without ingest, from this run."""
    if not quiet:
        return []
    size = max(int(s) for s in args.report_events.split(",") if s.strip())
    chosen = reports.queries(reports.placements(stack.database_url("reporting")), date.today())
    taken: list[float] = []
    failed: list[BaseException] = []
    going = threading.Event()
    going.set()

    def ask() -> None:
        try:
            reports.asked_while(stack.gateway_port, leaders_for(chosen), chosen, going, taken)
        except BaseException as error:  # said after the phase, not lost in the thread
            failed.append(error)

    ports = reporting_ports(stack)
    before = reports.cache_lookups(ports)
    asking = threading.Thread(target=ask, name="reports under ingest")
    asking.start()
    try:
        phase = drive(stack, args, "offline batches while reports are asked", route, coaches,
                      newest, days)
    finally:
        going.clear()
        asking.join()
    if failed:
        raise failed[0]
    after = reports.cache_lookups(ports)
    details["phases"][phase.name] = phase.summary()
    tables = reports.table_rows(stack.database_url("reporting"))
    details["reports_under_ingest"] = {
        "asks": len(taken), "events_applied": phase.outcome.events,
        "cache_lookups": {outcome: after[outcome] - before.get(outcome, 0.0)
                          for outcome in after},
        "tables": tables}
    say("  dead rows per live row after it: " + ", ".join(
        f"{name} {rows['dead'] / max(rows['live'], 1):.2f}" for name, rows in tables.items()))
    by_key = {figure.key: figure.value for figure in quiet}
    return [Figure(f"report_live_p{q}_{size}",
                   f"report query p{q} at {size_label(size)} events, during batches",
                   percentile(taken, q), "ms", by_key[f"report_p{q}_{size}"],
                   "same queries, no ingest", TARGETS["report_p95"] if q == 95 else "",
                   f"{LOADED}, then batches")
            for q in (50, 95)]


def leaders_for(chosen: list[reports.Query]) -> dict[str, str]:
    """A token for each query: a district has a few leaders, and one each per query keeps
    every one within the gateway's per-person rate limit."""
    return {q.label: issue(roster_id(f"district-leader-{n % LEADERS}"), Role.DISTRICT_LEADER)
            for n, q in enumerate(chosen)}


def reporting_ports(stack: Stack) -> list[int]:
    """Every reporting process's metrics (a second one stays after a reporting scale-out)."""
    return [port for name, port in stack.metrics_ports.items()
            if name.partition("-")[0] == "reporting"]


def size_label(size: int) -> str:
    return f"{size / 1e6:g}M" if size >= 1e6 else f"{size:,}"
