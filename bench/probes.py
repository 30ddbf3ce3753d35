"""What the benchmark reads from the running processes: Prometheus histograms (the
projection lag) and each process's peak resident memory (VmHWM, from /proc)."""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

import psycopg2
import requests

SAMPLE = re.compile(r'^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')

Buckets = dict[float, float]  # upper bound -> cumulative count


def scrape(port: int) -> str:
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def histogram(text: str, name: str, sources: Collection[str] = ()) -> Buckets:
    """The buckets of histogram ``name``, summed over all its label sets (those of
    ``sources`` only, when given)."""
    buckets: Buckets = defaultdict(float)
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match or match["name"] != f"{name}_bucket":
            continue
        labels = dict(LABEL.findall(match["labels"] or ""))
        if sources and labels.get("source") not in sources:
            continue
        buckets[float(labels["le"])] += float(match["value"])
    return dict(buckets)


def counter(text: str, name: str) -> float:
    """Counter ``name``, summed over all its label sets."""
    total = 0.0
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match and match["name"] == f"{name}_total":
            total += float(match["value"])
    return total


# PostgreSQL's statistics of rows written reach pg_stat_database when each backend flushes
# them: at most once a second while it works, within ten seconds once it is idle.
STATISTICS_FLUSHED_SECONDS = 11.0


def database_work(admin_url: str, databases: Collection[str]) -> dict[str, float]:
    """The server's WAL position in bytes, and the rows written (inserted, updated and
    deleted) so far in ``databases``: a phase's work is the difference of two readings.
    WAL is the whole server's, so the machine should run nothing else meanwhile."""
    connection = psycopg2.connect(admin_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0'),"
                " (SELECT coalesce(sum(tup_inserted + tup_updated + tup_deleted), 0)"
                "  FROM pg_stat_database WHERE datname = ANY(%s))", (list(databases),))
            wal, rows = cursor.fetchall()[0]
            return {"wal_bytes": float(wal), "rows_written": float(rows)}
    finally:
        connection.close()


def difference(after: Buckets, before: Buckets) -> Buckets:
    """What was observed between two scrapes."""
    return {le: count - before.get(le, 0.0) for le, count in after.items()}


def add(*many: Buckets) -> Buckets:
    total: Buckets = defaultdict(float)
    for buckets in many:
        for le, count in buckets.items():
            total[le] += count
    return dict(total)


def quantile(buckets: Buckets, q: float) -> float | None:
    """As PromQL's histogram_quantile: linear inside the bucket holding the quantile.
    None when nothing was observed; the last finite bound when it falls in +Inf."""
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


def peak_memory_mb(pid: int) -> float | None:
    """The process's high-water mark of resident memory, in MiB (None once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


# Processes outside the platform's own that each command also costs, by command name.
SHARED_SERVERS = {"postgresql": "postgres", "rabbitmq": "beam.smp"}


def shared_server_cpu_seconds() -> dict[str, float]:
    """CPU time every process of PostgreSQL and of RabbitMQ has used so far (whatever
    database or vhost it served: on a machine of its own, the platform's)."""
    used = dict.fromkeys(SHARED_SERVERS, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone since the listing
        command = text[text.index("(") + 1:text.rindex(")")]
        for server, name in SHARED_SERVERS.items():
            if command == name:
                # Its own and its ended children's (a PostgreSQL backend that closed).
                fields = text.rpartition(")")[2].split()
                used[server] += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return used


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has been busy so far, every core added (/proc/stat)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used so far (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
