"""coachops.store held to the eventsourcing library's own recorder test cases, on a real
PostgreSQL, plus what the library's cases do not ask for: gap-free notification ids, one
statement per batch, the pool's waiting, error translation and surviving lost connections.

The library's cases are unittest classes (pytest collects them). The module is imported
as ``cases`` so that pytest does not also collect the abstract classes themselves. The
autouse fixture in conftest.py sets ``database_url`` and empties the tables first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import psycopg2
import pytest
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.tests import persistence as cases
from eventsourcing.utils import Environment

from coachops import logs
from coachops.store import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatabase,
    PostgresFactory,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)
from coachops.store.database import one_transaction

from .conftest import ADMIN_URL, NAME


class OnTestDatabase:
    """A PostgresDatabase on the test database for each test, closed after it."""

    database_url: str  # set by conftest's autouse fixture, before setUp
    pool_size = 12  # the library's concurrency cases run 10 writers and 2 readers

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.database = PostgresDatabase(self.database_url, pool_size=self.pool_size)
        self.addCleanup(self.database.close)  # type: ignore[attr-defined]


class TestAggregateRecorder(OnTestDatabase, cases.AggregateRecorderTestCase):
    def create_recorder(self) -> PostgresAggregateRecorder:
        recorder = PostgresAggregateRecorder(self.database, events_table_name="stored_events")
        recorder.create_table()
        return recorder


class TestApplicationRecorder(OnTestDatabase, cases.ApplicationRecorderTestCase):
    def create_recorder(self) -> PostgresApplicationRecorder:
        recorder = PostgresApplicationRecorder(self.database, events_table_name="stored_events")
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_a_conflicting_insert_leaves_no_gap(self) -> None:
        recorder = self.create_recorder()
        first, second = uuid4(), uuid4()
        self.assertEqual(recorder.insert_events([event(first, 1)]), [1])
        # A sequence would have spent 2 and 3 on these rolled-back rows.
        with self.assertRaises(IntegrityError):
            recorder.insert_events([event(second, 1), event(first, 1)])
        with self.assertRaises(IntegrityError):
            recorder.insert_events([event(first, 1)])
        self.assertEqual(recorder.insert_events([event(second, 1), event(second, 2)]), [2, 3])
        self.assertEqual([n.id for n in recorder.select_notifications(None, 10)], [1, 2, 3])

    def test_concurrent_conflicts_leave_no_gaps(self) -> None:
        recorder = self.create_recorder()
        shared = uuid4()  # every thread races for the same versions of this aggregate
        conflicts: list[Exception] = []

        def write() -> None:
            own = uuid4()
            for version in range(1, 21):
                recorder.insert_events([event(own, version)])
                try:
                    recorder.insert_events([event(shared, version), event(own, version + 100)])
                except IntegrityError as error:
                    conflicts.append(error)

        threads = [threading.Thread(target=write) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertGreater(len(conflicts), 0)
        ids = [n.id for n in recorder.select_notifications(None, 10_000)]
        self.assertEqual(ids, list(range(1, len(ids) + 1)))
        self.assertEqual(len(ids), 8 * 20 + 2 * 20)  # own events, plus one winner per version

    def test_a_batch_of_1000_events_is_one_statement_with_contiguous_ids(self) -> None:
        self.database = CountingDatabase(self.database_url)
        self.addCleanup(self.database.close)
        recorder = self.create_recorder()
        self.assertEqual(recorder.insert_events([event(uuid4(), 1)]), [1])
        originator_id = uuid4()
        batch = [event(originator_id, version, state=b"x" * 200) for version in range(1000)]

        self.database.executes.clear()
        started = time.perf_counter()
        ids = recorder.insert_events(batch)
        elapsed = time.perf_counter() - started

        print(f"\n1000 events inserted in {elapsed * 1000:.0f} ms")
        self.assertEqual(self.database.executes, [1])  # one transaction, one statement
        self.assertEqual(ids, list(range(2, 1002)))
        self.assertLess(elapsed, 2.0)
        notifications = recorder.select_notifications(start=2, limit=1000)
        self.assertEqual(
            [(n.id, n.originator_version) for n in notifications],
            list(zip(range(2, 1002), range(1000), strict=True)),
        )


    def test_a_batch_in_a_request_is_one_statement_with_its_request_ids(self) -> None:
        """The request's id is recorded beside each event in the events' own statement;
        outside a request (or with an empty id) nothing is, and the ids stay gap-free."""
        self.database = CountingDatabase(self.database_url)
        self.addCleanup(self.database.close)
        recorder = self.create_recorder()
        self.assertEqual(recorder.insert_events([event(uuid4(), 1)]), [1])
        originator_id = uuid4()
        self.database.executes.clear()
        logs.bind("req-batch")
        try:
            ids = recorder.insert_events([event(originator_id, v) for v in range(1, 4)])
        finally:
            logs.bind(None)
        self.assertEqual(self.database.executes, [1])  # one transaction, one statement
        self.assertEqual(ids, [2, 3, 4])
        logs.bind("")
        try:
            self.assertEqual(recorder.insert_events([event(originator_id, 4)]), [5])
        finally:
            logs.bind(None)
        self.assertEqual(recorder.insert_events([event(originator_id, 5)]), [6])
        self.assertEqual(recorder.request_ids(1, 6), dict.fromkeys([2, 3, 4], "req-batch"))
        self.assertEqual([n.id for n in recorder.select_notifications(None, 10)],
                         [1, 2, 3, 4, 5, 6])


class TestTrackingRecorder(OnTestDatabase, cases.TrackingRecorderTestCase):
    def create_recorder(self) -> PostgresTrackingRecorder:
        recorder = PostgresTrackingRecorder(
            self.database, tracking_table_name="notification_tracking"
        )
        recorder.create_table()
        return recorder


class TestProcessRecorder(OnTestDatabase, cases.ProcessRecorderTestCase):
    def create_recorder(self) -> PostgresProcessRecorder:
        recorder = PostgresProcessRecorder(
            self.database,
            events_table_name="stored_events",
            tracking_table_name="notification_tracking",
        )
        recorder.create_table()
        return recorder

    def test_a_tracking_conflict_writes_nothing(self) -> None:
        recorder = self.create_recorder()
        recorder.insert_events([event(uuid4(), 1)], tracking=tracking(5))
        with self.assertRaises(IntegrityError):
            recorder.insert_events([event(uuid4(), 1)], tracking=tracking(5))
        self.assertEqual(recorder.max_notification_id(), 1)
        self.assertEqual(recorder.insert_events([event(uuid4(), 1)], tracking=tracking(6)), [2])


class TestNonInterleavingNotificationIDs(
    OnTestDatabase, cases.NonInterleavingNotificationIDsBaseCase
):
    def create_recorder(self) -> PostgresApplicationRecorder:
        recorder = PostgresApplicationRecorder(self.database, events_table_name="stored_events")
        recorder.create_table()
        return recorder


class MyTrackingRecorder(PostgresTrackingRecorder):
    """For the factory's TRACKING_RECORDER_TOPIC and tracking_recorder_class cases."""


