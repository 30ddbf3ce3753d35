"""Exactly-once effects for consumers that may see an event twice or out of order.

nameko runs up to ten handlers at once and RabbitMQ redelivers unacknowledged messages,
so a single "last position" per source would either skip events handled out of order or
apply redeliveries twice. Instead every handled event is claimed by its (source,
position) in the same transaction as its effect: a second claim finds the row and the
effect is skipped; a crash before commit leaves no row, so the redelivery applies it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence

from psycopg2.extensions import cursor as Cursor
from psycopg2.extras import execute_values

from coachops.contracts import Envelope
from coachops.store import PostgresDatabase

log = logging.getLogger(__name__)

DDL = """
CREATE TABLE IF NOT EXISTS processed_events (
    -- one row per source and position: a redelivered or republished event has the same
    source text NOT NULL,
    position bigint NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, position)
)
"""


def claim(cursor: Cursor, event: Envelope) -> bool:
    """Record ``event`` as processed; False when it already was (skip the effect)."""
    # A concurrent claim of the same key waits for the first transaction to end.
    cursor.execute(
        "INSERT INTO processed_events (source, position, event_id) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event.source, event.position, str(event.event_id)),
    )
    return cursor.rowcount == 1


def claim_all(cursor: Cursor, events: Sequence[Envelope]) -> list[bool]:
    """Claim every event in one statement; for each, whether this claim was the first (a
    duplicate within ``events`` counts once)."""
    # In key order, so two writers claiming overlapping batches wait rather than deadlock.
    rows = sorted({(e.source, e.position): str(e.event_id) for e in events}.items())
    claimed = {(source, int(position)) for source, position in execute_values(
        cursor,
        "INSERT INTO processed_events (source, position, event_id) VALUES %s"
        " ON CONFLICT DO NOTHING RETURNING source, position",
        [(source, position, event_id) for (source, position), event_id in rows],
        page_size=max(len(rows), 1), fetch=True,
    )}
    outcomes = []
    for event in events:
        key = (event.source, event.position)
        outcomes.append(key in claimed)
        claimed.discard(key)
    return outcomes


def apply_once(
    database: PostgresDatabase, event: Envelope, project: Callable[[Cursor, Envelope], None]
) -> bool:
    """Claim ``event`` and apply ``project`` in one transaction; False if already done."""
    with database.transaction() as cursor:
        if not claim(cursor, event):
            return False
        project(cursor, event)
        return True


def apply_all_once(
    database: PostgresDatabase, events: Sequence[Envelope],
    project_all: Callable[[Cursor, list[Envelope]], None],
) -> list[bool]:
    """``apply_once`` for many events in one transaction: claim all, project those claimed
    now with one call; for each event, whether it was applied here."""
    with database.transaction() as cursor:
        outcomes = claim_all(cursor, events)
        fresh = [event for event, new in zip(events, outcomes, strict=True) if new]
        if fresh:
            project_all(cursor, fresh)
        return outcomes


class Handed:
    """An event handed to the writer, where its worker waits for the outcome, and the
    outcome: applied (False: it already was), or what applying it alone raised."""

    def __init__(self, event: Envelope) -> None:
        self.event = event
        self.done = threading.Event()
        self.applied = False
        self.error: Exception | None = None

    def finish(self, applied: bool, error: Exception | None = None) -> None:
        self.applied, self.error = applied, error
        self.done.set()


class BatchWriter:
    """One writer applying the events that many consumer workers hand it, in batches.

    A transaction per event pays a commit and the projection's lock for each; here each
    worker waits while the writer applies everything waiting (up to ``limit``) in one
    transaction, and returns only once its events are committed, so its message is
    acknowledged after the commit as before. If a batch fails, its events are applied
    again one by one: a poison event fails alone (its ``Handed.error``, which its
    worker parks) and the others commit. Only ``threading`` primitives, looked up when
    the writer is made (after nameko's ``eventlet.monkey_patch()``), so waiting yields
    to other green threads.
    """

    def __init__(
        self,
        database: PostgresDatabase,
        project_all: Callable[[Cursor, list[Envelope]], None],
        project_one: Callable[[Cursor, Envelope], None],
        limit: int = 500,
        observe: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        self.project_all = project_all
        self.project_one = project_one
        self.limit = limit
        self.observe = observe  # told each batch's size
        self.batches = 0  # transactions of whole batches committed
        self.fallbacks = 0  # batches applied again one by one
        self._queue: deque[Handed] = deque()
        self._changed = threading.Condition()
        self._stopping = False

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def apply_all(self, events: Sequence[Envelope]) -> list[Handed]:
        """Called by a worker: ``events`` applied and committed (perhaps in several
        batches, with other workers' events); each one's outcome."""
        handed = [Handed(event) for event in events]
        with self._changed:
            self._queue.extend(handed)
            self._changed.notify()
        for each in handed:
            each.done.wait()
        return handed

    def run(self) -> None:
        """The writer's loop (one green thread per process), until ``stop`` and nothing
        is left waiting."""
        while True:
            with self._changed:
                while not self._queue and not self._stopping:
                    self._changed.wait()
                if not self._queue:
                    return
            self.write_waiting()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()

    def write_waiting(self) -> int:
        """Apply what is waiting now (up to ``limit``) as one batch; how many it was."""
        with self._changed:
            batch = [self._queue.popleft() for _ in range(min(self.limit, len(self._queue)))]
        if batch:
            self._write(batch)
        return len(batch)

    def _write(self, batch: list[Handed]) -> None:
        try:
            outcomes = apply_all_once(self.database, [w.event for w in batch],
                                      self.project_all)
        except Exception as error:
            self.fallbacks += 1
            log.warning("a batch of %d events failed (%r); applying them one by one",
                        len(batch), error)
            for waiting in batch:
                try:
                    applied = apply_once(self.database, waiting.event, self.project_one)
                except Exception as alone:
                    waiting.finish(False, alone)
                else:
                    waiting.finish(applied)
            return
        self.batches += 1
        if self.observe is not None:
            self.observe(len(batch))
        for waiting, applied in zip(batch, outcomes, strict=True):
            waiting.finish(applied)
