"""The reporting service's dependency providers: the one batch writer of the process, and
the frozen start-up heap."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Histogram

from coachops import settings
from coachops.bus.consumer import raise_failures
from coachops.bus.idempotency import BatchWriter
from coachops.contracts import Envelope
from services.reporting import projections

BATCH_EVENTS = Histogram(
    "coachops_reporting_batch_events", "Events applied in one reporting transaction",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
)


class Writer(DependencyProvider):
    """The process's one ``BatchWriter``: each event handler hands it its message's events
    and waits for the commit, so events are applied many to a transaction.

    Batches form only from events being handled at once, so this raises the container's
    worker pool to ``REPORTING_MAX_WORKERS``: report queries find a worker while handlers
    wait on the writer. Each queue's prefetch stays ``MAX_WORKERS`` messages
    (``coachops.bus.consumer``), each a list of up to a relay run's events. The database
    pool stays sized by ``max_workers`` (``coachops.dependencies.pool_size``): waiting
    workers hold no connection, the writer needs one and report queries wait for theirs."""

    def __init__(self, database: str = "db") -> None:
        self.database = database
        self.writer: BatchWriter | None = None

    def setup(self) -> None:
        container = self.container
        workers = settings.current().reporting_max_workers
        if workers > container.max_workers:
            # Read by the queue consumer when it starts consuming, after every setup.
            container.max_workers = workers
            container._worker_pool.resize(workers)

    def start(self) -> None:
        [db] = [d for d in self.container.dependencies if d.attr_name == self.database]
        self.writer = BatchWriter(
            db.database, projections.receive_all, projections.receive,
            limit=settings.current().reporting_batch_size,
            observe=BATCH_EVENTS.observe,
        )
        self._thread = self.container.spawn_managed_thread(self.writer.run,
                                                           identifier="reporting-writer")

    def stop(self) -> None:
        # nameko stops dependencies after the last worker returned: nothing waits any more.
        if self.writer is not None:
            self.writer.stop()
            self._thread.wait()

    def get_dependency(self, worker_ctx: Any) -> Callable[[list[Envelope]], None]:
        writer = self.writer
        assert writer is not None

        def write(events: list[Envelope]) -> None:
            """Apply a message's events (with those of other workers): raises an outage
            (the message is requeued) or ``Unhandled`` for the events that failed alone."""
            raise_failures([each.error for each in writer.apply_all(events)])

        return write


class StartupHeapFrozen(DependencyProvider):
    """Once the service has started, what it holds by then (modules, nameko, its
    connections: it lives as long as the process) is moved out of the garbage collector's
    way (``gc.freeze``), so a full collection walks what was made since rather than all
    of it. In a process importing this service, the full collection that came about every
    twenty district reports took 30 to 66 ms (under 1 ms frozen): the tail of an uncached
    report's latency."""

    def start(self) -> None:
        gc.freeze()
