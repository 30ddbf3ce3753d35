"""Offline sync: a batch of the commands a coach's app queued while it had no network.

Each item names one coach-app command, the id the app gave it (``client_id``) and the
command's body, the same body its single route takes (the ids that route carries in its
URL, such as ``cycle_id``, may sit beside the body or in it). The gateway checks each
item against the command's own schema (``COMMANDS``) and sends each service its items in
batch order, in one call; the service applies them one by one, in that order, and answers
each as its single route would.

Idempotency lives in the owning service, in the same transaction as the command's events
(``Once``): see ``services/cycles/domain.py`` and ``services/timetracking/domain.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from marshmallow import fields, validate

from coachops.commands import Command, load
from coachops.commands import cycles as cycle_commands
from coachops.commands import timetracking as time_commands
from coachops.errors import CoachopsError
from coachops.identity import Actor

log = logging.getLogger(__name__)

MAX_ITEMS = 500
PATH_IDS = ("cycle_id", "item_id", "step_id", "entry_id")

Json = dict[str, Any]


@dataclass(frozen=True)
class SyncedCommand:
    """A command an app may send in a batch: the service that owns it, the schema its
    single route checks, and the status that route answers when it succeeds."""

    service: str
    schema: type[Command]
    status: int = 200


# Named as the services' RPC methods are: what a coach does in a classroom, offline.
COMMANDS: dict[str, SyncedCommand] = {
    "start_cycle": SyncedCommand("cycles", cycle_commands.StartCycle, 201),
    "schedule_item": SyncedCommand("cycles", cycle_commands.ScheduleItem, 201),
    "mark_item_done": SyncedCommand("cycles", cycle_commands.MarkItemDone),
    "log_observation": SyncedCommand("cycles", cycle_commands.LogObservation, 201),
    "hold_debrief": SyncedCommand("cycles", cycle_commands.HoldDebrief, 201),
    "add_next_step": SyncedCommand("cycles", cycle_commands.AddNextStep, 201),
    "complete_next_step": SyncedCommand("cycles", cycle_commands.CompleteNextStep),
    "record_time_entry": SyncedCommand("timetracking", time_commands.RecordTimeEntry, 201),
    "correct_time_entry": SyncedCommand("timetracking", time_commands.CorrectTimeEntry),
    "void_time_entry": SyncedCommand("timetracking", time_commands.VoidTimeEntry),
}


class SyncItem(Command):
    """One queued command; ``body`` is checked afterwards with the command's own schema."""

    client_id = fields.UUID(required=True)
    command = fields.Str(required=True, validate=validate.OneOf(sorted(COMMANDS)))
    body = fields.Dict(keys=fields.Str(), load_default=dict)
    # Left as sent: the command's schema checks them, with the body.
    cycle_id = fields.Raw()
    item_id = fields.Raw()
    step_id = fields.Raw()
    entry_id = fields.Raw()


class SyncBatch(Command):
    """Checked as a whole for its size only, so that one bad item never refuses the rest."""

    items = fields.List(fields.Raw(), required=True,
                        validate=validate.Length(min=1, max=MAX_ITEMS))


@dataclass
class Once:
    """A command sent with the app's own id, to be applied once however often it is sent.
    The service layer sets ``duplicate`` when it finds the command applied already, and
    then answers what it answered the first time.

    ``loaded`` is shared by the items of one batch: the aggregates the batch saved, as they
    were saved, so that its next item on the same cycle or day starts from there instead
    of replaying its history again (a batch may add hundreds of events to one cycle). A
    service layer takes an aggregate out, and puts it back only once it is saved; another
    worker's write in between still fails that save and the item is decided again."""

    client_id: UUID
    sender_id: UUID
    command: str = ""  # its name in ``COMMANDS``: one client id is one command
    duplicate: bool = False
    loaded: dict[Hashable, Any] = field(default_factory=dict)


def answered(once: Once, status: int, body: Json) -> Json:
    return {"outcome": "duplicate" if once.duplicate else "accepted", "status": status,
            "body": body}


def rejected(error: CoachopsError) -> Json:
    """A refused command, with the status and body its single route would answer."""
    body = error.to_dict()
    if error.field:
        body["fields"] = [{"field": error.field, "reason": error.message}]
    return {"outcome": "rejected", "status": error.status, "body": body}


Handler = Callable[[Actor, Json, Once], Json]


def apply_batch(sender: Actor, items: list[Json], handlers: Mapping[str, Handler]) -> list[Json]:
    """A service's items of a batch, applied one after the other in the order given (each
    in its own transaction), each answered: accepted, duplicate or rejected."""
    loaded: dict[Hashable, Any] = {}
    return [apply_one(sender, item, handlers, loaded) for item in items]


def apply_one(sender: Actor, item: Json, handlers: Mapping[str, Handler],
              loaded: dict[Hashable, Any] | None = None) -> Json:
    try:
        name = item["command"]
        once = Once(UUID(str(item["client_id"])), sender.id, command=name,
                    loaded={} if loaded is None else loaded)
        handler, command = handlers[name], COMMANDS[name]
    except (KeyError, TypeError, ValueError):
        return rejected(CoachopsError("not a command this service applies",
                                      field="command"))
    try:
        return answered(once, command.status, handler(sender, load(command.schema,
                                                                   item.get("body")), once))
    except CoachopsError as error:
        return rejected(error)
    except Exception:
        # A fault of ours, not the coach's: the item is not applied, the app sends it again.
        log.exception("synced command %s (%s) failed", name, once.client_id)
        return {"outcome": "rejected", "status": 500,
                "body": {"error": "internal error",
                         "message": "the command failed; it has been logged"}}
