"""Back up and restore every coachops database (pg_dump / pg_restore, custom format).

    python deploy/backup.py backup  var/backups/2026-11-22
    python deploy/backup.py restore var/backups/2026-11-22
    python deploy/backup.py schedule --every 24h --keep 14 /backups

``schedule`` (the compose file's ``backup`` service) takes a backup into
``<dir>/<UTC time>`` every ``--every``, keeps the ``--keep`` newest and removes the older
ones. Each is written into a ``.partial`` directory and renamed when complete, so a backup
cut short (a crash, a full disk) is never kept nor counted; one log line per backup.
``check`` (its health check) fails without a complete backup younger than two intervals.

Each service's database goes to ``<dir>/<database>.dump``. Restore replaces each database
whole (drop, recreate owned by its role, pg_restore): stop the services first. Event
stores and read models are restored together, so relays and consumers carry on from the
positions the backup recorded. Whoever the database being replaced had forgotten stays
forgotten: their destroyed keys, which an older backup still holds, are destroyed again
in the restored one (``coachops.privacy``). Connection details: ``--admin-url`` (a superuser) and
``DB_PREFIX`` as in docker-compose.yml.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

from coachops import cli, settings  # noqa: E402
from coachops.privacy.keys import Erasures, apply_erasures, read_erasures  # noqa: E402
from coachops.store.admin import drop_database, ensure_role_and_database  # noqa: E402
from coachops.store.database import one_transaction  # noqa: E402


def databases(prefix: str) -> list[str]:
    lines = (ROOT / "deploy" / "postgres" / "databases.txt").read_text().splitlines()
    services = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [f"{prefix}_{service}" for service in services]


def url_for(admin_url: str, database: str) -> str:
    """``admin_url`` naming ``database``; its query kept (a primary and its standby's
    ``?target_session_attrs=read-write``)."""
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{database}"))


def _run(command: list[str]) -> None:
    """A PostgreSQL tool, its error kept for the one line this tool ends with."""
    subprocess.run(command, check=True, stderr=subprocess.PIPE, text=True)


def backup(admin_url: str, prefix: str, target: Path, quiet: bool = False) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for n, database in enumerate(databases(prefix), 1):
        started = time.monotonic()
        path = target / f"{database}.dump"
        _run(["pg_dump", "--format=custom", "--file", str(path), url_for(admin_url, database)])
        if not quiet:
            print(f"[{n}/{len(databases(prefix))}] {database} -> {path} "
                  f"({path.stat().st_size / 1e6:.1f} MB, {time.monotonic() - started:.1f}s)",
                  flush=True)


def restore(admin_url: str, prefix: str, source: Path) -> None:
    names = databases(prefix)
    missing = [n for n in names if not (source / f"{n}.dump").exists()]
    if missing:
        raise SystemExit(f"no dump for {', '.join(missing)} in {source}: nothing restored")
    for n, database in enumerate(names, 1):
        started = time.monotonic()
        forgotten = erasures_of(admin_url, database)
        drop_database(admin_url, database)
        ensure_role_and_database(admin_url, database, database)
        _run(["pg_restore", "--no-owner", "--role", database, "--dbname",
              url_for(admin_url, database), str(source / f"{database}.dump")])
        brought_back = erase_again(admin_url, database, forgotten)
        print(f"[{n}/{len(names)}] restored {database} ({time.monotonic() - started:.1f}s);"
              f" {len(forgotten.people)} people forgotten since stay forgotten"
              f" ({brought_back} keys the backup held destroyed again)", flush=True)


PARTIAL = ".partial"
NAME = re.compile(r"^\d{8}T\d{6}Z$")  # a complete backup's directory: its UTC time


def interval(text: str) -> float:
    """``90s``, ``30m``, ``6h``, ``1d`` (or plain seconds) in seconds."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not match or float(match[1]) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a positive interval, e.g. 24h, 30m, 90s")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


def backups_in(root: Path) -> list[Path]:
    """The complete backups in ``root``, oldest first."""
    return sorted(p for p in root.iterdir() if p.is_dir() and NAME.match(p.name))


