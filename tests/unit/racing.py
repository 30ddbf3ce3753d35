"""Another worker writing between a command's read and its save, on the library's in-memory
persistence: what two workers acting on the same aggregate at once look like."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from coachops.errors import Conflict
from coachops.unit_of_work import UnitOfWork

Race = Callable[[uuid.UUID], None]


class RacingUnit(UnitOfWork):
    """Calls ``race`` with each aggregate id just after the unit first reads it."""

    def __init__(self, app: Application[uuid.UUID], conflict: Conflict | None,
                 race: Race) -> None:
        super().__init__(app, conflict)
        self.race = race
        self.seen: set[uuid.UUID] = set()

    def _found(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        found = super()._found(aggregate_id)
        if aggregate_id not in self.seen:
            self.seen.add(aggregate_id)
            self.race(aggregate_id)
        return found

    def _begin(self) -> None:
        super()._begin()
        self.seen.clear()


def racing(app: Any, race: Race) -> None:
    """Every unit of work of ``app`` from now on races (``RacingUnit``)."""
    app.work = lambda conflict=None: RacingUnit(app, conflict, race)
