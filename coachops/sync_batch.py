"""Offline sync, applied in a service: a service's items of a coach's batch, in one unit of
work (``coachops.unit_of_work``).

The items are applied one after the other in the order given, each decided on what the
items before it changed, each answered as its single route would (accepted, duplicate or
rejected), and all their changes saved in one commit at the end, with their client ids.
If that keeps losing the race to another worker's write, or an item was refused half-way
through a change, the batch is applied again item by item, each in a unit of its own, as
the single routes would.

The request side (the items' schemas, ``COMMANDS``) is ``coachops.commands.sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from uuid import UUID

from coachops.commands import load
from coachops.commands.sync import COMMANDS
from coachops.errors import CoachopsError, Conflict
from coachops.identity import Actor
from coachops.json import Json
from coachops.unit_of_work import Answer, Once, UnitOfWork

log = logging.getLogger(__name__)

# A synced command: the sender, its body, its client id, and the batch's unit of work to
# decide in (None: a unit of its own, committed before it answers).
Handler = Callable[[Actor, Json, Once, UnitOfWork | None], Answer[Json]]


class LeftChanges(Exception):
    """An item was refused after it changed an aggregate: the batch must not save it."""


def failed() -> Json:
    """A fault of ours, not the coach's: the item is not applied, the app sends it again."""
    return {"outcome": "rejected", "status": 500,
            "body": {"error": "internal error",
                     "message": "the command failed; it has been logged"}}


def rejected(error: CoachopsError) -> Json:
    """A refused command, with the status and body its single route would answer."""
    body = error.to_dict()
    if error.field:
        body["fields"] = [{"field": error.field, "reason": error.message}]
    return {"outcome": "rejected", "status": error.status, "body": body}


def apply_batch(unit: UnitOfWork, sender: Actor, items: list[Json],
                handlers: Mapping[str, Handler],
                prepare: Callable[[UnitOfWork], None] | None = None) -> list[Json]:
    """Every item answered, in the order given. ``prepare``, when given, is called with the
    unit before the first item: a service layer reads there, in one go, what its items
    would each read (``UnitOfWork.read_ahead``)."""
    answers: list[Json] = []
    unit.checked = True  # answered as if each item had read for itself (``UnitOfWork``)

    def attempt(unit: UnitOfWork) -> list[Json]:
        answers.clear()
        if prepare is not None:
            prepare(unit)
        for item in items:
            unit.mark()  # what the item changes, counted on its own aggregates only
            answer = apply_one(sender, item, handlers, unit)
            if answer["outcome"] == "rejected" and unit.pending_since_mark() != 0:
                raise LeftChanges()
            answers.append(answer)
        return answers

    try:
        return unit.run(attempt)
    except LeftChanges:
        log.warning("a refused item left changes behind; applying the batch one by one")
    except Conflict:
        log.info("a batch of %d items kept conflicting with other writes; applying them "
                 "one by one", len(items))
    except Exception:
        # Nothing of the batch was saved: every item the app must send again says so.
        log.exception("saving a batch of %d items failed", len(items))
        if len(answers) == len(items):
            return [failed() if answer["outcome"] == "accepted" else answer
                    for answer in answers]
        return [failed() for _ in items]
    return [apply_one(sender, item, handlers, None) for item in items]


def apply_one(sender: Actor, item: Json, handlers: Mapping[str, Handler],
              unit: UnitOfWork | None) -> Json:
    try:
        name = item["command"]
        once = Once(UUID(str(item["client_id"])), sender.id, command=name)
        handler, command = handlers[name], COMMANDS[name]
    except (KeyError, TypeError, ValueError):
        return rejected(CoachopsError("not a command this service applies",
                                      field="command"))
    try:
        answer = handler(sender, load(command.command_schema, item.get("body")), once, unit)
    except CoachopsError as error:
        return rejected(error)
    except Exception:
        log.exception("synced command %s (%s) failed", name, once.client_id)
        return failed()
    return {"outcome": "duplicate" if answer.duplicate else "accepted",
            "status": command.status, "body": answer.result}
