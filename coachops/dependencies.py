"""nameko dependency providers: how a service reaches its own database.

``Store`` gives workers the service's eventsourcing application and runs the outbox
relay beside it; ``Database`` gives a read-model service a pooled connection. Both read
``DATABASE_URLS[<service name>]`` from the nameko config (``deploy/nameko.yml``), so a
service can only ever reach its own database.
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

from coachops.application import ServiceApplication
from coachops.bus.consumer import IntegrationEventHandler
from coachops.bus.relay import OutboxRelay, Translator, published_events
from coachops.commands.sync import Once
from coachops.identity import Actor
from coachops.rpc import REQUEST_ID
from coachops.store import Datastore

log = logging.getLogger(__name__)


def database_url(config: dict[str, Any], service_name: str) -> str:
    try:
        url: str = config["DATABASE_URLS"][service_name]
        return url
    except KeyError:
        raise RuntimeError(
            f"no database configured for {service_name!r}: set DATABASE_URLS.{service_name}"
        ) from None


def pool_size(config: dict[str, Any]) -> int:
    # One connection per worker, plus the relay's two.
    return int(config.get("max_workers", 10)) + 2


class Database(DependencyProvider):
    """A pooled psycopg2 ``Datastore`` on this service's own database."""

    def __init__(self, schema: str | Callable[[Cursor], object] | None = None) -> None:
        # Run once at start: DDL (CREATE ... IF NOT EXISTS), or what makes the tables.
        self.schema = schema
        self.datastore: Datastore | None = None

    def setup(self) -> None:
        config = self.container.config
        url = database_url(config, self.container.service_name)
        self.datastore = Datastore(url, pool_size=pool_size(config))
        if self.schema:
            with self.datastore.transaction() as cursor:
                if callable(self.schema):
                    self.schema(cursor)
                else:
                    cursor.execute(self.schema)

    def stop(self) -> None:
        if self.datastore:
            self.datastore.close()

    def get_dependency(self, worker_ctx: Any) -> Datastore:
        assert self.datastore is not None
        return self.datastore


class Store(DependencyProvider):
    """The service's eventsourcing application, and the relay that publishes its events."""

    def __init__(self, application_class: type[ServiceApplication], publish: Translator) -> None:
        self.application_class = application_class
        self.translate = publish
        self.application: ServiceApplication | None = None
        self.relay: OutboxRelay | None = None
        self._wake = threading.Event()
        self._stopped = threading.Event()

    def setup(self) -> None:
        config = self.container.config
        url = database_url(config, self.container.service_name)
        self.application = self.application_class(
            env={"DATABASE_URL": url, "POSTGRES_POOL_SIZE": str(pool_size(config))}
        )
        # A worker's app is on coachops.store (its PERSISTENCE_MODULE), whose factory has the
        # datastore; the library types the factory as its own base, which has none.
        datastore = self.application.factory.datastore  # type: ignore[attr-defined]
        self.relay = OutboxRelay(
            source=self.container.service_name,
            application=self.application,
            translate=self.translate,
            datastore=datastore,
            amqp_uri=config["AMQP_URI"],
            batch_size=int(config.get("RELAY_BATCH_SIZE", 500)),
        )
        self.relay.ensure_tables()
        self.poll_seconds = float(config.get("RELAY_POLL_SECONDS", 0.5))

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
        self._drain()
        self._close()

    def kill(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._close()

    def _close(self) -> None:
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
        assert self.relay is not None
        backoff = self.poll_seconds
        while not self._stopped.is_set():
            self._wake.clear()  # a wake-up during relay_once() is kept for the next turn
            try:
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
    """The service's ``NotificationLog`` (``store`` names the service's ``Store``
    attribute)."""

    def __init__(self, store: str) -> None:
        self.store = store

    def get_dependency(self, worker_ctx: Any) -> NotificationLog:
        [store] = [d for d in self.container.dependencies if d.attr_name == self.store]
        return NotificationLog(store.published_events, store.last_published)


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
