"""A roster import district IT has asked for, kept in this service's store while it runs in
the background and after: queued, running (how many rows of the files are compared with the
store), then done with what it changed or failed with why.

``Done`` is saved in the same transaction as the roster's changes, so an import is done
exactly when its changes are in the store; an import whose process stopped before that
changed nothing, and is failed with the reason (``services.agreements.roster_app``). What it
changed is kept by sourcedIds and codes: names are personal and stay on ``Person``.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from coachops.aggregate import Aggregate
from services.agreements.roles import FromTheLog


class RosterImport(Aggregate):
    @event("Queued")
    def __init__(self, requested_by: UUID, effective_on: date) -> None:
        self.requested_by = requested_by
        self.effective_on = effective_on
        self.rows = 0  # of the files, once they are read
        self.rows_done = 0
        self.started = False
        self.changes: dict[str, Any] | None = None
        self.reason: str | None = None
        self.errors: list[dict[str, Any]] = []

    @event("Started")
    def start(self, rows: int) -> None:
        self.started = True
        self.rows = rows

    @event("Progressed")
    def _progressed(self, rows_done: int) -> None:
        self.rows_done = rows_done

    def progress(self, rows_done: int) -> None:
        if self.is_open and rows_done > self.rows_done:
            self._progressed(min(rows_done, self.rows))

    @event("Done")
    def _done(self, changes: dict[str, Any]) -> None:
        self.changes = changes
        self.rows_done = self.rows

    def finish(self, changes: dict[str, Any]) -> None:
        if self.is_open:
            self._done(changes)

    @event("Failed")
    def _failed(self, reason: str, errors: list[dict[str, Any]]) -> None:
        self.reason = reason
        self.errors = errors

    def fail(self, reason: str, errors: list[dict[str, Any]] | None = None) -> None:
        """Failed for ``reason`` (and each problem of the files, as ``{file, line, field,
        reason}``); an import that is over stays as it ended."""
        if self.is_open:
            self._failed(reason, errors or [])

    @property
    def is_open(self) -> bool:
        return self.changes is None and self.reason is None

    @property
    def state(self) -> str:
        if self.changes is not None:
            return "done"
        if self.reason is not None:
            return "failed"
        return "running" if self.started else "queued"


class OpenImports(FromTheLog):
    """The imports not over yet, kept in the process from the notification log: those a
    process that stopped left open are found here when this one starts."""

    topics = [get_topic(e) for e in (RosterImport.Queued, RosterImport.Done,
                                      RosterImport.Failed)]

    def __init__(self, app: Application[UUID]) -> None:
        super().__init__(app)
        self.open: set[UUID] = set()

    def _apply(self, event: Any, position: int) -> None:
        if isinstance(event, RosterImport.Queued):
            self.open.add(event.originator_id)
        else:
            self.open.discard(event.originator_id)

    def now(self) -> set[UUID]:
        self.catch_up()
        return set(self.open)
