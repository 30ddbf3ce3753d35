"""A per-process cache of aggregates that commands only read and hardly ever change,
brought up to date from the store before every use (``ReadCache``)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InterfaceError, OperationalError

from coachops.store import PostgresAggregateRecorder

log = logging.getLogger(__name__)


class ReadCache:
    """Aggregates kept between commands that only read them, each brought up to date
    before every use: a read of the events after the kept version, which is empty unless
    someone changed it, in place of a reload and a replay of every event.

    So a command decides on what the store holds when it asks, exactly as a reload would
    give (another process's change included). Kept aggregates are shared by the process's
    workers and must not be changed: a command that changes one loads its own
    (``Repository.get``) and saves it under optimistic concurrency.

    ``read`` brings several up to date, and loads others whole, in one statement: every
    store read is a few round trips, which is what a command's reads cost, not the replay.
    """

    def __init__(self, repository: Repository[UUID], maxsize: int = 20_000) -> None:
        self.repository = repository
        self.maxsize = maxsize
        self.kept: OrderedDict[UUID, Aggregate] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored now (read only); AggregateNotFoundError if it is not."""
        found = self.read([aggregate_id])
        if aggregate_id not in found:
            raise AggregateNotFoundError(aggregate_id)
        return found[aggregate_id]

    def read(self, kept: Sequence[UUID], whole: Sequence[UUID] = ()) -> dict[UUID, Any]:
        """``kept`` aggregates through the cache (read only) and ``whole`` ones loaded from
        their first event and not kept (a command's own, to change), in one read of the
        store; the ones not stored are missing from the answer."""
        before = {i: self.kept.get(i) for i in kept}  # as they were when asked
        after = {i: 0 if k is None else k.version for i, k in before.items()}
        after.update((i, 0) for i in whole)
        events = self._events_after(after)
        found: dict[UUID, Any] = {}
        for aggregate_id, known in before.items():
            current = self._brought_up_to_date(aggregate_id, known, events[aggregate_id])
            if current is not None:
                found[aggregate_id] = current
        for aggregate_id in whole:
            if events[aggregate_id]:
                found[aggregate_id] = project_aggregate(None, events[aggregate_id])
        return found

    def saved(self, aggregate: Aggregate) -> None:
        """An aggregate this process has just saved: as current as a load would be."""
        self._keep(aggregate)

    def _brought_up_to_date(self, aggregate_id: UUID, known: Aggregate | None,
                            newer: list[Any]) -> Aggregate | None:
        if known is None:
            return self._keep(_projected(None, newer)) if newer else None
        if not newer:
            if aggregate_id in self.kept:
                self.kept.move_to_end(aggregate_id)
            return known
        # Onto a copy: other workers may be reading the kept one (or bringing it up to
        # date themselves, from the same version).
        current = _projected(deepcopy(known), newer)
        now_kept = self.kept.get(aggregate_id)
        if now_kept is None or now_kept.version < current.version:
            self._keep(current)
        return current

    def _events_after(self, after: dict[UUID, int]) -> dict[UUID, list[Any]]:
        """The domain events of each aggregate after its version: in one statement on the
        PostgreSQL store, else (or when that fails) one read each, as the library makes it
        (which retries a lost connection)."""
        store = self.repository.event_store
        recorder = store.recorder
        if len(after) > 1 and isinstance(recorder, PostgresAggregateRecorder):
            try:
                stored = recorder.select_events_after(after)
            except (OperationalError, InterfaceError):
                log.info("one read of %d aggregates failed; reading each", len(after),
                         exc_info=True)
            else:
                return {i: [store.mapper.to_domain_event(e) for e in events]
                        for i, events in stored.items()}
        return {i: list(store.get(i, gt=version)) for i, version in after.items()}

    def _keep(self, aggregate: Aggregate) -> Aggregate:
        self.kept[aggregate.id] = aggregate
        self.kept.move_to_end(aggregate.id)
        while len(self.kept) > self.maxsize:
            self.kept.popitem(last=False)
        return aggregate


def _projected(known: Aggregate | None, newer: list[Any]) -> Aggregate:
    """``project_aggregate`` of events that follow ``known`` (or create the aggregate)."""
    aggregate = project_aggregate(known, newer)
    assert aggregate is not None  # only a discarding event leaves none, and ours never discard
    return aggregate
