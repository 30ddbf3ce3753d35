"""The base of every service's eventsourcing application."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from datetime import date, time
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application, LRUCache, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Recording,
    Transcoding,
)

from coachops import faults, metrics, settings
from coachops.errors import Conflict
from coachops.identity import Actor, Role
from coachops.privacy import Personal
from coachops.privacy.keys import Keys, MemoryKeys, PostgresKeys
from coachops.privacy.sealing import SealedAsDict, SealingMapper
from coachops.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")


class AsISO(Transcoding):
    """A date or a time of day in an event, as ISO 8601 text."""

    def __init__(self, kind: type[date] | type[time], name: str) -> None:
        self.type = self.kind = kind  # the transcoder's key; ``kind``, typed, parses
        self.name = name

    def encode(self, obj: date | time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date | time:
        return self.kind.fromisoformat(data)


class FieldsAsDict(Transcoding):
    """A dataclass value in an event (a cycle's goal, an entry's values), as a dict of its
    fields, each a value the transcoder knows."""

    def __init__(self, kind: type[Any], name: str) -> None:
        self.type = kind
        self.name = name

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, Any]:
        return {"id": obj.id, "role": obj.role.value}

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor(id=data["id"], role=Role(data["role"]))


class ServiceApplication(Application[UUID]):
    """An eventsourcing application stored in PostgreSQL through ``coachops.store``.

    Each service names its own application class; the class name prefixes its tables,
    and ``DATABASE_URL`` (or ``<NAME>_DATABASE_URL``) says which database holds them.
    """

    # The library's aggregate cache: a kept aggregate is brought up to date from the store
    # (fast-forward) before every use, and each use gets a copy of its own.
    env = {"PERSISTENCE_MODULE": "coachops.store", "AGGREGATE_CACHE_MAXSIZE": "20000",
           "AGGREGATE_CACHE_FASTFORWARD": "y"}

    # What is kept between commands: what they read often and hardly ever change. Never an
    # aggregate with personal data, which must not outlive the erasure of its keys.
    kept_between_commands: ClassVar[tuple[type[Aggregate], ...]] = ()

    # What the service's events hold that is personal, by event class (``coachops.privacy``):
    # sealed with keys kept in the same database (wrapped by the district's master key,
    # which is in none), destroyed to forget a person.
    personal_data: ClassVar[Mapping[type, Personal]] = {}
    keys: Keys

    def construct_repository(self) -> Repository[UUID]:
        repository = super().construct_repository()
        if not self.kept_between_commands:
            repository.cache = None  # nothing to keep: no copy of every aggregate read
        elif isinstance(repository.cache, LRUCache):
            repository.cache = KeptCache(repository.cache.maxsize, self.kept_between_commands)
        return repository

    def work(self, conflict: Conflict | None = None) -> UnitOfWork:
        """A unit of work on this application (``coachops.unit_of_work``)."""
        return UnitOfWork(self, conflict)

    def within(self, unit: UnitOfWork | None, decide: Callable[[UnitOfWork], T],
               conflict: Conflict | None = None) -> T:
        """``decide`` in the caller's unit of work (a batch's), saved with the rest of it;
        else in a unit of its own, committed, and decided again when it lost a race."""
        if unit is not None:
            return decide(unit)
        return self.work(conflict).run(decide)

    def construct_mapper(self) -> Mapper[UUID]:
        datastore = getattr(self.factory, "database", None)
        if datastore is None:  # the library's in-memory persistence, in unit tests
            self.keys = MemoryKeys()
        else:
            keys = PostgresKeys(datastore, settings.current().master_key)
            keys.create_tables()
            self.keys = keys
        return SealingMapper(self.construct_transcoder(), self.keys, self.personal_data)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(AsISO(date, "date_iso"))
        transcoder.register(ActorAsDict())
        transcoder.register(SealedAsDict())

    def erase(self, person_id: UUID, subjects: Iterable[UUID] = ()) -> int:
        """Destroy the keys of a person and of what else is about them here (a cycle they
        were in); the number destroyed. What was sealed with them reads as ``ERASED``."""
        destroyed = self.keys.erase(person_id, [person_id, *subjects])
        log.info("%s forgot person %s: %d keys destroyed", self.name, person_id, destroyed)
        return destroyed

    def erase_person(self, person_id: UUID) -> int:
        """What a service holds under the person's own key (a coach's notes); a service
        that keys other things by them (a cycle's content) erases those too."""
        return self.erase(person_id)

    def erased_people(self) -> list[UUID]:
        return self.keys.erased_people()

    def _record(self, processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
        recordings = super()._record(processing_event)  # committed once this returns
        for recording in recordings:
            metrics.EVENTS_RECORDED.labels(
                self.name, type(recording.domain_event).__qualname__).inc()
        faults.point("store.after_commit")  # a crash before the command's answer is sent
        return recordings


class KeptCache(LRUCache[UUID, Any]):
    """The library's cache, keeping only aggregates of the kinds given."""

    def __init__(self, maxsize: int, kinds: tuple[type[Aggregate], ...]) -> None:
        super().__init__(maxsize)
        self.kinds = kinds

    def put(self, key: UUID, value: Any | None) -> Any | None:
        if isinstance(value, self.kinds):
            return super().put(key, value)
        return None
