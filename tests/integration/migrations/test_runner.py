"""The migration runner (``coachops.migrations``) against the real PostgreSQL: a fresh
database, one made by the code before migrations, concurrent upgrades, a database newer
than the code, and the status tool."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from coachops import migrations
from coachops.migrations import Migrations, SchemaTooNew
from coachops.privacy import keys, master
from coachops.privacy.keys import PostgresKeys
from coachops.store import PostgresApplicationRecorder, PostgresDatabase
from coachops.store.admin import drop_database, ensure_role_and_database

ADMIN_URL = os.environ.get(
    "COACHOPS_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
NAMESPACE = os.environ.get("COACHOPS_TEST_NAMESPACE", "test")
ROOT = Path(__file__).resolve().parents[3]
MASTER = master.parse(master.DEV_MASTER_KEY, "the development key")


@pytest.fixture
def database_url() -> Iterator[str]:
    """A throwaway database, dropped after the test."""
    name = f"coachops_mig_{NAMESPACE}_{uuid.uuid4().hex[:8]}"
    ensure_role_and_database(ADMIN_URL, name, "postgres")
    parts = urlsplit(ADMIN_URL)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    drop_database(ADMIN_URL, name)


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()
    finally:
        conn.close()


def execute(url: str, statement: str, params: tuple[object, ...] = ()) -> None:
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        conn.close()


def open_keys(url: str) -> tuple[PostgresDatabase, PostgresKeys]:
    database = PostgresDatabase(url, pool_size=2)
    store = PostgresKeys(database, MASTER)
    store.create_tables()
    return database, store


def test_a_fresh_database_gets_every_step_recorded(database_url: str) -> None:
    database, store = open_keys(database_url)
    try:
        subject = uuid.uuid4()
        assert store.key(subject, create=True) is not None
    finally:
        database.close()
    recorded = rows(database_url, "SELECT owner, version, name, checksum FROM schema_migrations")
    assert recorded == [("privacy.keys", 1, "baseline", keys.MIGRATIONS.steps[0].checksum)]


def test_a_database_made_before_migrations_is_recorded_at_version_1_and_keeps_its_rows(
    database_url: str,
) -> None:
    # What the release before migrations did at start-up: its DDL, run as is.
    execute(database_url, keys.DDL)
    person = uuid.uuid4()
    execute(database_url, "INSERT INTO erased_people (person_id, keys_destroyed) VALUES (%s, 2)",
            (str(person),))
    database, store = open_keys(database_url)
    try:
        assert store.erased_people() == [person]
    finally:
        database.close()
    assert rows(database_url, "SELECT owner, version FROM schema_migrations") == [
        ("privacy.keys", 1)
    ]
    # Starting again applies nothing more.
    assert migrations.upgrade(database_url, keys.MIGRATIONS) == []


def counting_owner() -> Migrations:
    """Steps that fail if run twice (no IF NOT EXISTS), and count how often they ran."""
    return Migrations.of(
        "test.counting",
        ("table", "CREATE TABLE runs (step integer NOT NULL)"),
        ("first", "INSERT INTO runs VALUES (2)"),
        ("second", lambda cursor: cursor.execute("INSERT INTO runs VALUES (3)")),
    )


def test_processes_starting_together_apply_each_step_once(database_url: str) -> None:
    owner = counting_owner()
    starters = 6
    barrier = threading.Barrier(starters)
    results: list[list[tuple[str, int]]] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            results.append(migrations.upgrade(database_url, owner))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results, key=len) == [[]] * (starters - 1) + [
        [("test.counting", 1), ("test.counting", 2), ("test.counting", 3)]
    ]
    assert rows(database_url, "SELECT step FROM runs ORDER BY step") == [(2,), (3,)]
    assert rows(database_url, "SELECT version FROM schema_migrations ORDER BY version") == [
        (1,), (2,), (3,)
    ]


def test_a_later_step_is_applied_on_its_own(database_url: str) -> None:
    first = Migrations.of("test.counting", *[(m.name, m.step) for m in counting_owner().steps][:2])
    assert migrations.upgrade(database_url, first) == [("test.counting", 1), ("test.counting", 2)]
    assert migrations.upgrade(database_url, counting_owner()) == [("test.counting", 3)]
    assert rows(database_url, "SELECT step FROM runs ORDER BY step") == [(2,), (3,)]


def test_a_database_newer_than_the_code_is_refused_naming_both_versions(
    database_url: str,
) -> None:
    migrations.upgrade(database_url, keys.MIGRATIONS)
    execute(database_url, "INSERT INTO schema_migrations (owner, version, name, checksum)"
            " VALUES ('privacy.keys', 2, 'from a newer release', 'x')")
    name = urlsplit(database_url).path.lstrip("/")
    with pytest.raises(SchemaTooNew) as refused:
        migrations.upgrade(database_url, keys.MIGRATIONS)
    assert str(refused.value) == (
        f"database {name}: privacy.keys schema is at version 2, newer than this code's 1;"
        " run the release that upgraded it"
    )
    # The service itself refuses at start-up with the same line.
    database = PostgresDatabase(database_url, pool_size=2)
    try:
        with pytest.raises(SchemaTooNew, match="version 2, newer than this code's 1"):
            PostgresKeys(database, MASTER).create_tables()
    finally:
        database.close()


def run_status(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coachops.migrations", "status", "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_status_tells_each_owner_its_version_and_what_is_pending(database_url: str) -> None:
    before = run_status(database_url)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() == (
        "no schema_migrations table: no release with migrations has started here"
    )
    migrations.upgrade(database_url, keys.MIGRATIONS, counting_owner())
    shown = run_status(database_url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("privacy.keys: version 1 (baseline, applied ")
    assert lines[0].endswith(", up to date")
    assert lines[1].startswith("test.counting: version 3 (second, applied ")
    assert lines[1].endswith(", unknown to this code")
    execute(database_url, "INSERT INTO schema_migrations (owner, version, name, checksum)"
            " VALUES ('privacy.keys', 2, 'later', 'x')")
    newer = run_status(database_url)
    assert "privacy.keys: version 2 (later, applied " in newer.stdout
    assert "NEWER than this code (1): refused at start-up" in newer.stdout


def test_status_of_an_unreachable_database_fails_in_one_line() -> None:
    failed = run_status("postgresql://postgres@127.0.0.1:19111/nothing?connect_timeout=5")
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("coachops.migrations: the database (PostgreSQL): ")
    assert "19111" in lines[0]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coachops.migrations", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_upgrade_applies_what_is_pending_and_refuses_a_database_never_started(
    database_url: str,
) -> None:
    never = run_cli("upgrade", "--database-url", database_url)
    assert never.returncode == 1
    assert never.stderr.strip().splitlines() == [
        "coachops.migrations: no schema_migrations table: start the services once, they make it"
    ]
    migrations.upgrade(database_url, keys.MIGRATIONS)
    execute(database_url, "DELETE FROM schema_migrations")  # as if recorded by no one yet
    execute(database_url, "INSERT INTO schema_migrations (owner, version, name, checksum)"
            " VALUES ('gateway.sessions', 0, 'none', 'x')")
    done = run_cli("upgrade", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "gateway.sessions: applied step 1"
    assert rows(database_url, "SELECT to_regclass('browser_sessions') IS NOT NULL") == [(True,)]
    again = run_cli("upgrade", "--database-url", database_url)
    assert again.stdout.splitlines()[0] == "nothing pending"


def test_a_stores_tables_are_recorded_and_made_again_if_dropped(database_url: str) -> None:
    database = PostgresDatabase(database_url, pool_size=2)
    try:
        recorder = PostgresApplicationRecorder(database, events_table_name="cycles_events")
        recorder.create_table()
        # eventsourcing's contract: create_table makes the tables whenever called.
        execute(database_url, "DROP TABLE cycles_events")
        recorder.create_table()
    finally:
        database.close()
    assert rows(database_url, "SELECT to_regclass('cycles_events') IS NOT NULL") == [(True,)]
    assert rows(database_url, "SELECT owner, version, name FROM schema_migrations"
                              " ORDER BY version") == [
        ("store:public.cycles_events", 1, "baseline"),
        ("store:public.cycles_events", 2, "the request each event was recorded in")]
    shown = run_status(database_url)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("store:public.cycles_events: version 2 (the request each "
                                   "event was recorded in, applied ")
    assert shown.stdout.strip().endswith(", up to date")