def take_one(admin_url: str, prefix: str, root: Path, keep: int) -> Path:
    """One backup into ``root``, renamed into place only when every dump is written; then
    every backup but the ``keep`` newest removed, and partial ones left by a crash."""
    started = time.monotonic()
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    partial = root / f"{name}{PARTIAL}"
    shutil.rmtree(partial, ignore_errors=True)
    backup(admin_url, prefix, partial, quiet=True)
    final = root / name
    partial.rename(final)
    for stale in root.glob(f"*{PARTIAL}"):
        shutil.rmtree(stale, ignore_errors=True)
    kept = backups_in(root)
    removed = kept[:-keep] if len(kept) > keep else []
    for old in removed:
        shutil.rmtree(old)
    size = sum(f.stat().st_size for f in final.iterdir())
    print(f"backup {final} ({len(databases(prefix))} databases, {size / 1e6:.1f} MB, "
          f"{time.monotonic() - started:.1f}s); {len(kept) - len(removed)} kept, "
          f"{len(removed)} removed", flush=True)
    return final


def schedule(admin_url: str, prefix: str, root: Path, every: float, keep: int) -> None:
    """A backup now and every ``every`` seconds after (the compose ``backup`` service). A
    failed one is logged in one line and tried again at the next turn, not the end."""
    root.mkdir(parents=True, exist_ok=True)
    while True:
        started = time.monotonic()
        try:
            take_one(admin_url, prefix, root, keep)
        except (subprocess.CalledProcessError, OSError) as error:
            detail = getattr(error, "stderr", None) or str(error)
            print(f"backup failed: {detail.strip().splitlines()[-1] if detail.strip() else error}",
                  file=sys.stderr, flush=True)
        time.sleep(max(0.0, every - (time.monotonic() - started)))


def check(root: Path, every: float) -> None:
    """The ``backup`` service's health: a complete backup younger than two intervals."""
    found = backups_in(root) if root.is_dir() else []
    if not found:
        raise SystemExit(f"no complete backup in {root}")
    age = time.time() - found[-1].stat().st_mtime
    if age > 2 * every:
        raise SystemExit(f"the newest backup, {found[-1]}, is {age / 3600:.1f} hours old")
    print(f"newest backup {found[-1]} ({age / 3600:.1f} hours old)")


def erasures_of(admin_url: str, database: str) -> Erasures:
    """What the database about to be replaced has forgotten (nothing if it is gone)."""
    try:
        conn = psycopg2.connect(url_for(admin_url, database))
    except psycopg2.OperationalError:
        return Erasures([], [])
    try:
        with conn, conn.cursor() as cursor:
            return read_erasures(cursor)
    finally:
        conn.close()


def erase_again(admin_url: str, database: str, forgotten: Erasures) -> int:
    with one_transaction(url_for(admin_url, database)) as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(database)))
        return apply_erasures(cursor, forgotten)


def main() -> None:
    configured = settings.start(settings.ADMIN)
    parser = argparse.ArgumentParser(description="Back up or restore coachops databases.")
    parser.add_argument("command", choices=["backup", "restore", "schedule", "check"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--admin-url", default=configured.admin_url)
    parser.add_argument("--prefix", default=configured.db_prefix)
    parser.add_argument("--every", type=interval, default=interval("24h"),
                        help="schedule, check: time between backups (24h, 30m, 90s)")
    parser.add_argument("--keep", type=int, default=14,
                        help="schedule: how many of the newest backups to keep")
    args = parser.parse_args()
    if args.command == "schedule":
        if args.keep < 1:
            parser.error("--keep: at least 1")
        schedule(args.admin_url, args.prefix, args.directory, args.every, args.keep)
    elif args.command == "check":
        check(args.directory, args.every)
    else:
        (backup if args.command == "backup" else restore)(args.admin_url, args.prefix,
                                                          args.directory)


if __name__ == "__main__":
    cli.run(main)
