"""Back up and restore every coachops database (pg_dump / pg_restore, custom format).

    python deploy/backup.py backup  var/backups/2026-11-22
    python deploy/backup.py restore var/backups/2026-11-22

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
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

from coachops import cli, settings  # noqa: E402
from coachops.privacy.keys import Erasures, apply_erasures, read_erasures  # noqa: E402
from coachops.store.admin import drop_database, ensure_role_and_database  # noqa: E402


def databases(prefix: str) -> list[str]:
    lines = (ROOT / "deploy" / "postgres" / "databases.txt").read_text().splitlines()
    services = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [f"{prefix}_{service}" for service in services]


def url_for(admin_url: str, database: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{database}"


def _run(command: list[str]) -> None:
    """A PostgreSQL tool, its error kept for the one line this tool ends with."""
    subprocess.run(command, check=True, stderr=subprocess.PIPE, text=True)


def backup(admin_url: str, prefix: str, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for n, database in enumerate(databases(prefix), 1):
        started = time.monotonic()
        path = target / f"{database}.dump"
        _run(["pg_dump", "--format=custom", "--file", str(path), url_for(admin_url, database)])
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
    conn = psycopg2.connect(url_for(admin_url, database))
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(database)))
            return apply_erasures(cursor, forgotten)
    finally:
        conn.close()


def main() -> None:
    configured = settings.start()
    parser = argparse.ArgumentParser(description="Back up or restore coachops databases.")
    parser.add_argument("command", choices=["backup", "restore"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--admin-url", default=configured.admin_url)
    parser.add_argument("--prefix", default=configured.db_prefix)
    args = parser.parse_args()
    (backup if args.command == "backup" else restore)(args.admin_url, args.prefix, args.directory)


if __name__ == "__main__":
    cli.run(main)