class TestFactory(cases.InfrastructureFactoryTestCase[PostgresFactory]):
    database_url: str

    def setUp(self) -> None:
        self.env = Environment(
            "TestCase",
            {"PERSISTENCE_MODULE": "coachops.store", "DATABASE_URL": self.database_url},
        )
        super().setUp()

    def expected_factory_class(self) -> type[PostgresFactory]:
        return PostgresFactory

    def expected_aggregate_recorder_class(self) -> type[PostgresAggregateRecorder]:
        return PostgresAggregateRecorder

    def expected_application_recorder_class(self) -> type[PostgresApplicationRecorder]:
        return PostgresApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[PostgresTrackingRecorder]:
        return PostgresTrackingRecorder

    def tracking_recorder_subclass(self) -> type[PostgresTrackingRecorder]:
        return MyTrackingRecorder

    def expected_process_recorder_class(self) -> type[PostgresProcessRecorder]:
        return PostgresProcessRecorder

    def test_table_names_and_settings_come_from_the_environment(self) -> None:
        self.env["TESTCASE_POSTGRES_POOL_SIZE"] = "7"
        self.env["POSTGRES_POOL_SIZE"] = "3"  # the application's own key wins
        factory = PostgresFactory(self.env)
        self.addCleanup(factory.close)
        self.assertEqual(factory.database.pool_size, 7)
        self.assertEqual(factory.database.schema, "public")
        application = factory.application_recorder()
        assert isinstance(application, PostgresApplicationRecorder)
        self.assertEqual(application.events_table_name, "testcase_events")
        snapshots = factory.aggregate_recorder("snapshots")
        assert isinstance(snapshots, PostgresAggregateRecorder)
        self.assertEqual(snapshots.events_table_name, "testcase_snapshots")
        self.assertEqual(factory.tracking_recorder().tracking_table_name, "testcase_tracking")

    def test_a_schema_other_than_public(self) -> None:
        run_sql(self.database_url, "DROP SCHEMA IF EXISTS other CASCADE; CREATE SCHEMA other")
        self.addCleanup(run_sql, self.database_url, "DROP SCHEMA other CASCADE")
        self.env["POSTGRES_SCHEMA"] = "other"
        factory = PostgresFactory(self.env)
        self.addCleanup(factory.close)
        recorder = factory.process_recorder()
        self.assertEqual(recorder.insert_events([event(uuid4(), 1)], tracking=tracking(1)), [1])
        with factory.database.transaction() as cursor:
            # The connection's search_path puts callers' unqualified names there too.
            cursor.execute("SELECT count(*) FROM testcase_events")
            self.assertEqual(cursor.fetchone(), (1,))
            cursor.execute(
                "SELECT to_regclass('public.testcase_events') IS NULL,"
                " to_regclass('other.testcase_tracking') IS NOT NULL"
            )
            self.assertEqual(cursor.fetchone(), (True, True))

    def test_a_missing_database_url_names_the_key(self) -> None:
        with self.assertRaisesRegex(OSError, "DATABASE_URL"):
            PostgresFactory(Environment("App", {}))

    def test_close_closes_the_database(self) -> None:
        factory = PostgresFactory(self.env)
        recorder = factory.application_recorder()
        factory.close()
        with self.assertRaises(ConnectionPoolClosedError):
            recorder.max_notification_id()


