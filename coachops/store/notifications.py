"""The application recorder: events numbered in the notification log the outbox relay reads.

Notification ids are gap-free and in commit order: each insert takes an EXCLUSIVE lock on
the events table (readers are not blocked) and numbers its rows from the current maximum,
instead of drawing from a sequence, which rolled-back inserts would leave gaps in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Notification,
    StoredEvent,
    Subscription,
)
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from coachops import logs
from coachops.store.aggregate import PostgresAggregateRecorder
from coachops.store.database import PostgresDatabase
from coachops.store.recorder import retried
from coachops.store.subscription import PostgresSubscription


class PostgresApplicationRecorder(PostgresAggregateRecorder, ApplicationRecorder):
    _extra_columns = "notification_id bigint NOT NULL, "

    def __init__(
        self, database: PostgresDatabase, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(database, events_table_name=events_table_name)
        index = sql.Identifier(f"{events_table_name}_notification_id_idx"[:63])
        self._create_statements.append((1, sql.SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} (notification_id)"
        ).format(index=index, table=self.events_table)))
        self.channel_name = events_table_name
        # The request each event was recorded in (``coachops.logs``), beside the events so
        # their stored form is unchanged: the relay puts it in the published message's headers.
        self.requests_table = self._creates(
            f"{events_table_name}_requests",
            "notification_id bigint PRIMARY KEY, request_id text NOT NULL", step=2)
        # One round trip: lock, notify, insert, and the request the events were recorded in
        # (none outside a request). EXCLUSIVE mode serialises inserts (so ids are issued in
        # commit order and MAX() is stable) but not SELECTs. In READ COMMITTED each
        # statement takes a fresh snapshot, so the INSERT, planned after the lock is
        # granted, sees every row committed by the previous holder. NOTIFY is delivered at
        # commit, and not at all on rollback.
        self._insert_statement = sql.SQL(
            "LOCK TABLE {table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "WITH inserted AS ("
            "INSERT INTO {table} "
            "(originator_id, originator_version, topic, state, notification_id) "
            "SELECT e.originator_id, e.originator_version, e.topic, e.state, m.id + e.n "
            "FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) WITH ORDINALITY "
            "AS e(originator_id, originator_version, topic, state, n), "
            "(SELECT COALESCE(MAX(notification_id), 0) AS id FROM {table}) AS m "
            "RETURNING notification_id), "
            "requested AS ("
            "INSERT INTO {requests} (notification_id, request_id) "
            "SELECT i.notification_id, r.id FROM inserted AS i, (SELECT %s::text AS id) AS r "
            "WHERE r.id <> '') "
            "SELECT notification_id FROM inserted"
        ).format(table=self.events_table, channel=sql.Identifier(self.channel_name),
                 requests=self.requests_table)

    @retried
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.database.transaction() as cursor:
            return self._insert_events(cursor, stored_events, **kwargs)

    def _insert_events(
        self, cursor: Cursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> list[int]:
        if not stored_events:
            return []
        # The request's id is recorded in the same statement: with the events or not at all.
        cursor.execute(self._insert_statement, (*self._columns(stored_events), logs.bound()))
        # Ids are MAX + ordinality, so sorted they are in the order of stored_events.
        return sorted(row[0] for row in cursor.fetchall())

    @retried
    def request_ids(self, first: int, last: int) -> dict[int, str]:
        """The request id of each notification from ``first`` to ``last`` recorded in one."""
        rows = self._rows(
            sql.SQL("SELECT notification_id, request_id FROM {table} "
                    "WHERE notification_id BETWEEN %s AND %s").format(table=self.requests_table),
            (first, last))
        return {int(n): str(r) for n, r in rows}

    @retried
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
        rows = self._rows(query, params)
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

    @retried
    def max_notification_id(self) -> int | None:
        with self.database.read() as cursor:
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
