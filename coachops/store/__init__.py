"""coachops' eventsourcing persistence module: ``PERSISTENCE_MODULE=coachops.store``.

PostgreSQL through psycopg2, so that it cooperates with eventlet (see ``postgres``).
``InfrastructureFactory.construct`` picks the one factory class in this namespace, so
import no other factory class here.
"""

from coachops.store.postgres import (
    Datastore,
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)

__all__ = [
    "Datastore",
    "PostgresAggregateRecorder",
    "PostgresApplicationRecorder",
    "PostgresFactory",
    "PostgresProcessRecorder",
    "PostgresTrackingRecorder",
]
