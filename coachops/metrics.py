"""Prometheus metrics shared by every service (one registry per process)."""

from __future__ import annotations

import logging

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from coachops import settings
from coachops.diagnostics import install_stack_dump

log = logging.getLogger(__name__)

EVENTS_RECORDED = Counter(
    "coachops_events_recorded_total", "Domain events committed to a store, by type",
    ["application", "event_type"],
)
OUTBOX_POSITION = Gauge(
    "coachops_outbox_position",
    "Last notification-log position the relay published, per source",
    ["source"],
)
CONSUMER_POSITION = Gauge(
    "coachops_consumer_position",
    "Highest source position a consumer has handled; events behind ="
    " coachops_outbox_position - this",
    ["consumer", "source"],
)
GAP_MARK = Gauge(
    "coachops_gap_mark_position",
    "Position of a source up to which reporting received every event (its gap mark);"
    " stuck below coachops_outbox_position: an event lost on the bus and not fetched",
    ["source"],
)
PROJECTION_LAG = Histogram(
    "coachops_projection_lag_seconds",
    "From an event's commit at its source to its handling by a consumer",
    ["consumer", "source"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
EVENTS_PUBLISHED = Counter(
    "coachops_events_published_total",
    "Integration events published to RabbitMQ by the outbox relay",
    ["source", "event_type"],
)
MESSAGES_PUBLISHED = Counter(
    "coachops_messages_published_total",
    "AMQP messages the outbox relay published (each a list of events of one type)",
    ["source"],
)
OUTBOX_BACKLOG = Gauge(
    "coachops_outbox_backlog_events",
    "Notifications committed but not yet relayed to RabbitMQ",
    ["source"],
)
RELAY_LEADER = Gauge(
    "coachops_outbox_relay_leader",
    "1 on the one instance of a service that relays its source's events, 0 on the others",
    ["source"],
)
EVENTS_HANDLED = Counter(
    "coachops_events_handled_total",
    "Integration events handled by a consumer, by outcome",
    ["consumer", "event_type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "coachops_handler_seconds", "Time to handle one message of integration events (its list)",
    ["consumer"]
)
CONSUMER_RECONNECTS = Counter(
    "coachops_consumer_reconnects_total",
    "Times a queue consumer found RabbitMQ no longer delivering to it and reconnected",
    ["queue"],
)
DEAD_LETTERED = Counter(
    "coachops_dead_lettered_total", "Messages parked in the dead-letter queue", ["consumer"]
)


class MetricsServer(DependencyProvider):
    """Serves /metrics for this process on ``METRICS_PORT`` (0 or unset: off), and dumps
    the process's green thread stacks to its log on SIGUSR1."""

    _started: set[int] = set()

    def setup(self) -> None:
        install_stack_dump()
        port = settings.current().metrics_port
        if port and port not in self._started:
            start_http_server(port)
            self._started.add(port)
            log.info("metrics served on :%d/metrics", port)

GATEWAY_REQUESTS = Counter(
    "coachops_gateway_requests_total", "HTTP requests answered by the gateway",
    ["route", "method", "status"],
)
GATEWAY_SECONDS = Histogram(
    "coachops_gateway_request_seconds", "Time to answer one HTTP request", ["route"]
)
