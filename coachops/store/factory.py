"""The infrastructure factory that ``PERSISTENCE_MODULE=coachops.store`` names."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from coachops.store.aggregate import PostgresAggregateRecorder
from coachops.store.database import PostgresDatabase
from coachops.store.notifications import PostgresApplicationRecorder
from coachops.store.recorder import PostgresRecorder
from coachops.store.tracking import PostgresProcessRecorder, PostgresTrackingRecorder

_T = TypeVar("_T", bound=PostgresTrackingRecorder)
_R = TypeVar("_R", bound=PostgresRecorder)
_B = TypeVar("_B")


class PostgresFactory(InfrastructureFactory[PostgresTrackingRecorder]):
    """``PERSISTENCE_MODULE=coachops.store``: reads DATABASE_URL, POSTGRES_POOL_SIZE,
    POSTGRES_SCHEMA and CREATE_TABLE (each may be prefixed with the application's name).

    Each factory owns its PostgresDatabase and closes it in ``close()``; sharing one across
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
        self.database = PostgresDatabase(url, pool_size=pool_size, schema=schema)

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
            type(self).aggregate_recorder_class(self.database, events_table_name=events_table_name)
        )

    def application_recorder(self) -> ApplicationRecorder:
        cls = self._topic_or(
            self.APPLICATION_RECORDER_TOPIC,
            type(self).application_recorder_class,
            PostgresApplicationRecorder,
        )
        return self._created(cls(self.database, events_table_name=self._events_table_name()))

    def tracking_recorder(self, tracking_recorder_class: type[_T] | None = None) -> _T:
        cls: type[PostgresTrackingRecorder] = tracking_recorder_class or self._topic_or(
            self.TRACKING_RECORDER_TOPIC,
            type(self).tracking_recorder_class,
            PostgresTrackingRecorder,
        )
        if not issubclass(cls, PostgresTrackingRecorder):
            raise TypeError(f"{cls.__qualname__} is not a PostgresTrackingRecorder")
        return cast(
            _T, self._created(cls(self.database, tracking_table_name=self._tracking_table_name()))
        )

    def process_recorder(self) -> ProcessRecorder:
        cls = self._topic_or(
            self.PROCESS_RECORDER_TOPIC,
            type(self).process_recorder_class,
            PostgresProcessRecorder,
        )
        return self._created(
            cls(
                self.database,
                events_table_name=self._events_table_name(),
                tracking_table_name=self._tracking_table_name(),
            )
        )

    def close(self) -> None:
        self.database.close()
