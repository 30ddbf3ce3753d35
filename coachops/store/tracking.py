"""The tracking recorder (how far a follower has processed an upstream application's log)
and the process recorder, which saves a tracking record with the events it caused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from eventsourcing.persistence import (
    IntegrityError,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    TrackingRecorder,
)
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from coachops.store.database import PostgresDatabase
from coachops.store.notifications import PostgresApplicationRecorder
from coachops.store.recorder import PostgresRecorder, retried


class PostgresTrackingRecorder(PostgresRecorder, TrackingRecorder):
    """One row per upstream application: the position processed up to."""

    def __init__(
        self,
        database: PostgresDatabase,
        *,
        tracking_table_name: str = "notification_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(database, **kwargs)
        self.tracking_table_name = tracking_table_name
        self.tracking_table = self._creates(
            tracking_table_name,
            "application_name text PRIMARY KEY, notification_id bigint NOT NULL",
        )
        # Moves forward only: an equal or lower id updates nothing and returns no row.
        self._insert_tracking_statement = sql.SQL(
            "INSERT INTO {table} AS t (application_name, notification_id) VALUES (%s, %s) "
            "ON CONFLICT (application_name) DO UPDATE "
            "SET notification_id = EXCLUDED.notification_id "
            "WHERE t.notification_id < EXCLUDED.notification_id "
            "RETURNING notification_id"
        ).format(table=self.tracking_table)

    @retried
    def insert_tracking(self, tracking: Tracking) -> None:
        with self.database.transaction() as cursor:
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

    @retried
    def max_tracking_id(self, application_name: str) -> int | None:
        with self.database.read() as cursor:
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
        database: PostgresDatabase,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            database,
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
