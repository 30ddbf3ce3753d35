"""The base of every service's eventsourcing application."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from eventsourcing.application import Application, ProcessingEvent, Recording
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from coachops import faults, metrics
from coachops.errors import Conflict
from coachops.identity import Actor, Role

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


class ServiceApplication(Application):
    """An eventsourcing application stored in PostgreSQL through ``coachops.store``.

    Each service names its own application class; the class name prefixes its tables,
    and ``DATABASE_URL`` (or ``<NAME>_DATABASE_URL``) says which database holds them.
    """

    env = {"PERSISTENCE_MODULE": "coachops.store"}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(ActorAsDict())

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
