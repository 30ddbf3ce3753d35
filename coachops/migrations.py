"""Versioned schema migrations: a small runner, one ordered list of numbered steps per owner.

An owner (``privacy.keys``, ``gateway.revocations``, a store's tables...) keeps its steps in
a ``Migrations``: step 1 is the baseline, the tables as the previous release made them,
written idempotently (``CREATE ... IF NOT EXISTS``) so that a database made by that release
is recorded at version 1 without harm; later steps change it. Each database has a
``schema_migrations`` table (owner, version, name, applied_at, checksum).

``apply`` runs in the caller's transaction under ``pg_advisory_xact_lock``: of several
processes starting at once, the first applies the pending steps and the others, once it has
committed, find nothing left to do. A database whose recorded version is newer than the code
(an older release started on an upgraded database) is refused, naming both versions.

District IT::

    python -m coachops.migrations status --database-url URL
    python -m coachops.migrations upgrade --database-url URL

``upgrade`` applies the pending steps of the owners recorded in that database (each service
does the same at start-up); an owner never recorded there is left to its service.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg2
from psycopg2.extensions import cursor as Cursor

from coachops import cli
from coachops.errors import CoachopsError

Step = str | Callable[[Cursor], None]

# One lock for every owner of a database: steps of different owners may touch one table.
LOCK = "coachops.migrations"

TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    owner text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    checksum text NOT NULL,
    PRIMARY KEY (owner, version)
)
"""

# The modules that register an owner, imported by ``status`` to know the code's versions.
OWNER_MODULES = (
    "coachops.privacy.keys",
    "coachops.bus.relay",
    "services.reporting.schema",
    "gateway.sessions",
    "gateway.revocations",
)


# Owners named so are a store's tables, made by its recorder (``coachops.store.recorder``).
STORE = "store:"
# The store's schema, step by step: what each release added to an application's recorder.
STORE_STEPS = ("baseline", "the request each event was recorded in")


class SchemaTooNew(CoachopsError):
    """The database was upgraded by a newer release than this code."""


def checksum(step: Step) -> str:
    """What the step says: its SQL, or a callable's source, hashed (a changed step shows)."""
    text = step if isinstance(step, str) else inspect.getsource(step)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    step: Step

    @property
    def checksum(self) -> str:
        return checksum(self.step)


@dataclass(frozen=True)
class Migrations:
    """An owner's steps, numbered from 1 in the order given."""

    owner: str
    steps: tuple[Migration, ...] = field(default=())

    @classmethod
    def of(cls, owner: str, *steps: tuple[str, Step]) -> Migrations:
        return cls(owner, tuple(Migration(n, name, s) for n, (name, s) in enumerate(steps, 1)))

    @property
    def version(self) -> int:
        return len(self.steps)

    def __call__(self, cursor: Cursor) -> None:
        """Apply this owner's pending steps: a ``Database(schema=...)`` at start-up."""
        apply(cursor, self)


REGISTRY: dict[str, Migrations] = {}


def register(owner: str, *steps: tuple[str, Step]) -> Migrations:
    """An owner's migrations, known to ``status``."""
    migrations = Migrations.of(owner, *steps)
    REGISTRY[owner] = migrations
    return migrations


def _one(cursor: Cursor) -> Any:
    """The first column of the one row a statement such as ``SELECT count(*)`` returns."""
    row = cursor.fetchone()
    assert row is not None, "a statement of one row returned none"
    return row[0]


def recorded(cursor: Cursor, owner: str) -> int:
    cursor.execute(
        "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE owner = %s", (owner,)
    )
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def apply(cursor: Cursor, *owners: Migrations) -> list[tuple[str, int]]:
    """Apply each owner's pending steps in the caller's transaction; the steps applied.

    Refuses (``SchemaTooNew``) a database recorded at a version newer than the code."""
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK,))
    cursor.execute(TABLE)
    applied: list[tuple[str, int]] = []
    for migrations in owners:
        at = recorded(cursor, migrations.owner)
        if at > migrations.version:
            cursor.execute("SELECT current_database()")
            database = _one(cursor)
            raise SchemaTooNew(
                f"database {database}: {migrations.owner} schema is at version {at}, newer"
                f" than this code's {migrations.version}; run the release that upgraded it"
            )
        for migration in migrations.steps[at:]:
            if isinstance(migration.step, str):
                cursor.execute(migration.step)
            else:
                migration.step(cursor)
            cursor.execute(
                "INSERT INTO schema_migrations (owner, version, name, checksum)"
                " VALUES (%s, %s, %s, %s)",
                (migrations.owner, migration.version, migration.name, migration.checksum),
            )
            applied.append((migrations.owner, migration.version))
    return applied


