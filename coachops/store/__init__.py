"""coachops' eventsourcing persistence module: ``PERSISTENCE_MODULE=coachops.store``.

PostgreSQL through psycopg2, so that it cooperates with eventlet. The library's
``eventsourcing.postgres`` uses psycopg 3, which eventlet cannot make cooperative: under
nameko every worker of a service would wait for every other worker's queries. psycopg2
becomes cooperative when ``eventlet.monkey_patch()`` installs its wait callback, and the
pool (``pool``) and the subscription (``subscription``) are built only from ``threading``
primitives, which the same monkey patching turns green. So nothing here blocks the hub.

- ``database``: ``PostgresDatabase``, the pooled database every recorder (and read model) uses;
- ``recorder``: what the recorders share (their tables, retrying through a restart);
- ``aggregate``, ``notifications``, ``tracking``: the aggregate, application (the
  notification log the outbox relay reads), tracking and process recorders;
- ``factory``: ``PostgresFactory``. ``InfrastructureFactory.construct`` picks the one
  factory class in this namespace, so import no other factory class here;
- ``admin``: ``python -m coachops.store.admin``, which makes and drops services' databases.
"""

from coachops.store.aggregate import PostgresAggregateRecorder
from coachops.store.database import PostgresDatabase
from coachops.store.factory import PostgresFactory
from coachops.store.notifications import PostgresApplicationRecorder
from coachops.store.tracking import PostgresProcessRecorder, PostgresTrackingRecorder

__all__ = [
    "PostgresAggregateRecorder",
    "PostgresApplicationRecorder",
    "PostgresDatabase",
    "PostgresFactory",
    "PostgresProcessRecorder",
    "PostgresTrackingRecorder",
]
