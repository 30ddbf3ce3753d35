"""nameko dependency providers: how a service reaches its own database.

``EventSourcedApp`` gives workers the service's eventsourcing application and runs the
outbox relay beside it; ``Database`` gives a read-model service a pooled connection. Both read
``<SERVICE>_DATABASE_URL`` of their own service (``coachops.settings``), so a service can
only ever reach its own database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from nameko.extensions import DependencyProvider
from psycopg2.extensions import cursor as Cursor

from coachops import settings
from coachops.application import ServiceApplication
from coachops.bus.consumer import IntegrationEventHandler
from coachops.bus.leadership import RelayLeadership
from coachops.bus.relay import OutboxRelay, Translator, published_events
from coachops.identity import Actor
from coachops.rpc import REQUEST_ID
from coachops.store import PostgresDatabase
from coachops.unit_of_work import Once

log = logging.getLogger(__name__)


def pool_size() -> int:
    # One connection per worker, plus the relay's two.
    return settings.current().max_workers + 2


class Database(DependencyProvider):
    """This service's own database, pooled (a ``PostgresDatabase``)."""

    def __init__(self, schema: str | Callable[[Cursor], object] | None = None) -> None:
        # Run once at start: DDL (CREATE ... IF NOT EXISTS), or what makes the tables.
        self.schema = schema
        self.database: PostgresDatabase | None = None

    def setup(self) -> None:
        url = settings.current().database_url(self.container.service_name)
        self.database = PostgresDatabase(url, pool_size=pool_size())
        if self.schema:
            with self.database.transaction() as cursor:
                if callable(self.schema):
                    self.schema(cursor)
                else:
                    cursor.execute(self.schema)

    def stop(self) -> None:
        if self.database:
            self.database.close()

    def get_dependency(self, worker_ctx: Any) -> PostgresDatabase:
        assert self.database is not None
        return self.database


