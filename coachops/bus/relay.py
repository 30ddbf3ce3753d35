"""The outbox relay: a store's notification log, published to RabbitMQ without loss.

The notification log *is* the outbox: an event is committed once, in the store, and the
relay publishes every notification after the last position it recorded, a run of up to
``batch_size`` at a time in one AMQP transaction (``RunPublisher``), and only once the
broker has committed the run records the new position. A crash between commit and publish
(or between publish and recording) means the same events are published again after a
restart, with the same event ids and positions, and consumers drop the duplicates
(``coachops.bus.idempotency``). Several instances of one service may run: one of them
relays (``coachops.bus.leadership``), and the position row is locked with SKIP LOCKED, so
a run is never made twice at once whatever the instances believe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.messaging import Producer
from nameko.constants import PERSISTENT

from coachops import faults, logs, metrics, migrations
from coachops.bus.topology import event_exchange
from coachops.contracts import Envelope, Outgoing, encode
from coachops.store import PostgresDatabase

log = logging.getLogger(__name__)

# Makes the integration event (or nothing) that one domain event stands for. A translator
# may name the domain event classes it makes one of (a ``translates`` attribute, a tuple):
# it then makes nothing of any other, and the relay does not decode their notifications.
Translator = Callable[[Any], Outgoing | None]


def may_translate(translate: Translator, notification: Notification) -> bool:
    """Whether ``notification`` may stand for an integration event: False only when the
    translator names the classes it translates and the notification's is not one."""
    classes = getattr(translate, "translates", None)
    return classes is None or issubclass(resolve_topic(notification.topic), classes)

DDL = """
CREATE TABLE IF NOT EXISTS outbox_relay (
    source text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    last_published bigint
)
"""

# Step 1 is the tables as the release before migrations made them (DDL, idempotent).
MIGRATIONS = migrations.register("bus.relay", ("baseline", DDL))


def to_envelopes(
    source: str,
    application: Application[UUID],
    translate: Translator,
    notifications: Sequence[Notification],
    previous: int | None,
) -> tuple[list[Envelope], int | None]:
    """The integration events that ``notifications`` stand for, chained by position
    (``previous`` is the position of the last one published before them); also returns
    the position of the last one made. Deterministic, so a re-publish is identical."""
    envelopes = []
    for notification in notifications:
        if not may_translate(translate, notification):
            continue
        # Every event in our stores is an aggregate's, a DomainEvent with its timestamp.
        domain_event = cast(DomainEvent, application.mapper.to_domain_event(notification))
        outgoing = translate(domain_event)
        if outgoing is None:
            continue
        recorded_at: datetime = domain_event.timestamp
        envelopes.append(
            Envelope(
                event_type=outgoing.event_type,
                version=outgoing.version,
                source=source,
                stream_id=cast(UUID, notification.originator_id),  # our ids are UUIDs
                stream_position=notification.originator_version,
                position=notification.id,
                previous_position=previous,
                occurred_at=outgoing.occurred_at or recorded_at,
                recorded_at=recorded_at,
                actor=outgoing.actor,
                payload=outgoing.payload,
            )
        )
        previous = notification.id
    return envelopes, previous


def published_events(
    source: str, application: Application[UUID], translate: Translator, start: int, limit: int
) -> list[dict[str, Any]]:
    """The integration events from position ``start`` on, exactly as the relay publishes
    them (same ids, positions and predecessors): for a consumer that found one missing."""
    notifications = application.recorder.select_notifications(start=start, limit=limit)
    if not notifications:  # nothing there (a position past the end): no walk back either
        return []
    envelopes, _ = to_envelopes(
        source, application, translate, notifications,
        _last_published_before(application, translate, start),
    )
    return [encode(envelope) for envelope in envelopes]


def _last_published_before(
    application: Application[UUID], translate: Translator, position: int, page: int = 200
) -> int | None:
    # The walk starts at the log's end at most: a position far past it is no reason to
    # page through the empty numbers in between.
    stop = min(position - 1, application.recorder.max_notification_id() or 0)
    while stop >= 1:
        notifications = application.recorder.select_notifications(
            start=max(1, stop - page + 1), stop=stop, limit=page
        )
        for notification in reversed(notifications):
            if may_translate(translate, notification) and translate(
                    application.mapper.to_domain_event(notification)) is not None:
                return notification.id
        stop -= page
    return None


# A broker that stops answering mid-run: give up on the run (it is published again).
AMQP_TIMEOUT_SECONDS = 30.0