def upgrade(database_url: str, *owners: Migrations) -> list[tuple[str, int]]:
    """Apply the owners' pending steps to the database at ``database_url``, in one transaction."""
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cursor:
            return apply(cursor, *owners)
    finally:
        conn.close()


def known_owners() -> list[Migrations]:
    """Every owner of this code, their modules imported."""
    for module in OWNER_MODULES:
        importlib.import_module(module)
    # Run as ``python -m``, this module is ``__main__``: the owners register with the other.
    return list(importlib.import_module("coachops.migrations").REGISTRY.values())


def upgrade_recorded(database_url: str) -> list[tuple[str, int]]:
    """Apply the pending steps of the owners recorded in the database (district IT's tool)."""
    code = {m.owner: m for m in known_owners()}
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (LOCK,))
            cursor.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not _one(cursor):
                raise CoachopsError(
                    "no schema_migrations table: start the services once, they make it"
                )
            cursor.execute("SELECT DISTINCT owner FROM schema_migrations ORDER BY owner")
            owners = [code[o] for (o,) in cursor.fetchall() if o in code]
            return apply(cursor, *owners)
    finally:
        conn.close()


def status(database_url: str, known: Iterable[Migrations] | None = None) -> list[str]:
    """One line per owner recorded in the database: its version, the code's, and pending."""
    if known is None:
        known = known_owners()
    code = {m.owner: m for m in known}
    conn = psycopg2.connect(database_url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not _one(cursor):
                return ["no schema_migrations table: no release with migrations has started here"]
            cursor.execute(
                "SELECT owner, version, name, applied_at, checksum FROM schema_migrations"
                " ORDER BY owner, version"
            )
            rows = cursor.fetchall()
            cursor.execute("SELECT to_regclass('read_model_schema') IS NOT NULL")
            read_models = None
            if _one(cursor):
                cursor.execute("SELECT version FROM read_model_schema")
                row = cursor.fetchone()
                read_models = row[0] if row else None
    finally:
        conn.close()
    lines = []
    if read_models is not None:  # rebuilt from received_events, not migrated
        lines.append(f"reporting read models: version {read_models} (rebuilt when it changes)")
    latest: dict[str, tuple[int, str, object]] = {}
    changed: dict[str, list[int]] = {}
    for owner, version, name, applied_at, digest in rows:
        latest[owner] = (version, name, applied_at)
        mine = code.get(owner)
        if mine and version <= mine.version and mine.steps[version - 1].checksum != digest:
            changed.setdefault(owner, []).append(version)
    for owner, (version, name, applied_at) in sorted(latest.items()):
        mine = code.get(owner)
        if mine is None and owner.startswith(STORE):
            mine = Migrations.of(owner, *((name, "") for name in STORE_STEPS))
        if mine is None:
            state = "unknown to this code"
        elif version > mine.version:
            state = f"NEWER than this code ({mine.version}): refused at start-up"
        elif version < mine.version:
            state = f"{mine.version - version} pending (code at {mine.version})"
        else:
            state = "up to date"
        line = f"{owner}: version {version} ({name}, applied {applied_at:%Y-%m-%d %H:%M}), {state}"
        if owner in changed:
            line += f"; steps changed since applied: {changed[owner]}"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coachops.migrations", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("status", help="each owner's recorded and pending versions")
    show.add_argument("--database-url", required=True)
    up = commands.add_parser("upgrade", help="apply the pending steps of the recorded owners")
    up.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)
    if args.command == "upgrade":
        applied = upgrade_recorded(args.database_url)
        for owner, version in applied:
            print(f"{owner}: applied step {version}")
        if not applied:
            print("nothing pending")
    for line in status(args.database_url):
        print(line)
    return 0


if __name__ == "__main__":
    cli.run(main)