class EventSourcedApp(DependencyProvider):
    """The service's eventsourcing application, and the relay that publishes its events."""

    def __init__(self, application_class: type[ServiceApplication], publish: Translator) -> None:
        self.application_class = application_class
        self.translate = publish
        self.application: ServiceApplication | None = None
        self.relay: OutboxRelay | None = None
        self.leadership: RelayLeadership | None = None
        self._wake = threading.Event()
        self._stopped = threading.Event()

    def setup(self) -> None:
        configured = settings.current()
        url = configured.database_url(self.container.service_name)
        # eventsourcing prefers <APP NAME>_DATABASE_URL from the process's environment to
        # DATABASE_URL, and for Cycles that is CYCLES_DATABASE_URL as written, without the
        # password the settings put in: so the settings' URL goes under both.
        named = f"{self.application_class.name.upper()}_DATABASE_URL"
        self.application = self.application_class(
            env={"DATABASE_URL": url, named: url, "POSTGRES_POOL_SIZE": str(pool_size())}
        )
        # A worker's app is on coachops.store (its PERSISTENCE_MODULE), whose factory has the
        # database; the library types the factory as its own base, which has none.
        database = self.application.factory.database  # type: ignore[attr-defined]
        self.relay = OutboxRelay(
            source=self.container.service_name,
            application=self.application,
            translate=self.translate,
            database=database,
            amqp_uri=configured.amqp_uri,
            batch_size=configured.relay_batch_size,
        )
        self.relay.ensure_tables()
        self.leadership = RelayLeadership(database, self.container.service_name)
        self.poll_seconds = configured.relay_poll_seconds

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(
            self._relay_forever, identifier="outbox-relay"
        )

    def stop(self) -> None:
        # nameko stops dependencies after the last worker finished, so every command's
        # events are committed by now: publish them before closing, leaving no backlog.
        self._stopped.set()
        self._wake.set()
        self._thread.wait()
        # nameko stops dependencies side by side: work of another one that still uses the
        # application (agreements' roster imports in the background) ends before it closes.
        for other in self.container.dependencies:
            wait_idle = getattr(other, "wait_idle", None)
            if other is not self and callable(wait_idle):
                wait_idle()
        self._drain()
        self._close()

    def kill(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._close()

    def _close(self) -> None:
        if self.leadership is not None:
            self.leadership.release()  # another instance takes the relay at its next poll
        if self.relay is not None:
            self.relay.publisher.close()  # its broker connection, held between runs
        if self.application is not None:
            self.application.close()

    def _drain(self) -> None:
        assert self.relay is not None
        try:
            while self.relay.relay_once() == self.relay.batch_size:
                pass
        except Exception:  # the next start publishes what is left
            log.exception("could not publish the last events before stopping")

    def get_dependency(self, worker_ctx: Any) -> ServiceApplication:
        assert self.application is not None
        return self.application

    def last_published(self) -> int:
        assert self.relay is not None
        return self.relay.last_published()

    def published_events(self, start: int, limit: int) -> list[dict[str, Any]]:
        assert self.application is not None
        return published_events(
            self.container.service_name, self.application, self.translate, start, limit
        )

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        # A command may have committed events: publish them now rather than at the next poll.
        self._wake.set()

    def _relay_forever(self) -> None:
        assert self.relay is not None and self.leadership is not None
        backoff = self.poll_seconds
        while not self._stopped.is_set():
            self._wake.clear()  # a wake-up during relay_once() is kept for the next turn
            try:
                if not self.leadership.held():  # another instance relays: try again later
                    self._stopped.wait(self.poll_seconds)
                    continue
                moved = self.relay.relay_once()
            except Exception:
                log.exception("outbox relay failed; retrying in %.1fs", backoff)
                self._stopped.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self.poll_seconds
            if moved < self.relay.batch_size:
                self._wake.wait(self.poll_seconds)


class Readiness(DependencyProvider):
    """Whether every event consumer of this service has its queue bound. RPC may answer
    before the event queues exist, and RabbitMQ drops events no queue is bound to yet, so a
    service reports ready (``ping`` -> "pong") only once all its consumers are."""

    def get_dependency(self, worker_ctx: Any) -> Callable[[], bool]:
        handlers = [e for e in self.container.entrypoints
                    if isinstance(e, IntegrationEventHandler)]
        return lambda: all(h.queue_consumer.ready() for h in handlers)


@dataclass(frozen=True)
class NotificationLog:
    """What a service published, read back from its store: for a consumer that missed an
    event on the bus, or that rebuilds from scratch."""

    events: Callable[[int, int], list[dict[str, Any]]]  # (start, limit) -> envelopes
    last_published: Callable[[], int]  # the position of the last one (0: none yet)


class PublishedEvents(DependencyProvider):
    """The service's ``NotificationLog`` (``app`` names the service's ``EventSourcedApp``
    attribute)."""

    def __init__(self, app: str) -> None:
        self.app = app

    def get_dependency(self, worker_ctx: Any) -> NotificationLog:
        [app] = [d for d in self.container.dependencies if d.attr_name == self.app]
        return NotificationLog(app.published_events, app.last_published)


# A request's id made into a client id: the same on a redelivery.
REDELIVERY_NAMESPACE = UUID("9e4c1f0a-6d2b-4b8e-8f3a-2c5d7e9b1a64")


class DeliveredOnce(DependencyProvider):
    """RabbitMQ redelivers an RPC request when the worker handling it dies before
    acknowledging it, possibly after its command committed. A redelivery has the same
    request id (``coachops.rpc``), so a command keyed on it (``Once``, kept with the
    command's events) is applied once: the second delivery answers what the first did."""

    def get_dependency(self, worker_ctx: Any) -> Callable[[dict[str, str], str], Once | None]:
        request = worker_ctx.data.get(REQUEST_ID)

        def once(actor: dict[str, str], command: str) -> Once | None:
            if request is None:  # not an RPC request (a test calling the method directly)
                return None
            return Once(uuid5(REDELIVERY_NAMESPACE, str(request)), Actor.from_dict(actor).id,
                        command=command)

        return once
