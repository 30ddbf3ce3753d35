"""The upgrade from the release before migrations (commit 04f0390): its platform, as
processes from its own tree, fills its databases through the gateway; this code's platform
then starts on the same databases and vhost. Nothing is lost, every report answers the
same, the baseline is recognised and a new write works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.support.platform import DATABASES, database_url, free_port

PREVIOUS = "04f0390"
ROOT = Path(__file__).resolve().parents[3]
SIDE = Path(__file__).with_name("upgrade_side.py")
NAMESPACE = os.environ.get("COACHOPS_TEST_NAMESPACE", "test") + "-old"


@pytest.fixture
def previous_tree(tmp_path: Path) -> Iterator[Path]:
    tree = tmp_path / "previous"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), PREVIOUS],
                   cwd=ROOT, check=True, capture_output=True)
    yield tree
    subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                   check=True, capture_output=True)


def run_side(tree: Path, side: str, out: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, str(SIDE), side, NAMESPACE, str(out.parent / f"logs-{side}"),
         str(out), str(free_port()), *extra],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True,
        text=True, timeout=1200, check=False)
    assert done.returncode == 0, f"{side}: {done.stderr[-4000:]}"
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def test_an_upgrade_keeps_every_event_and_every_report(previous_tree: Path,
                                                       tmp_path: Path) -> None:
    before = run_side(previous_tree, "old", tmp_path / "old.json")
    for service in DATABASES:  # the old release made no schema_migrations
        conn = psycopg2.connect(database_url(service, NAMESPACE))
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('schema_migrations') IS NULL")
            assert cursor.fetchone()[0]
        conn.close()
    after = run_side(ROOT, "new", tmp_path / "new.json", "--write")

    assert after["exits"] == {name: 0 for name in before["exits"]}
    assert after["reports"] == before["reports"]
    assert before["reports"]["time-use"][1]["rows"], "the old release's reports held nothing"
    assert before["counts"]["timetracking.timetracking_events"] > 0
    assert all(status == 200 for status, _ in after["reports"].values())
    # Reporting's daily rollups hold a row per day with minutes since this release (the month
    # to date before): remade from received_events, so fewer rows; the reports say they agree.
    regrained = {f"reporting.{grain}time_day" for grain in ("", "school_", "region_")}
    lost = {t: (n, after["counts"].get(t)) for t, n in before["counts"].items()
            if after["counts"].get(t, -1) < n and t not in regrained}
    assert all(after["counts"][t] > 0 for t in regrained)
    assert not lost
    assert after["written"] == 201
    recorded = {}
    for service in DATABASES:
        conn = psycopg2.connect(database_url(service, NAMESPACE))
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT owner, version, name FROM schema_migrations")
            recorded[service] = sorted(cursor.fetchall())
        conn.close()
    assert ("gateway.sessions", 1, "baseline") in recorded["gateway"]
    assert ("gateway.revocations", 1, "baseline") in recorded["gateway"]
    assert ("reporting", 1, "baseline") in recorded["reporting"]
    assert ("privacy.keys", 1, "baseline") in recorded["agreements"]
    assert ("bus.relay", 1, "baseline") in recorded["cycles"]
    # The old release's event store at the baseline, and this release's step applied on it.
    assert ("store:public.cycles_events", 2, "the request each event was recorded in") in \
        recorded["cycles"]
    assert ("store:public.cycles_events", 1, "baseline") in recorded["cycles"]
