"""Where an entry is now: which coach's day holds it, and the commands apps sent for it."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from coachops.aggregate import Aggregate
from coachops.errors import Conflict


class EntryLocation(Aggregate):
    """Which coach's day holds an entry now, so an entry is found by its id alone."""

    __module__ = "services.timetracking.domain"  # the topic its stored events name

    @staticmethod
    def create_id(entry_id: UUID) -> UUID:
        return entry_id

    @event("Placed")
    def __init__(self, entry_id: UUID, coach_id: UUID, worked_on: date,
                 client_id: UUID | None = None, command: str | None = None) -> None:
        """``client_id``, ``command``: the app's command that placed it, in this event
        rather than one of its own (entries placed before it was kept have neither, and
        a ``ClientCommandApplied`` after)."""
        self.coach_id = coach_id
        self.worked_on = worked_on
        # client id -> command, of those sent from apps
        self.applied: dict[UUID, str] = {}
        if client_id is not None and command is not None:
            self.applied[client_id] = command

    @event("Moved")
    def move(self, worked_on: date) -> None:
        self.worked_on = worked_on

    def remember(self, client_id: UUID, command: str) -> None:
        """Saved with the events of the command an app sent, in one transaction."""
        if client_id in self.applied:
            raise ValueError(f"command {client_id} is already applied to this entry")
        self._client_command_applied(client_id=client_id, command=command)

    def applied_before(self, client_id: UUID, command: str) -> bool:
        """Whether the entry has this command already. A client id names one command:
        reused for another is a conflict."""
        if client_id not in self.applied:
            return False
        if self.applied[client_id] != command:
            raise Conflict(f"the id {client_id} was given to another command already:"
                           " give each command an id of its own", field="client_id")
        return True

    @event("ClientCommandApplied")
    def _client_command_applied(self, client_id: UUID, command: str) -> None:
        self.applied[client_id] = command
