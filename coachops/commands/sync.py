"""Offline sync: a batch of the commands a coach's app queued while it had no network.

Each item names one coach-app command, the id the app gave it (``client_id``) and the
command's body, the same body its single route takes (the ids that route carries in its
URL, such as ``cycle_id``, may sit beside the body or in it). The gateway checks each
item against the command's own schema (``COMMANDS``) and sends each service its items in
batch order, in one call; the service applies them one by one, in that order, and answers
each as its single route would. A service layer that takes part (``Once.batch``) saves the
events of all the batch's items in one transaction at its end, instead of one per item.

Idempotency lives in the owning service, in the same transaction as the command's events
(``Once``): see ``services/cycles/domain.py`` and ``services/timetracking/domain.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from coachops.commands import load
from coachops.errors import CoachopsError
from coachops.identity import Actor
from coachops.json import Json
from coachops.routes import MAX_SYNC_ITEMS, SYNCED, Route
from coachops.routes import SyncBatch as SyncBatch  # where its users import it from
from coachops.routes import SyncItem as SyncItem

log = logging.getLogger(__name__)

MAX_ITEMS = MAX_SYNC_ITEMS
PATH_IDS = ("cycle_id", "item_id", "step_id", "entry_id")


# Named as the services' RPC methods are: what a coach does in a classroom, offline. Each
# is its route's row in the route table (its service, schema and success status).
COMMANDS: dict[str, Route] = SYNCED


_pending_events = attrgetter("pending_events")


@dataclass
class Batch:
    """The aggregates a batch's items changed, saved together once every item is decided
    (``apply_batch``): one transaction for the batch, the client ids remembered with the
    events as always. A service layer that takes part saves through ``collect`` and reads
    an aggregate the batch changed from ``changed``; one that does not saves as usual.

    ``read`` holds what the batch reads once and decides every item on (the category list,
    the coach's assignments), as of the batch's first read, as the CSV import does.

    ``checks`` say whether what a service layer read ahead for all the items at once (in
    place of a read per item) is still what the store holds: the batch is saved only if
    every check passes, else applied again item by item, so its answers are those the
    items' own reads would have given."""

    changed: dict[Hashable, Any] = field(default_factory=dict)  # by aggregate id
    read: dict[Hashable, Any] = field(default_factory=dict)
    save: Callable[..., Any] | None = None  # the owning application's
    checks: list[Callable[[], bool]] = field(default_factory=list)

    def collect(self, save: Callable[..., Any], *aggregates: Any) -> None:
        self.save = save
        for aggregate in aggregates:
            self.changed[aggregate.id] = aggregate

    def pending(self) -> int:
        """Events not saved yet: an item refused after it changed an aggregate would leave
        some behind, which the batch must then not save."""
        # Asked twice per item of up to 500, over every aggregate changed so far: in C.
        return sum(map(len, map(_pending_events, self.changed.values())))

    def unchanged(self) -> bool:
        """Whether everything the batch read ahead is still as it was read."""
        return all(check() for check in self.checks)

    def commit(self) -> None:
        if self.save is not None and self.changed:
            self.save(*self.changed.values())


@dataclass
class Once:
    """A command sent with the app's own id, to be applied once however often it is sent.
    The service layer sets ``duplicate`` when it finds the command applied already, and
    then answers what it answered the first time.

    ``loaded`` is shared by the items of one batch: the aggregates the batch saved, as they
    were saved, so that its next item on the same cycle or day starts from there instead
    of replaying its history again (a batch may add hundreds of events to one cycle). A
    service layer takes an aggregate out, and puts it back only once it is saved; another
    worker's write in between still fails that save and the item is decided again.

    ``batch``, when set, is where the item's changes go instead of a transaction of its
    own (``Batch``)."""

    client_id: UUID
    sender_id: UUID
    command: str = ""  # its name in ``COMMANDS``: one client id is one command
    duplicate: bool = False
    loaded: dict[Hashable, Any] = field(default_factory=dict)
    batch: Batch | None = None


def failed() -> Json:
    """A fault of ours, not the coach's: the item is not applied, the app sends it again."""
    return {"outcome": "rejected", "status": 500,
            "body": {"error": "internal error",
                     "message": "the command failed; it has been logged"}}


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


def apply_batch(sender: Actor, items: list[Json], handlers: Mapping[str, Handler],
                prepare: Callable[[Batch], None] | None = None) -> list[Json]:
    """A service's items of a batch, applied one after the other in the order given, each
    answered: accepted, duplicate or rejected. Their changes are saved in one transaction
    at the end (``Batch``); if another worker changed one of the same aggregates meanwhile
    (the save conflicts, or a read made ahead is no longer current), or an item was refused
    half-way through a change, the batch is applied again from the store item by item,
    each in its own transaction, as the single routes would.

    ``prepare``, when given, is called with the batch before its first item: a service
    layer reads there, in one go, what its items would each read (``Batch.checks``)."""
    batch = Batch()
    if prepare is not None:
        prepare(batch)
    answers = apply_items(sender, items, handlers, batch)
    if answers is not None:
        try:
            if batch.unchanged():
                batch.commit()
                return answers
            log.info("what a batch of %d items read ahead changed meanwhile; applying them "
                     "one by one", len(items))
        except IntegrityError:
            log.info("a batch of %d items conflicted with another write; applying them one "
                     "by one", len(items))
        except Exception:
            # Nothing of the batch was saved: every item the app must send again says so.
            log.exception("saving a batch of %d items failed", len(items))
            return [failed() if answer["outcome"] == "accepted" else answer
                    for answer in answers]
    loaded: dict[Hashable, Any] = {}
    return [apply_one(sender, item, handlers, loaded) for item in items]


def apply_items(sender: Actor, items: list[Json], handlers: Mapping[str, Handler],
                batch: Batch) -> list[Json] | None:
    """Every item decided into ``batch``; None if one refused item left a change behind."""
    loaded: dict[Hashable, Any] = {}
    answers = []
    for item in items:
        before = batch.pending()
        answer = apply_one(sender, item, handlers, loaded, batch)
        if answer["outcome"] == "rejected" and batch.pending() != before:
            log.warning("a refused item left changes behind; applying the batch one by one")
            return None
        answers.append(answer)
    return answers


def apply_one(sender: Actor, item: Json, handlers: Mapping[str, Handler],
              loaded: dict[Hashable, Any] | None = None, batch: Batch | None = None) -> Json:
    try:
        name = item["command"]
        once = Once(UUID(str(item["client_id"])), sender.id, command=name,
                    loaded={} if loaded is None else loaded, batch=batch)
        handler, command = handlers[name], COMMANDS[name]
    except (KeyError, TypeError, ValueError):
        return rejected(CoachopsError("not a command this service applies",
                                      field="command"))
    try:
        return answered(once, command.status, handler(sender, load(
            command.command_schema, item.get("body")), once))
    except CoachopsError as error:
        return rejected(error)
    except Exception:
        log.exception("synced command %s (%s) failed", name, once.client_id)
        return failed()
