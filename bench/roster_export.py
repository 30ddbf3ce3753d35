"""The roster's import of a large district's SIS export, as district IT sends it: one zip
(``tests/support/sis.py``: a district, its schools, administrators and teachers, students
each with a guardian, classes and enrollments) posted to ``POST /roster/import`` and
followed to its end. Figures: rows of users.csv per second end to end (beside Python's own
csv reader over the same file) and the peak memory of the gateway, which unpacks the zip
and leaves the students in it, and of the agreements service, which imports the staff
(beside a bare Python process). The peaks are those of the import alone: each process's
high-water mark is reset just before it (``/proc/<pid>/clear_refs``)."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import requests

from bench import probes
from bench.phases import say
from bench.results import Figure
from bench.stack import Stack
from tests.support.sis import Export

EFFECTIVE_ON = "2026-08-03"


def _reset_peak(pid: int) -> None:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as proc:
            proc.write("5")  # resets the process's VmHWM to its resident size now
    except OSError:
        pass  # an older kernel: the peak is then the process's whole life's


def _followed(url: str, started: requests.Response, token: str,
              timeout: float = 3600) -> tuple[dict[str, Any], int]:
    """The import's record once done, and how many times its state went unanswered (503):
    while a large import is saved, the agreements process may not answer within the
    gateway's 30 seconds, and this waits on (``wait_for_import`` would stop there)."""
    started.raise_for_status()
    path = f"{url}/roster/imports/{started.json()['import_id']}"
    deadline, busy = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        answer = requests.get(path, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        if answer.status_code == 503:
            busy += 1
            continue
        answer.raise_for_status()
        record: dict[str, Any] = answer.json()
        if record["state"] == "failed":
            raise RuntimeError(f"the export's import failed: {record['reason']}")
        if record["state"] == "done":
            return record, busy
        time.sleep(0.5)
    raise TimeoutError(f"the export's import was not done within {timeout:.0f}s")


def csv_rows_per_second(text: str) -> float:
    began = time.perf_counter()
    rows = sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    return rows / (time.perf_counter() - began)


def measure(stack: Stack, token: str, students: int, staff: int, schools: int,
            bare_mb: float, details: dict[str, Any]) -> list[Figure]:
    per_school = max(1, staff // schools - 1)  # teachers, beside each school's administrator
    say(f"roster export: {students:,} students (and their guardians), {staff:,} staff in "
        f"{schools} schools, as one zip ...")
    export = Export.generate("bench-sis", schools=schools, teachers=per_school,
                             students=max(1, students // schools))
    files = export.files()
    data = export.zip(files)
    rows = files["users"].count("\n") - 1
    baseline = csv_rows_per_second(files["users"])
    del export, files
    pids = {name: pid for name, pid in stack.pids().items()
            if name in ("gateway", "agreements")}
    for pid in pids.values():
        _reset_peak(pid)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
    began = time.monotonic()
    started = requests.post(f"{stack.url}/roster/import", data=data, headers=headers,
                            params={"effective_on": EFFECTIVE_ON}, timeout=900)
    record, busy = _followed(stack.url, started, token)
    seconds = time.monotonic() - began
    peaks = {name: probes.peak_memory_mb(pid) for name, pid in pids.items()}
    details["roster_export"] = {"zip_bytes": len(data), "users_rows": rows,
                                "state_unanswered": busy,
                                "seconds": seconds, "recorded": record["changes"]["recorded"],
                                "peak_mb": peaks}
    say(f"  {rows:,} rows of users.csv in {seconds:.1f}s; peaks {peaks}")
    figures = [Figure("roster_export_rows", "roster export: users.csv rows/s end to end",
                      rows / seconds, "rows/s", baseline, "csv.reader, same file")]
    figures += [Figure(f"roster_export_peak_{name}", f"roster export: peak memory, {name}",
                       mb, "MiB", bare_mb, "bare python process")
                for name, mb in peaks.items()]
    return figures
