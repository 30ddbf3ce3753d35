"""The benchmark in a tiny mode, so that it cannot rot: it starts its own platform (on a
vhost and databases of its own, beside the test session's), drives every phase for a few
seconds and writes a JSON file with every figure, each beside its baseline and the ratio
to it. Speeds are never asserted here: that is what the benchmark itself reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.stack import free_port
from tests.support.platform import NAMESPACE

ROOT = Path(__file__).resolve().parents[3]
TINY = ["--coaches", "12", "--schools", "4", "--teachers", "20", "--seconds", "2",
        "--concurrency", "4", "--batch-concurrency", "2", "--batch-size", "20",
        "--baseline-events", "200", "--report-events", "3000,6000", "--report-repeat", "2",
        "--rebuild-events", "3000", "--export-students", "200", "--export-staff", "20",
        "--export-schools", "2"]
EXPECTED = {
    "batch_events_end_to_end", "batch_events_accepted", "batch_latency_p50",
    "batch_latency_p99", "single_requests", "single_requests_to_floor", "echo_floor_requests",
    "echo_floor_latency_p99", "single_events_end_to_end", "single_latency_p50",
    "single_latency_p95", "single_latency_p99", "lag_single_p50", "lag_single_p99",
    "lag_batch_p50", "lag_batch_p99", "scale_two_instances", "rebuild_from_received",
    "rebuild_from_sources", "rebuild_at_scale", "report_p50_3000", "report_p95_3000",
    "report_p50_6000", "report_p95_6000", "report_warm_p50_3000", "report_warm_p95_3000",
    "report_warm_p50_6000", "report_warm_p95_6000", "report_live_p50_6000",
    "report_live_p95_6000", "peak_memory_gateway", "peak_memory_cycles",
    "peak_memory_timetracking", "peak_memory_reporting", "peak_memory_agreements",
    "peak_memory_reporting-2", "peak_memory_load generator (max)", "peak_memory_benchmark",
    "roster_export_rows", "roster_export_peak_gateway", "roster_export_peak_agreements",
}


def test_a_tiny_run_writes_every_figure_with_its_baseline_and_ratio(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bench", *TINY, "--namespace", f"{NAMESPACE}_bench",
         "--port", str(free_port()), "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    (written,) = tmp_path.glob("*.json")
    figures = {f["key"]: f for f in json.loads(written.read_text())["figures"]}
    assert set(figures) == EXPECTED
    for key, figure in figures.items():
        assert figure["value"] is not None and figure["value"] > 0, key
        assert figure["baseline"] is not None and figure["baseline"] > 0, key
        assert figure["ratio"] == figure["value"] / figure["baseline"], key
        if figure["target"]:
            assert figure["meets"] in (True, False), key
    for key in ("report_p50_3000", "report_p95_6000", "report_warm_p95_6000"):
        assert figures[key]["note"] == "history bulk-loaded, this year as ingest"
    # The target is held to the cold asks (each after the read models changed), which the
    # cache of finished reports could not answer; the repeated ones are a figure beside it.
    assert figures["report_p95_6000"]["target"] and not figures["report_warm_p95_6000"]["target"]
    # And asked again while batches are ingested, beside the same queries' quiet figure.
    assert figures["report_live_p95_6000"]["target"]
    assert figures["report_live_p95_6000"]["baseline"] == figures["report_p95_6000"]["value"]
    written_details = json.loads(written.read_text())
    # Six queries, each asked twice cold and twice again: with two reporting processes (the
    # scale-out leaves the second running) a repeated ask may find its report cached in the
    # other process, but the second of the two finds it in one of them.
    for lookups in written_details["report_cache_lookups"].values():
        assert lookups.get("miss", 0) >= 2 * 6 and lookups.get("hit", 0) >= 6, lookups
    # Every request of the run was accepted: a refused command would make the figures lie.
    phases = json.loads(written.read_text())["phases"]
    for name, phase in phases.items():
        assert set(phase["statuses"]) <= {"200", "201"}, (name, phase["errors"])
        assert phase["events"] > 0, name
        # The work beside the time: each event wrote rows and WAL, and was published once,
        # in messages that each carry a list of events (so fewer messages than events).
        work = phase["work_per_event"]
        assert work["rows_written"] >= 1 and work["wal_bytes"] > 0, (name, work)
        assert work["events_published"] >= 1, (name, work)
        assert 0 < work["messages_published"] <= work["events_published"], (name, work)
    under_ingest = written_details["reports_under_ingest"]
    assert under_ingest["asks"] > 0 and under_ingest["events_applied"] > 0, under_ingest
    # The floor answered every request it was sent, in the same run.
    floor = written_details["echo_floor"]
    assert set(floor["statuses"]) == {"201"} and floor["requests"] > 0, floor
    # The table went to the terminal, with its pass/miss column.
    assert "pass/miss" in done.stdout
    assert str(written) in done.stdout