# --- the PostgresDatabase itself -------------------------------------------------------------


def event(originator_id: Any, version: int, state: bytes = b"{}") -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=version, topic="test:Event", state=state
    )


def tracking(notification_id: int) -> Tracking:
    return Tracking(application_name="upstream", notification_id=notification_id)


class _CountingCursor:
    def __init__(self, cursor: Any, executes: list[int]) -> None:
        self._cursor, self._executes = cursor, executes

    def execute(self, *args: Any) -> None:
        self._executes[-1] += 1
        self._cursor.execute(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class CountingDatabase(PostgresDatabase):
    """Counts the statements executed in each transaction (one list item per transaction)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.executes: list[int] = []

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Any]:
        self.executes.append(0)
        with super().transaction(commit) as cursor:
            yield _CountingCursor(cursor, self.executes)


@pytest.fixture
def database(empty_tables: str) -> Iterator[PostgresDatabase]:
    store = PostgresDatabase(empty_tables, pool_size=2, pool_timeout=0.3)
    yield store
    store.close()


def test_the_pool_is_bounded_and_times_out(database: PostgresDatabase) -> None:
    with database.connection() as first, database.connection() as second:
        assert first is not second
        started = time.monotonic()
        with pytest.raises(ConnectionUnavailableError), database.connection():
            pass
        assert time.monotonic() - started >= 0.3
    # Both were returned open and idle, and are handed out again.
    with database.connection() as again:
        assert again in (first, second)


def test_a_waiting_caller_gets_the_next_returned_connection(database: PostgresDatabase) -> None:
    got: list[float] = []

    def wait_for_one() -> None:
        started = time.monotonic()
        with database.connection():
            got.append(time.monotonic() - started)

    with database.connection(), database.connection():
        waiter = threading.Thread(target=wait_for_one)
        waiter.start()
        time.sleep(0.1)
    waiter.join()
    assert len(got) == 1 and 0.05 < got[0] < 0.3


def test_errors_are_translated_and_chained(database: PostgresDatabase) -> None:
    with pytest.raises(DataError) as raised, database.transaction() as cursor:
        cursor.execute("SELECT 1 / 0")
    assert isinstance(raised.value.__cause__, psycopg2.DataError)
    with pytest.raises(ProgrammingError), database.transaction() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    with pytest.raises(IntegrityError), database.transaction() as cursor:
        cursor.execute("CREATE TEMP TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (1)")
    with database.transaction() as cursor:  # the failed transactions left nothing open
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_commit_false_and_an_unfinished_transaction_are_rolled_back(
    database: PostgresDatabase,
) -> None:
    with database.transaction() as cursor:
        cursor.execute("CREATE TABLE kept (id int)")
    with database.transaction(commit=False) as cursor:
        cursor.execute("INSERT INTO kept VALUES (1)")
    with database.connection() as conn:
        conn.cursor().execute("INSERT INTO kept VALUES (2)")  # never committed
    with pytest.raises(RuntimeError), database.transaction() as cursor:
        cursor.execute("INSERT INTO kept VALUES (3)")
        raise RuntimeError("abandon")
    with database.transaction() as cursor:
        cursor.execute("SELECT count(*) FROM kept")
        assert cursor.fetchone() == (0,)


def run_sql(url: str, statement: str) -> None:
    with one_transaction(url) as cursor:
        cursor.execute(statement)


def terminate_test_database_sessions() -> None:
    conn = psycopg2.connect(ADMIN_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (NAME,),
            )
    finally:
        conn.close()


def test_broken_connections_are_discarded_and_recorders_retry(database: PostgresDatabase) -> None:
    recorder = PostgresApplicationRecorder(database, events_table_name="stored_events")
    recorder.create_table()
    assert recorder.insert_events([event(uuid4(), 1)]) == [1]
    with database.connection(), database.connection():
        pass  # two idle connections in the pool now

    terminate_test_database_sessions()  # as a restart of PostgreSQL would
    # A plain transaction meets the dead connection once; it and its idle neighbour are
    # dropped, not pooled again, so the next transaction connects afresh.
    with pytest.raises(OperationalError), database.transaction() as cursor:
        cursor.execute("SELECT 1")
    with database.transaction() as cursor:
        cursor.execute("SELECT 1")

    terminate_test_database_sessions()
    # Recorder methods retry, so the caller does not notice.
    assert recorder.max_notification_id() == 1
    assert recorder.insert_events([event(uuid4(), 1)]) == [2]


def test_recorders_do_not_retry_an_exhausted_pool(database: PostgresDatabase) -> None:
    recorder = PostgresApplicationRecorder(database, events_table_name="stored_events")
    recorder.create_table()
    with database.connection(), database.connection():
        started = time.monotonic()
        with pytest.raises(ConnectionUnavailableError):
            recorder.max_notification_id()
        # One pool_timeout (0.3 s), not ten of them with waits between.
        assert time.monotonic() - started < 1.0
