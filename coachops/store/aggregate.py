"""The aggregate recorder: each aggregate's events, in order, in one table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, DataError, StoredEvent
from psycopg2 import sql

from coachops.store.database import PostgresDatabase
from coachops.store.recorder import PostgresRecorder, retried


def _uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError as error:  # as the database would say it, had we sent it
        raise DataError(f"invalid input syntax for type uuid: {value!r}") from error


class PostgresAggregateRecorder(PostgresRecorder, AggregateRecorder):
    _extra_columns = ""  # the application recorder adds notification_id

    def __init__(
        self, database: PostgresDatabase, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(database)
        self.events_table_name = events_table_name
        self.events_table = self._creates(
            events_table_name,
            "originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, "
            "topic text NOT NULL, "
            "state bytea NOT NULL, "
            + self._extra_columns
            + "PRIMARY KEY (originator_id, originator_version)",
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

    @retried
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            with self.database.transaction() as cursor:
                cursor.execute(self._insert_statement, self._columns(stored_events))
        return None

    @retried
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
        return [
            StoredEvent(originator_uuid, version, topic, bytes(state))
            for version, topic, state in self._rows(query, params)
        ]

    def select_events_after(self, after: Mapping[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        """The events of several aggregates, each after its version, in one statement."""
        query = sql.SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state"
            " FROM {table} AS e JOIN unnest(%s::uuid[], %s::bigint[]) AS w(id, after)"
            " ON e.originator_id = w.id AND e.originator_version > w.after"
            " ORDER BY e.originator_id, e.originator_version"
        ).format(table=self.events_table)
        rows = self._rows(query, ([str(i) for i in after], list(after.values())))
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in after}
        for originator_id, version, topic, state in rows:
            stream = UUID(str(originator_id))
            found[stream].append(StoredEvent(stream, version, topic, bytes(state)))
        return found
