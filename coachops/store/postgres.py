"""An eventsourcing persistence module on psycopg2, so that it cooperates with eventlet.

The library's ``eventsourcing.postgres`` uses psycopg 3, which eventlet cannot make
cooperative: under nameko every worker of a service would wait for every other worker's
queries. psycopg2 becomes cooperative when ``eventlet.monkey_patch()`` installs its wait
callback, and the pool here is built only from ``threading`` primitives, which the same
monkey patching turns green. So nothing in this module blocks the hub.

Notification ids are gap-free and in commit order: each insert takes an EXCLUSIVE lock on
the events table (readers are not blocked) and numbers its rows from the current maximum,
instead of drawing from a sequence, which rolled-back inserts would leave gaps in.
"""

from __future__ import annotations

import functools
import math
import select
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from time import monotonic
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

import psycopg2
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
    DatabaseError,
    DataError,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    InternalError,
    ListenNotifySubscription,
    Notification,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProcessRecorder,
    ProgrammingError,
    ShutDown,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, retry, strtobool
from psycopg2 import sql
from psycopg2.extensions import (
    TRANSACTION_STATUS_IDLE,
    TRANSACTION_STATUS_INERROR,
    TRANSACTION_STATUS_INTRANS,
)
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor

__all__ = [
    "Datastore",
    "PostgresAggregateRecorder",
    "PostgresApplicationRecorder",
    "PostgresFactory",
    "PostgresProcessRecorder",
    "PostgresSubscription",
    "PostgresTrackingRecorder",
    "translate_errors",
]

