"""The outbox relay: a store's notification log, published to RabbitMQ without loss.

The notification log *is* the outbox: an event is committed once, in the store, and the
relay publishes every notification after the last position it recorded, a run of up to
``batch_size`` at a time in one AMQP transaction (``RunPublisher``), as one message for
each event type and request holding the list of their envelopes (``as_messages``), and
only once the broker has committed the run records the new position. A crash between
commit and publish (or between publish and recording) means the same events are
published again after a restart, with the same event ids and positions, and consumers
drop the duplicates (``coachops.bus.idempotency``). Several instances of one service may
run: one of them relays (``coachops.bus.leadership``), and the position row is locked
with SKIP LOCKED, so a run is never made twice at once whatever the instances believe.
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
from eventsourcing.utils import get_topic, resolve_topic
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.messaging import Producer
from nameko.constants import PERSISTENT

from coachops import faults, logs, metrics, migrations
from coachops.bus.topology import event_exchange
from coachops.contracts import Envelope, Outgoing, wire
from coachops.privacy.sealing import warm_keys
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


def translated_topics(translate: Translator) -> tuple[str, ...]:
    """The stored topics of the classes ``translate`` names and of their subclasses (what
    ``may_translate`` lets through), for the store to filter on; () if it names none."""
    found: set[str] = set()
    waiting: list[type] = list(getattr(translate, "translates", ()))
    while waiting:
        cls = waiting.pop()
        found.add(get_topic(cls))
        waiting.extend(cls.__subclasses__())
    return tuple(sorted(found))

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
    wanted = [notification for notification in notifications
              if may_translate(translate, notification)]
    warm_keys(application.mapper, wanted)
    for notification in wanted:
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
    return [wire.encode(envelope) for envelope in envelopes]


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


@dataclass(frozen=True)
class Message:
    """One AMQP message of a run: a list of envelopes of one event type (bus contract 2),
    routed by that type."""

    body: list[dict[str, Any]]
    event_type: str
    message_id: str
    headers: Mapping[str, str]


def as_messages(envelopes: Sequence[Envelope], requests: Mapping[int, str]) -> list[Message]:
    """The run's envelopes as one message per event type and request (``requests``: the
    request each position was recorded in, where known), each list in position order.

    One message, one delivery, one worker and one acknowledgement for a list rather than
    for each event: a /sync batch of 200 time entries is one message for each of its event
    types. The request id stays exact for every event (its message's header)."""
    groups: dict[tuple[str, str | None], list[Envelope]] = {}
    for envelope in envelopes:
        groups.setdefault((envelope.event_type, requests.get(envelope.position)),
                          []).append(envelope)
    return [Message(body=[wire.encode(e) for e in listed], event_type=event_type,
                    message_id=str(listed[0].event_id),
                    headers={logs.REQUEST_HEADER: request} if request else {})
            for (event_type, request), listed in groups.items()]


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

    def publish_run(self, messages: Sequence[Message]) -> None:
        """Every message of the run committed together, or none."""
        if self._producer is None:
            self._publish(messages)
            return
        try:
            self._publish(messages)
        except Exception:
            # The kept connection may have died while idle (a broker restart): one more try
            # on a new one. Harmless if the first run did commit: a duplicate at worst.
            log.info("publishing a run failed on the kept connection; trying a new one",
                     exc_info=True)
            self._publish(messages)

    def _publish(self, messages: Sequence[Message]) -> None:
        try:
            producer = self._open()
            for message in messages:
                producer.publish(message.body, routing_key=message.event_type,
                                 message_id=message.message_id, headers=dict(message.headers),
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
    topics: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.topics = translated_topics(self.translate)
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
        """Publish the next batch; returns how many notifications it read (with topics,
        the untranslated ones are moved past unread): a full batch means more may wait."""
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
            # With topics, the store leaves out what the translator never translates (two
            # thirds of time tracking's notifications): they are not even read. A short
            # page then means nothing more up to the end seen before it was asked for
            # (the store commits notifications in their order), and the relay moves there.
            end = (self.application.recorder.max_notification_id() or 0) if self.topics else 0
            notifications = self.application.recorder.select_notifications(
                start=position, limit=self.batch_size, topics=self.topics,
                inclusive_of_start=False,
            )
            if not notifications:
                if end > position:
                    cursor.execute("UPDATE outbox_relay SET position = %s WHERE source = %s",
                                   (end, self.source))
                metrics.OUTBOX_BACKLOG.labels(self.source).set(0)
                return 0
            moved_to = notifications[-1].id
            if len(notifications) < self.batch_size:
                moved_to = max(moved_to, end)
            envelopes, previous = to_envelopes(
                self.source, self.application, self.translate, notifications, previous
            )
            faults.point("relay.before_publish")
            if envelopes:
                requests = self.request_ids(notifications[0].id, notifications[-1].id)
                messages = as_messages(envelopes, requests)
                self.publisher.publish_run(messages)
                metrics.MESSAGES_PUBLISHED.labels(self.source).inc(len(messages))
            for envelope in envelopes:
                metrics.EVENTS_PUBLISHED.labels(self.source, envelope.event_type).inc()
            faults.point("relay.after_publish")
            cursor.execute(
                "UPDATE outbox_relay SET position = %s, last_published = %s WHERE source = %s",
                (moved_to, previous, self.source),
            )
        last = moved_to
        log.info(
            "relayed %s notifications %d..%d (%d published)",
            self.source, notifications[0].id, last, len(envelopes),
        )
        if previous is not None:
            metrics.OUTBOX_POSITION.labels(self.source).set(previous)
        backlog = (self.application.recorder.max_notification_id() or 0) - last
        metrics.OUTBOX_BACKLOG.labels(self.source).set(backlog)
        return len(notifications)
