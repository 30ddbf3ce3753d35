"""The base of every service's eventsourcing application."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Recording,
    Transcoding,
)

from coachops import faults, metrics
from coachops.errors import Conflict
from coachops.identity import Actor, Role
from coachops.privacy import Personal, master
from coachops.privacy.keys import Keys, MemoryKeys, PostgresKeys
from coachops.privacy.sealing import SealedAsDict, SealingMapper

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.02


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


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

    env = {"PERSISTENCE_MODULE": "coachops.store"}

    # What the service's events hold that is personal, by event class (``coachops.privacy``):
    # sealed with keys kept in the same database (wrapped by the district's master key,
    # which is in none), destroyed to forget a person.
    personal_data: ClassVar[Mapping[type, Personal]] = {}
    keys: Keys

    def construct_mapper(self) -> Mapper[UUID]:
        datastore = getattr(self.factory, "datastore", None)
        if datastore is None:  # the library's in-memory persistence, in unit tests
            self.keys = MemoryKeys()
        else:
            keys = PostgresKeys(datastore, master.from_environment())
            keys.create_tables()
            self.keys = keys
        return SealingMapper(self.construct_transcoder(), self.keys, self.personal_data)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
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

    def retrying(self, attempt: Callable[[], T], conflict: Conflict) -> T:
        """Run a whole command (load, decide, save) again when another worker saved the
        same aggregate first (optimistic concurrency); ``conflict`` (409) when it keeps
        losing. The random pause grows each time, so racers stop colliding in step
        (green under eventlet: it pauses this worker only)."""
        for number in range(1, ATTEMPTS + 1):
            try:
                return attempt()
            except IntegrityError:
                log.info("%s lost a race to save (attempt %d of %d); deciding again",
                         self.name, number, ATTEMPTS)
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * number))
        raise conflict
