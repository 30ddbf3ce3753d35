"""District IT's backup and restore (deploy/backup.py) of every database, on the running
test platform: a restore after losing every database, followed by a replay (the reporting
rebuild), gives the same reports, and the platform carries on from there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.local import ROOT
from tests.e2e.test_slice import active_cycles, start_as_teacher, start_cycle_body
from tests.integration.compose.test_compose import clean_env, compose_config
from tests.support import roster
from tests.support.platform import (
    ADMIN_URL,
    DATABASES,
    NAMESPACE,
    Platform,
    database_name,
    drop_database,
    wait_until,
)


def run_backup(command: str, directory: Path) -> str:
    result = subprocess.run(
        [sys.executable, "deploy/backup.py", command, str(directory), "--admin-url", ADMIN_URL,
         "--prefix", f"coachops_{NAMESPACE}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_restore_after_losing_every_database_gives_the_same_reports(
    platform: Platform, tmp_path: Path
) -> None:
    ats = [roster.school(platform, coaches=1, teachers=n + 2) for n in range(3)]
    schools = [at.id for at in ats]
    for n, at in enumerate(ats):
        for _ in range(n + 1):
            assert start_as_teacher(platform, start_cycle_body(platform, at)).status_code == 201
    wait_until(lambda: [active_cycles(platform, s) for s in schools] == [1, 2, 3], timeout=20,
               what="the cycles to reach reporting")

    out = run_backup("backup", tmp_path)
    assert out.count(".dump") == len(DATABASES), out
    before = [active_cycles(platform, s) for s in schools]

    platform.stop()
    for service in DATABASES:
        drop_database(ADMIN_URL, database_name(service))  # the disaster
    out = run_backup("restore", tmp_path)
    assert out.count("restored") == len(DATABASES), out
    # Replay: rebuild the reports from the restored events before anything else runs.
    name = database_name("reporting")
    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild", "--from", "received",
         "--database-url",
         f"postgresql://{name}@127.0.0.1:5432/{name}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    for process in platform.processes.values():
        process.start()
    platform.wait_ready()

    assert [active_cycles(platform, s) for s in schools] == before
    # Relays and consumers carry on from the restored positions: new work still flows,
    # and nothing from before the backup is counted twice.
    assert start_as_teacher(platform, start_cycle_body(platform, ats[0])).status_code == 201
    wait_until(lambda: active_cycles(platform, schools[0]) == before[0] + 1, timeout=20,
               what="a new cycle after the restore")
    assert [active_cycles(platform, s) for s in schools[1:]] == before[1:]


def test_restore_refuses_an_incomplete_backup(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "deploy/backup.py", "restore", str(tmp_path), "--admin-url", ADMIN_URL,
         "--prefix", f"coachops_{NAMESPACE}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "nothing restored" in result.stderr


def test_the_backup_service_never_holds_the_master_key() -> None:
    """The key wrapping every data key stays out of the backup job and its volume, so a
    stolen backup opens nothing (README, "Backups"): the services get it as the secret
    ``master_key``, the backup job only the superuser's password."""
    config, _ = compose_config(clean_env())
    services = config["services"]
    assert "master_key" in str(services["cycles"]["secrets"])  # the services have it
    job = services["backup"]
    assert "master_key" not in str(job.get("secrets")), job
    assert "postgres_password" in str(job.get("secrets")), job
    assert not any("MASTER_KEY" in name for name in job.get("environment", {})), job
    assert not any("master_key" in str(part)
                   for part in (job.get("command"), job.get("volumes"))), job
    assert "schedule" in str(job["command"])


def logged(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith("backup ")]


def test_scheduled_backups_keep_the_newest_and_one_restores(
    platform: Platform, tmp_path: Path
) -> None:
    """The compose ``backup`` service's command, as a process: a backup every 2 seconds,
    2 kept; complete ones only (no ``.partial``), and the newest restores."""
    at = roster.school(platform, coaches=1, teachers=2)
    assert start_as_teacher(platform, start_cycle_body(platform, at)).status_code == 201
    wait_until(lambda: active_cycles(platform, at.id) == 1, timeout=20,
               what="the cycle to reach reporting")
    root = tmp_path / "backups"
    log = tmp_path / "schedule.log"
    with log.open("w") as out:
        job = subprocess.Popen(
            [sys.executable, "deploy/backup.py", "schedule", str(root), "--every", "2s",
             "--keep", "2", "--admin-url", ADMIN_URL, "--prefix", f"coachops_{NAMESPACE}"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
        try:
            wait_until(lambda: len(logged(log)) >= 4, timeout=120, what="four scheduled backups")
        finally:
            job.terminate()
            job.wait(timeout=30)
    lines = logged(log)
    assert "failed" not in log.read_text(), log.read_text()
    assert lines[0].endswith("1 kept, 0 removed"), lines  # one log line per backup
    assert lines[3].endswith("2 kept, 1 removed"), lines
    # Each backup is renamed into place when complete; a ".partial" is one cut short by the
    # terminate above, never counted and removed at the next turn.
    complete = sorted(p for p in root.iterdir() if not p.name.endswith(".partial"))
    assert len(complete) == 2, list(root.iterdir())
    assert all(len(list(p.glob("*.dump"))) == len(DATABASES) for p in complete)
    newest = complete[-1]

    platform.stop()
    for service in DATABASES:
        drop_database(ADMIN_URL, database_name(service))
    out = run_backup("restore", newest)
    assert out.count("restored") == len(DATABASES), out
    for process in platform.processes.values():
        process.start()
    platform.wait_ready()
    assert active_cycles(platform, at.id) == 1