class RunPublisher:
    """Publishes a run of messages in one AMQP transaction on a connection of its own.

    ``tx.commit-ok`` means the broker holds every message of the run (routed, and the
    persistent ones written to disk): the guarantee a confirm per message gave, with one
    round trip for the run instead of one per message. Anything short of it (a lost
    connection, a timeout, a crash) leaves the run uncommitted, and the broker discards
    it; the relay then has not recorded its position and publishes the run again.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _open(self) -> Producer:
        if self._producer is None:
            connection = Connection(self.amqp_uri, connect_timeout=AMQP_TIMEOUT_SECONDS,
                                    transport_options={"read_timeout": AMQP_TIMEOUT_SECONDS,
                                                       "write_timeout": AMQP_TIMEOUT_SECONDS})
            self._connection = connection
            channel = connection.channel()
            self.exchange(channel).declare()
            channel.tx_select()
            # Declared above, once per connection: a publish then only sends its message
            # and never waits for the broker.
            self._producer = Producer(channel, exchange=self.exchange, serializer="json",
                                      auto_declare=False)
        return self._producer

    def publish_run(self, messages: Sequence[tuple[Any, str, str]],
                    headers: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """``(body, routing key, message id)`` each, all committed together or none;
        ``headers``: a message's own, by its id."""
        if self._producer is None:
            self._publish(messages, headers or {})
            return
        try:
            self._publish(messages, headers or {})
        except Exception:
            # The kept connection may have died while idle (a broker restart): one more try
            # on a new one. Harmless if the first run did commit: a duplicate at worst.
            log.info("publishing a run failed on the kept connection; trying a new one",
                     exc_info=True)
            self._publish(messages, headers or {})

    def _publish(self, messages: Sequence[tuple[Any, str, str]],
                 headers: Mapping[str, Mapping[str, str]]) -> None:
        try:
            producer = self._open()
            for body, routing_key, message_id in messages:
                producer.publish(body, routing_key=routing_key, message_id=message_id,
                                 headers=dict(headers.get(message_id, {})),
                                 delivery_mode=PERSISTENT, retry=False)
            faults.point("relay.before_commit")
            producer.channel.tx_commit()
        except BaseException:
            self.close()  # an uncommitted transaction dies with its connection
            raise

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken: nothing to tidy
                log.debug("closing the relay's broker connection failed", exc_info=True)


@dataclass(eq=False)
class OutboxRelay:
    """Relays one store's notification log to its service's exchange, a batch at a time."""

    source: str
    application: Application[UUID]
    translate: Translator
    database: PostgresDatabase
    amqp_uri: str
    batch_size: int = 500
    exchange: Exchange = field(init=False)
    publisher: RunPublisher = field(init=False)

    def __post_init__(self) -> None:
        self.exchange = event_exchange(self.source)
        self.publisher = RunPublisher(self.amqp_uri, self.exchange)

    def ensure_tables(self) -> None:
        with self.database.transaction() as cursor:
            migrations.apply(cursor, MIGRATIONS)
            cursor.execute(
                "INSERT INTO outbox_relay (source) VALUES (%s) ON CONFLICT DO NOTHING",
                (self.source,),
            )

    def request_ids(self, first: int, last: int) -> dict[int, str]:
        """The request each notification was recorded in, where the recorder keeps them."""
        of = getattr(self.application.recorder, "request_ids", None)
        return of(first, last) if of is not None else {}

    def last_published(self) -> int:
        """The position of the last event published (0: none yet)."""
        with self.database.transaction(commit=False) as cursor:
            cursor.execute("SELECT last_published FROM outbox_relay WHERE source = %s",
                           (self.source,))
            row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def relay_once(self) -> int:
        """Publish the next batch; returns how many notifications it moved past."""
        with self.database.transaction() as cursor:
            # A machine lost mid-run leaves its session open until TCP notices: the row is
            # let go after this long at most (a run's publish is bounded by the AMQP timeout).
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = %s",
                           (f"{int(AMQP_TIMEOUT_SECONDS * 2)}s",))
            cursor.execute(
                "SELECT position, last_published FROM outbox_relay"
                " WHERE source = %s FOR UPDATE SKIP LOCKED",
                (self.source,),
            )
            row = cursor.fetchone()
            if row is None:  # another instance holds the relay right now
                return 0
            position, previous = row
            notifications = self.application.recorder.select_notifications(
                start=position, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                metrics.OUTBOX_BACKLOG.labels(self.source).set(0)
                return 0
            envelopes, previous = to_envelopes(
                self.source, self.application, self.translate, notifications, previous
            )
            faults.point("relay.before_publish")
            if envelopes:
                requests = self.request_ids(notifications[0].id, notifications[-1].id)
                self.publisher.publish_run([
                    (encode(e), e.event_type, str(e.event_id)) for e in envelopes],
                    headers={str(e.event_id): {logs.REQUEST_HEADER: requests[e.position]}
                             for e in envelopes if e.position in requests})
            for envelope in envelopes:
                metrics.EVENTS_PUBLISHED.labels(self.source, envelope.event_type).inc()
            faults.point("relay.after_publish")
            cursor.execute(
                "UPDATE outbox_relay SET position = %s, last_published = %s WHERE source = %s",
                (notifications[-1].id, previous, self.source),
            )
        last = notifications[-1].id
        log.info(
            "relayed %s notifications %d..%d (%d published)",
            self.source, notifications[0].id, last, len(envelopes),
        )
        if previous is not None:
            metrics.OUTBOX_POSITION.labels(self.source).set(previous)
        backlog = (self.application.recorder.max_notification_id() or 0) - last
        metrics.OUTBOX_BACKLOG.labels(self.source).set(backlog)
        return len(notifications)
