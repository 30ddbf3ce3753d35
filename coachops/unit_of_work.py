"""One unit of work: what a command, or a coach's whole offline batch, reads and changes,
saved in one transaction.

An aggregate is read once per unit and is then the same object for the rest of it (an
identity map), looked for in this order: among the aggregates the unit changed already,
among those it read ahead (many in one statement, ``read_ahead``), then in the application's
repository, which keeps aggregates between units and brings a kept one up to date from the
store before handing out a copy (the library's ``AGGREGATE_CACHE_MAXSIZE`` and
``AGGREGATE_CACHE_FASTFORWARD``). ``commit`` saves everything the unit changed at once.

``run`` decides again from the store, in a fresh unit, when another worker saved one of the
same aggregates first (optimistic concurrency), and answers ``Conflict`` (409) when it keeps
losing.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar, cast, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)

from coachops.errors import Conflict, NotFound

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.02


class NotStored:
    """The marker of an aggregate read and known not to be stored (yet)."""

    def __repr__(self) -> str:
        return "NOT_STORED"


NOT_STORED: Final = NotStored()


@dataclass(frozen=True)
class Once:
    """A command sent with an id of the sender's own (the app's client id, or the RPC
    request's), to be applied once however often it is sent: the aggregate it changes
    remembers the id with the command's events, and a second sending answers what the
    first did (``Answer.duplicate``)."""

    client_id: UUID
    sender_id: UUID
    command: str = ""  # one client id is one command


@dataclass(frozen=True)
class Answer(Generic[T]):
    """What a command answers, and whether it was applied already (sent again)."""

    result: T
    duplicate: bool = False


@runtime_checkable
class ReadsMany(Protocol):
    """A recorder that reads the events of several aggregates in one statement."""

    def select_events_after(self, after: Mapping[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        ...


class UnitOfWork:
    """``checked``: the commit also makes sure that what the unit read and did not change
    is still as it was read (a batch decides many items on what it read ahead, and must
    answer as if each item had read for itself); if not, it is decided again."""

    def __init__(self, app: Application[UUID], conflict: Conflict | None = None,
                 checked: bool = False) -> None:
        self.app = app
        self.checked = checked
        self.conflict = conflict or Conflict(
            "the same records were changed at the same moment, several times over; "
            "send it again")
        self.changed: dict[UUID, Aggregate] = {}
        self.read: dict[UUID, Aggregate | NotStored] = {}
        self.past: dict[UUID, Aggregate] = {}  # as of an earlier version (``as_of``)
        self.used: dict[UUID, int] = {}  # what was read, at the version read (0: not stored)
        # Since ``mark``: the pending events of what the unit held under each id it handed
        # out or took in, as they were when it first did (None: not marked).
        self.marked: dict[UUID, int] | None = None
        self.committed = False

    # Reading -------------------------------------------------------------------------------

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate, or None when it is not stored (or is not a ``kind``)."""
        found = self._found(aggregate_id)
        return found if isinstance(found, kind) else None

    def get(self, aggregate_id: UUID, kind: type[A], missing: NotFound | None = None) -> A:
        """The aggregate; ``missing`` (a NotFound) when it is not stored."""
        found = self.find(aggregate_id, kind)
        if found is None:
            raise missing or NotFound(f"there is no {kind.__name__} {aggregate_id}")
        return found

    def _found(self, aggregate_id: UUID) -> Aggregate | None:
        self._note(aggregate_id)
        changed = self.changed.get(aggregate_id)
        if changed is not None:
            return changed
        read = self.read.get(aggregate_id)
        if read is None:
            try:
                read = self._load(aggregate_id)
            except AggregateNotFoundError:
                read = NOT_STORED
            self.read[aggregate_id] = read
        if isinstance(read, NotStored):
            self.used.setdefault(aggregate_id, 0)
            return None
        self.used.setdefault(aggregate_id, read.version)
        return read

    def _load(self, aggregate_id: UUID) -> Aggregate:
        """From the repository: the unit's own copy of what its cache keeps (only some
        kinds are kept, and copying the others would be wasted)."""
        repository = self.app.repository
        aggregate: Aggregate = repository.get(aggregate_id, deepcopy_from_cache=False)
        return self._own(aggregate)

    def _own(self, aggregate: Aggregate) -> Aggregate:
        """A copy of the aggregate if the repository's cache keeps it (other units read
        the kept one), else the aggregate itself."""
        cache = self.app.repository.cache
        if cache:
            try:
                kept = cache.get(aggregate.id)
            except KeyError:
                kept = None
            if kept is aggregate:
                return deepcopy(aggregate)
        return aggregate

    def read_ahead(self, ids: Iterable[UUID]) -> None:
        """Read the aggregates a unit will need, in one statement where the store can:
        those the repository keeps are brought up to date, the others read whole. If the
        read fails, each is read when first needed, as without it."""
        wanted = [i for i in dict.fromkeys(ids)
                  if i not in self.read and i not in self.changed]
        if len(wanted) < 2:
            return
        cache = self.app.repository.cache
        kept: dict[UUID, Aggregate | None] = {}
        for aggregate_id in wanted:
            try:
                kept[aggregate_id] = cast(Aggregate, cache.get(aggregate_id)) if cache else None
            except KeyError:
                kept[aggregate_id] = None
        try:
            stored = self._events_after(
                {i: 0 if k is None else k.version for i, k in kept.items()})
        except (OperationalError, InterfaceError):
            log.info("one read of %d aggregates failed; reading each", len(wanted),
                     exc_info=True)
            return
        to_domain_event = self.app.mapper.to_domain_event
        for aggregate_id, known in kept.items():
            self._note(aggregate_id)
            newer = [to_domain_event(e) for e in stored.get(aggregate_id, ())]
            self.read[aggregate_id] = self._brought_up_to_date(known, newer)

    def _events_after(self, after: Mapping[UUID, int]) -> Mapping[UUID, list[StoredEvent]]:
        """The stored events of each aggregate after its version: in one statement where
        the recorder can (PostgreSQL), else one read each (the library's in-memory one)."""
        recorder = self.app.recorder
        if isinstance(recorder, ReadsMany):
            return recorder.select_events_after(after)
        return {i: list(recorder.select_events(i, gt=v)) for i, v in after.items()}

    def _brought_up_to_date(self, known: Aggregate | None,
                            newer: list[Any]) -> Aggregate | NotStored:
        cache = self.app.repository.cache
        if known is None:
            read = project_aggregate(None, newer) if newer else None
            if read is None:
                return NOT_STORED
            if cache:  # kept if it is of a kind the cache keeps
                cache.put(read.id, read)
            return self._own(read)
        # The kept one is brought forward in place, as the library's own fast-forward does
        # (another unit may have done part of it meanwhile), and this unit changes a copy.
        newer = [e for e in newer if e.originator_version > known.version]
        if newer:
            project_aggregate(known, newer)
        return deepcopy(known)

    def as_of(self, aggregate_id: UUID, version: int) -> Any:
        """The aggregate at an earlier version (what a command sent again answers). Asked
        for rising versions of one aggregate (a batch sent again), the last one is carried
        forward rather than replayed from its start each time."""
        past = self.past.get(aggregate_id)
        if past is not None and past.version <= version:
            project_aggregate(past, self.app.events.get(aggregate_id, gt=past.version,
                                                        lte=version))
        else:
            past = self.app.repository.get(aggregate_id, version=version)
        self.past[aggregate_id] = past
        return past

    # Changing ------------------------------------------------------------------------------

    def add(self, *aggregates: Aggregate) -> None:
        """New or changed aggregates, saved at ``commit``; later reads in the unit find
        them as they are now."""
        for aggregate in aggregates:
            self._note(aggregate.id)
            self.changed[aggregate.id] = aggregate
            self.read.pop(aggregate.id, None)

    def pending(self) -> int:
        """Events not saved yet on everything the unit holds: a command refused half-way
        through a change leaves some behind."""
        held = [*self.changed.values(),
                *(a for a in self.read.values() if not isinstance(a, NotStored))]
        return sum(len(a.pending_events) for a in held)

    def mark(self) -> None:
        """From here on, note what the unit hands out and takes in, for
        ``pending_since_mark`` (a batch marks before each item)."""
        self.marked = {}

    def pending_since_mark(self) -> int:
        """What ``pending()`` says now less what it said at ``mark``, looking only at the
        aggregates the unit handed out or took in since: the others are held as they were
        (a command reaches an aggregate only through its unit). A batch asks after each
        item, so the work is the item's aggregates, not all its items' (``pending()`` is
        every aggregate the batch holds: asked per item, it grows with the square of the
        batch)."""
        if self.marked is None:
            raise RuntimeError("pending_since_mark without mark")
        return sum(self._pending_of(i) - before for i, before in self.marked.items())

    def _note(self, aggregate_id: UUID) -> None:
        if self.marked is not None and aggregate_id not in self.marked:
            self.marked[aggregate_id] = self._pending_of(aggregate_id)

    def _pending_of(self, aggregate_id: UUID) -> int:
        """The events not saved yet of what the unit holds under the id (as ``pending()``
        counts them)."""
        pending = 0
        changed = self.changed.get(aggregate_id)
        if changed is not None:
            pending += len(changed.pending_events)
        read = self.read.get(aggregate_id)
        if read is not None and not isinstance(read, NotStored):
            pending += len(read.pending_events)
        return pending

    def commit(self) -> None:
        """Everything the unit changed, saved in one transaction of the recorder."""
        if self.checked:
            self._check_reads()
        if self.changed:
            self.app.save(*self.changed.values())
            cache = self.app.repository.cache
            if cache:  # as current as a load would be: the next unit starts from it
                for aggregate in self.changed.values():
                    cache.put(aggregate.id, aggregate)
        self.committed = True

    def _check_reads(self) -> None:
        read = {i: v for i, v in self.used.items() if i not in self.changed}
        if not read:
            return
        try:
            newer = self._events_after(read)
        except (OperationalError, InterfaceError):
            log.warning("checking what a unit read failed; deciding it again", exc_info=True)
            newer = {i: [StoredEvent(i, 0, "", b"")] for i in read}  # not known: changed
        if any(newer.values()):
            raise IntegrityError("what the unit read was changed meanwhile")

    def run(self, attempt: Callable[[UnitOfWork], T]) -> T:
        """``attempt`` decided and committed in this unit; decided again from the store
        when another worker saved first, and ``conflict`` when that keeps happening. The
        random pause grows each time so racers stop colliding in step (green under
        eventlet: it pauses this worker only)."""
        for number in range(1, ATTEMPTS + 1):
            self._begin()
            try:
                result = attempt(self)
                self.commit()
                return result
            except IntegrityError:
                log.info("%s lost a race to save (attempt %d of %d); deciding again",
                         self.app.name, number, ATTEMPTS)
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * number))
        raise self.conflict

    def _begin(self) -> None:
        self.changed.clear()
        self.read.clear()
        self.past.clear()
        self.used.clear()
        self.marked = None
        self.committed = False