# Most specific first: psycopg2's classes form the same DB-API tree as eventsourcing's.
_TRANSLATIONS: tuple[tuple[type[psycopg2.Error], type[PersistenceError]], ...] = (
    (psycopg2.IntegrityError, IntegrityError),
    (psycopg2.OperationalError, OperationalError),
    (psycopg2.DataError, DataError),
    (psycopg2.ProgrammingError, ProgrammingError),
    (psycopg2.InternalError, InternalError),
    (psycopg2.NotSupportedError, NotSupportedError),
    (psycopg2.DatabaseError, DatabaseError),
    (psycopg2.InterfaceError, InterfaceError),
)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise psycopg2 errors as the eventsourcing.persistence errors the library expects."""
    try:
        yield
    except psycopg2.Error as error:
        for source, target in _TRANSLATIONS:
            if isinstance(error, source):
                raise target(str(error).strip()) from error
        raise PersistenceError(str(error).strip()) from error


class _Pool:
    """A bounded pool whose callers wait (up to ``timeout``) when every connection is out.

    psycopg2's own pools raise instead of waiting, which under load turns a short queue
    into failed requests. Only ``threading.Condition`` is used, looked up when the pool is
    made (after ``eventlet.monkey_patch()``), so waiting yields to other green threads.
    """

    def __init__(self, connect: Callable[[], Connection], size: int, timeout: float) -> None:
        if size < 1:
            raise ValueError(f"pool_size must be at least 1, not {size}")
        self._connect = connect
        self._size = size
        self._timeout = timeout
        self._idle: deque[Connection] = deque()
        self._opened = 0  # idle + in use: what counts against the bound
        self._changed = threading.Condition()
        self._closed = False

    def acquire(self) -> Connection:
        deadline = monotonic() + self._timeout
        with self._changed:
            while True:
                if self._closed:
                    raise ConnectionPoolClosedError("the datastore has been closed")
                if self._idle:
                    return self._idle.pop()  # most recently used: likeliest still alive
                if self._opened < self._size:
                    self._opened += 1  # reserve the slot; connect outside the lock
                    break
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise ConnectionUnavailableError(
                        f"no connection free in the pool of {self._size}"
                        f" after waiting {self._timeout:g}s"
                    )
                self._changed.wait(remaining)
        try:
            return self._connect()
        except BaseException:
            self._forget(1)
            raise

    def release(self, conn: Connection) -> None:
        """Return ``conn`` for reuse, or close it if it is broken or mid-statement."""
        if _reusable(conn):
            with self._changed:
                if not self._closed:
                    self._idle.append(conn)
                    self._changed.notify()
                    return
        # A connection the server dropped means the others idle beside it (opened before
        # the same restart) are most likely dead too: close them now rather than make the
        # next callers find out one failed statement at a time.
        stale = self._drain_idle() if conn.closed else []
        for dead in (conn, *stale):
            dead.close()
        self._forget(1 + len(stale))

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        # Connections still in use are closed when they come back (release sees _closed).
        for conn in self._drain_idle():
            conn.close()

    def _drain_idle(self) -> list[Connection]:
        with self._changed:
            idle = list(self._idle)
            self._idle.clear()
            self._opened -= len(idle)
            self._changed.notify_all()
        return idle

    def _forget(self, count: int) -> None:
        with self._changed:
            self._opened -= count
            self._changed.notify(count)


def _reusable(conn: Connection) -> bool:
    if conn.closed:
        return False
    status = conn.get_transaction_status()
    if status in (TRANSACTION_STATUS_INTRANS, TRANSACTION_STATUS_INERROR):
        try:
            conn.rollback()
        except psycopg2.Error:
            return False
        status = conn.get_transaction_status()
    # ACTIVE means a statement is still running, e.g. a green thread was killed while
    # waiting on it; UNKNOWN means the connection is bad. Neither can be handed out again.
    return status == TRANSACTION_STATUS_IDLE


class Datastore:
    """A pooled psycopg2 PostgreSQL database: ``url`` like postgresql://user[:pw]@host:port/db.

    Connections are opened lazily, at most ``pool_size`` at a time; a caller waits up to
    ``pool_timeout`` seconds for one. Inside ``connection()`` and ``transaction()`` psycopg2
    errors are raised as eventsourcing.persistence errors (chained to the original).
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        schema: str = "public",
        connect_timeout: float = 5.0,
        pool_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.pool_size = pool_size
        self.schema = schema.strip() or "public"
        # libpq takes whole seconds. (Under eventlet psycopg2 connects asynchronously and
        # libpq ignores connect_timeout then; a dead host is still bounded by TCP timeouts.)
        self._connect_args: dict[str, Any] = {"connect_timeout": math.ceil(connect_timeout)}
        if self.schema != "public":
            # Unqualified names in callers' own SQL land beside the recorders' tables.
            self._connect_args["options"] = f"-c search_path={self.schema}"
        self._pool = _Pool(self._connect, pool_size, pool_timeout)

    def _connect(self) -> Connection:
        """A new connection, outside the pool (the pool and LISTEN subscriptions use this)."""
        connection: Connection = psycopg2.connect(self.url, **self._connect_args)
        return connection

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection (autocommit off); rolled back if returned mid-transaction."""
        with translate_errors():
            conn = self._pool.acquire()
        try:
            with translate_errors():
                yield conn
        finally:
            self._pool.release(conn)

    @contextmanager
    def transaction(self, commit: bool = True) -> Iterator[Cursor]:
        """A cursor in a transaction: committed on normal exit when ``commit``, else rolled
        back (``connection()`` rolls back whatever an exception leaves open)."""
        with self.connection() as conn, conn.cursor() as cursor:
            yield cursor
            if commit:
                conn.commit()
            else:
                conn.rollback()

    @contextmanager
    def read(self) -> Iterator[Cursor]:
        """A cursor for statements that only read, run outside a transaction (autocommit):
        one round trip each, where a transaction adds a BEGIN and a ROLLBACK to every one.
        Each statement sees its own snapshot, so use it for one statement at a time."""
        with self.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor() as cursor:
                    yield cursor
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def close(self) -> None:
        self._pool.close()

    def __repr__(self) -> str:
        return f"<Datastore {self.schema} pool_size={self.pool_size}>"  # no password


# A restart of PostgreSQL takes a few seconds; ten tries half a second apart cover it.
RETRY_ATTEMPTS = 10
RETRY_WAIT = 0.5

_F = TypeVar("_F", bound=Callable[..., Any])


class _DoNotRetry(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _retried(method: _F) -> _F:
    """Retry on OperationalError/InterfaceError (a restart, a dropped connection) but not
    on pool exhaustion, an OperationalError too: the pool has already waited its timeout,
    and waiting again RETRY_ATTEMPTS times would turn seconds into minutes."""

    @retry((OperationalError, InterfaceError), max_attempts=RETRY_ATTEMPTS, wait=RETRY_WAIT)
    def attempt(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ConnectionUnavailableError as error:
            raise _DoNotRetry(error) from error

    @functools.wraps(method)
    def retrying(*args: Any, **kwargs: Any) -> Any:
        try:
            return attempt(*args, **kwargs)
        except _DoNotRetry as wrapped:
            raise wrapped.error from wrapped.error.__cause__

    return cast(_F, retrying)


def _uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError as error:  # as the database would say it, had we sent it
        raise DataError(f"invalid input syntax for type uuid: {value!r}") from error


class PostgresRecorder:
    MAX_IDENTIFIER_LEN = 63  # PostgreSQL silently truncates longer names

    def __init__(self, datastore: Datastore) -> None:
        self.datastore = datastore
        self._create_statements: list[sql.Composable] = []

    def _table(self, name: str) -> sql.Identifier:
        if len(name) > self.MAX_IDENTIFIER_LEN:
            raise ProgrammingError(f"Identifier too long: {name}")
        return sql.Identifier(self.datastore.schema, name)

    @_retried
    def create_table(self) -> None:
        with self.datastore.transaction() as cursor:
            # Several instances of a service may start at once, and concurrent
            # CREATE TABLE IF NOT EXISTS can still collide in the catalogue.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"coachops.store:{self.datastore.schema}",),
            )
            for statement in self._create_statements:
                cursor.execute(statement)


class PostgresAggregateRecorder(PostgresRecorder, AggregateRecorder):
    _extra_columns = ""  # the application recorder adds notification_id

    def __init__(self, datastore: Datastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore)
        self.events_table_name = events_table_name
        self.events_table = self._table(events_table_name)
        self._create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {table} ("
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "topic text NOT NULL, "
                "state bytea NOT NULL, "
                + self._extra_columns
                + "PRIMARY KEY (originator_id, originator_version))"
            ).format(table=self.events_table)
        )
        # One statement for the whole batch: arrays, unnested server-side.
        self._insert_statement = sql.SQL(
            "INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[])"
        ).format(table=self.events_table)

    @staticmethod
    def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
        return (
            [str(e.originator_id) for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )

    @_retried
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            with self.datastore.transaction() as cursor:
                cursor.execute(self._insert_statement, self._columns(stored_events))
        return None

    @_retried
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        query = sql.SQL(
            "SELECT originator_version, topic, state FROM {table} WHERE originator_id = %s"
        ).format(table=self.events_table)
        originator_uuid = _uuid(originator_id)
        params: list[Any] = [str(originator_uuid)]
        if gt is not None:
            query += sql.SQL(" AND originator_version > %s")
            params.append(gt)
        if lte is not None:
            query += sql.SQL(" AND originator_version <= %s")
            params.append(lte)
        query += sql.SQL(" ORDER BY originator_version" + (" DESC" if desc else ""))
        if limit is not None:
            query += sql.SQL(" LIMIT %s")
            params.append(limit)
        with self.datastore.read() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return [
            StoredEvent(originator_uuid, version, topic, bytes(state))
            for version, topic, state in rows
        ]


    def select_events_after(self, after: Mapping[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        """The events of several aggregates, each after its version, in one statement."""
        query = sql.SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state"
            " FROM {table} AS e JOIN unnest(%s::uuid[], %s::bigint[]) AS w(id, after)"
            " ON e.originator_id = w.id AND e.originator_version > w.after"
            " ORDER BY e.originator_id, e.originator_version"
        ).format(table=self.events_table)
        with self.datastore.read() as cursor:
            cursor.execute(query, ([str(i) for i in after], list(after.values())))
            rows = cursor.fetchall()
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in after}
        for originator_id, version, topic, state in rows:
            stream = UUID(str(originator_id))
            found[stream].append(StoredEvent(stream, version, topic, bytes(state)))
        return found


class PostgresApplicationRecorder(PostgresAggregateRecorder, ApplicationRecorder):
    _extra_columns = "notification_id bigint NOT NULL, "

    def __init__(self, datastore: Datastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        index = sql.Identifier(f"{events_table_name}_notification_id_idx"[:63])
        self._create_statements.append(
            sql.SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} (notification_id)"
            ).format(index=index, table=self.events_table)
        )
        self.channel_name = events_table_name
        # One round trip: lock, notify, insert. EXCLUSIVE mode serialises inserts (so ids
        # are issued in commit order and MAX() is stable) but not SELECTs. In READ COMMITTED
        # each statement takes a fresh snapshot, so the INSERT, planned after the lock is
        # granted, sees every row committed by the previous holder. NOTIFY is delivered at
        # commit, and not at all on rollback.
        self._insert_statement = sql.SQL(
            "LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "INSERT INTO {table} "
            "(originator_id, originator_version, topic, state, notification_id) "
            "SELECT e.originator_id, e.originator_version, e.topic, e.state, m.id + e.n "
            "FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) WITH ORDINALITY "
            "AS e(originator_id, originator_version, topic, state, n), "
            "(SELECT COALESCE(MAX(notification_id), 0) AS id FROM {table}) AS m "
            "RETURNING notification_id"
        ).format(table=self.events_table, channel=sql.Identifier(self.channel_name))

    @_retried
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.transaction() as cursor:
            return self._insert_events(cursor, stored_events, **kwargs)

    def _insert_events(
        self, cursor: Cursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        if not stored_events:
            return []
        cursor.execute(self._insert_statement, self._columns(stored_events))
        # Ids are MAX + ordinality, so sorted they are in the order of stored_events.
        return sorted(row[0] for row in cursor.fetchall())

    @_retried
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        conditions: list[sql.Composable] = []
        params: list[Any] = []
        if start is not None:
            conditions.append(
                sql.SQL("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
            )
            params.append(start)
        if stop is not None:
            conditions.append(sql.SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(sql.SQL("topic = ANY(%s::text[])"))
            params.append(list(topics))
        query = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"
        ).format(table=self.events_table)
        if conditions:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions)
        query += sql.SQL(" ORDER BY notification_id LIMIT %s")
        params.append(limit)
        with self.datastore.read() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return [
            Notification(
                id=notification_id,
                originator_id=UUID(originator_id),
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
            for notification_id, originator_id, version, topic, state in rows
        ]

    @_retried
    def max_notification_id(self) -> int | None:
        with self.datastore.read() as cursor:
            cursor.execute(
                sql.SQL("SELECT MAX(notification_id) FROM {table}").format(table=self.events_table)
            )
            row = cursor.fetchone()
        assert row is not None
        return cast(int | None, row[0])

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return PostgresSubscription(self, gt=gt, topics=topics)


_V = TypeVar("_V")


class _ShutdownQueue(Generic[_V]):
    """The part of Python 3.13's ``queue.Queue`` (with ``shutdown()``) that the library's
    subscription uses, on ``threading.Condition``.

    The library backports shutdown() for Python < 3.13 by subclassing ``queue.Queue`` and
    using its internals (``mutex``, ``not_empty``); after ``eventlet.monkey_patch()``,
    ``queue.Queue`` is eventlet's, which has none of them, so every put() fails.
    """

    def __init__(self, maxsize: int) -> None:
        self._items: deque[_V] = deque()
        self._maxsize = maxsize
        self._changed = threading.Condition()
        self._is_shutdown = False

    def put(self, item: _V) -> None:
        with self._changed:
            while not self._is_shutdown and len(self._items) >= self._maxsize:
                self._changed.wait()
            if self._is_shutdown:
                raise ShutDown
            self._items.append(item)
            self._changed.notify_all()

    def get(self) -> _V:
        with self._changed:
            while not self._items and not self._is_shutdown:
                self._changed.wait()
            if not self._items:
                raise ShutDown
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def task_done(self) -> None:
        """Nothing join()s this queue."""

    def shutdown(self, immediate: bool = False) -> None:
        with self._changed:
            self._is_shutdown = True
            if immediate:
                self._items.clear()
            self._changed.notify_all()


class PostgresSubscription(ListenNotifySubscription[PostgresApplicationRecorder]):
    """Wakes the library's pull loop whenever an insert into the recorder's table commits.

    LISTEN holds its connection for the subscription's whole life, so it has its own,
    outside the pool. The wait is a short select() so stop() is noticed promptly; under
    eventlet, select and the threads are green.
    """

    POLL_SECONDS = 0.1

    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        # ListenNotifySubscription.__init__ is skipped because it starts its pull thread on
        # the library's queue, which fails under eventlet (see _ShutdownQueue). The same
        # attributes are set here (as of eventsourcing 9.5.6, which pyproject pins), with a
        # queue that works; the library's __next__, _loop_on_pull and _pull use them as is.
        Subscription.__init__(self, recorder=recorder, gt=gt, topics=topics)
        self._select_limit = 500
        self._notifications: Sequence[Notification] = []
        self._notifications_index = 0
        # The library types it as its own queue class; this one has the methods it calls.
        self._notifications_queue = _ShutdownQueue[Sequence[Notification]](  # type: ignore[assignment]
            maxsize=10)
        self._has_been_notified = threading.Event()
        self._thread_error: BaseException | None = None
        self._pull_thread = threading.Thread(target=self._loop_on_pull, daemon=True)
        self._listen_thread = threading.Thread(target=self._listen, daemon=True)
        self._pull_thread.start()
        self._listen_thread.start()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._listen_thread.join()

    def _listen(self) -> None:
        try:
            with translate_errors():
                conn = self._recorder.datastore._connect()
                try:
                    conn.autocommit = True
                    with conn.cursor() as cursor:
                        cursor.execute(
                            sql.SQL("LISTEN {}").format(sql.Identifier(self._recorder.channel_name))
                        )
                    # The pull thread's first read raced with LISTEN: anything committed in
                    # between sent no notification we could hear, so read once more.
                    self._has_been_notified.set()
                    while not self._has_been_stopped and self._thread_error is None:
                        readable, _, _ = select.select([conn], [], [], self.POLL_SECONDS)
                        if readable:
                            conn.poll()
                            if conn.notifies:
                                conn.notifies.clear()
                                self._has_been_notified.set()
                finally:
                    conn.close()
        except BaseException as error:
            if self._thread_error is None:
                self._thread_error = error
            self.stop()


class PostgresTrackingRecorder(PostgresRecorder, TrackingRecorder):
    """One row per upstream application: the position processed up to."""

    def __init__(
        self,
        datastore: Datastore,
        *,
        tracking_table_name: str = "notification_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, **kwargs)
        self.tracking_table_name = tracking_table_name
        self.tracking_table = self._table(tracking_table_name)
        self._create_statements.append(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {table} ("
                "application_name text PRIMARY KEY, notification_id bigint NOT NULL)"
            ).format(table=self.tracking_table)
        )
        # Moves forward only: an equal or lower id updates nothing and returns no row.
        self._insert_tracking_statement = sql.SQL(
            "INSERT INTO {table} AS t (application_name, notification_id) VALUES (%s, %s) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = EXCLUDED.notification_id "
            "WHERE t.notification_id < EXCLUDED.notification_id "
            "RETURNING notification_id"
        ).format(table=self.tracking_table)

    @_retried
    def insert_tracking(self, tracking: Tracking) -> None:
        with self.datastore.transaction() as cursor:
            self._insert_tracking(cursor, tracking)

    def _insert_tracking(self, cursor: Cursor, tracking: Tracking) -> None:
        cursor.execute(
            self._insert_tracking_statement,
            (tracking.application_name, tracking.notification_id),
        )
        if cursor.fetchone() is None:
            raise IntegrityError(
                f"Already tracked {tracking.application_name} up to"
                f" {tracking.notification_id} or beyond"
            )

    @_retried
    def max_tracking_id(self, application_name: str) -> int | None:
        with self.datastore.read() as cursor:
            cursor.execute(
                sql.SQL("SELECT notification_id FROM {table} WHERE application_name = %s").format(
                    table=self.tracking_table
                ),
                (application_name,),
            )
            row = cursor.fetchone()
        return None if row is None else cast(int, row[0])

    # has_tracking_id() is inherited: it only calls max_tracking_id(), which retries.


class PostgresProcessRecorder(
    PostgresTrackingRecorder, PostgresApplicationRecorder, ProcessRecorder
):
    """Events and the tracking record of what caused them, in one transaction."""

    def __init__(
        self,
        datastore: Datastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore,
            tracking_table_name=tracking_table_name,
            events_table_name=events_table_name,
        )

    def _insert_events(
        self, cursor: Cursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        tracking: Tracking | None = kwargs.get("tracking")
        if tracking is not None:
            # First, so a conflict fails before the events table is locked.
            self._insert_tracking(cursor, tracking)
        return super()._insert_events(cursor, stored_events, **kwargs)


_T = TypeVar("_T", bound=PostgresTrackingRecorder)
_R = TypeVar("_R", bound=PostgresRecorder)
_B = TypeVar("_B")


class PostgresFactory(InfrastructureFactory[PostgresTrackingRecorder]):
    """``PERSISTENCE_MODULE=coachops.store``: reads DATABASE_URL, POSTGRES_POOL_SIZE,
    POSTGRES_SCHEMA and CREATE_TABLE (each may be prefixed with the application's name).

    Each factory owns its Datastore and closes it in ``close()``; sharing one across
    factories would let one application's close() pull the pool from under another.
    """

    DATABASE_URL = "DATABASE_URL"
    POSTGRES_POOL_SIZE = "POSTGRES_POOL_SIZE"
    POSTGRES_SCHEMA = "POSTGRES_SCHEMA"
    CREATE_TABLE = "CREATE_TABLE"

    aggregate_recorder_class: type[PostgresAggregateRecorder] = PostgresAggregateRecorder
    application_recorder_class: type[PostgresApplicationRecorder] = PostgresApplicationRecorder
    tracking_recorder_class: type[PostgresTrackingRecorder] = PostgresTrackingRecorder
    process_recorder_class: type[PostgresProcessRecorder] = PostgresProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        url = self.env.get(self.DATABASE_URL)
        if not url:
            keys = " or ".join(repr(key) for key in self.env.create_keys(self.DATABASE_URL))
            raise OSError(f"PostgreSQL database URL not found in environment with key {keys}")
        pool_size_str = self.env.get(self.POSTGRES_POOL_SIZE) or "5"
        try:
            pool_size = int(pool_size_str)
        except ValueError:
            raise OSError(
                f"Environment value for key {self.POSTGRES_POOL_SIZE!r} is not an integer:"
                f" {pool_size_str!r}"
            ) from None
        schema = self.env.get(self.POSTGRES_SCHEMA) or "public"
        self.datastore = Datastore(url, pool_size=pool_size, schema=schema)

    def _create_table(self) -> bool:
        return strtobool(self.env.get(self.CREATE_TABLE) or "yes")

    def _events_table_name(self) -> str:
        return (self.env.name.lower() or "stored") + "_events"

    def _tracking_table_name(self) -> str:
        return (self.env.name.lower() or "notification") + "_tracking"

    def _topic_or(self, key: str, default: type[Any], base: type[_B]) -> type[_B]:
        topic = self.env.get(key)
        cls: type[Any] = resolve_topic(topic) if topic else default
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise OSError(f"{key}={topic!r} is not a subclass of {base.__qualname__}")
        return cls

    def _created(self, recorder: _R) -> _R:
        if self._create_table():
            recorder.create_table()
        return recorder

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        events_table_name = (self.env.name.lower() or "stored") + "_" + purpose
        return self._created(
            type(self).aggregate_recorder_class(self.datastore, events_table_name=events_table_name)
        )

    def application_recorder(self) -> ApplicationRecorder:
        cls = self._topic_or(
            self.APPLICATION_RECORDER_TOPIC,
            type(self).application_recorder_class,
            PostgresApplicationRecorder,
        )
        return self._created(cls(self.datastore, events_table_name=self._events_table_name()))

    def tracking_recorder(self, tracking_recorder_class: type[_T] | None = None) -> _T:
        cls: type[PostgresTrackingRecorder] = tracking_recorder_class or self._topic_or(
            self.TRACKING_RECORDER_TOPIC,
            type(self).tracking_recorder_class,
            PostgresTrackingRecorder,
        )
        if not issubclass(cls, PostgresTrackingRecorder):
            raise TypeError(f"{cls.__qualname__} is not a PostgresTrackingRecorder")
        return cast(
            _T, self._created(cls(self.datastore, tracking_table_name=self._tracking_table_name()))
        )

    def process_recorder(self) -> ProcessRecorder:
        cls = self._topic_or(
            self.PROCESS_RECORDER_TOPIC,
            type(self).process_recorder_class,
            PostgresProcessRecorder,
        )
        return self._created(
            cls(
                self.datastore,
                events_table_name=self._events_table_name(),
                tracking_table_name=self._tracking_table_name(),
            )
        )

    def close(self) -> None:
        self.datastore.close()
