"""Offline sync: ``POST /sync`` takes the commands an app queued without a network (a
coach's, a teacher's or a principal's: each sends their own), up to 500 at once, and
answers each in order: accepted, duplicate (applied already under that client id, with the
first answer) or rejected (with the status and body its single route would give).

Each item is checked here against its command's row, as its single route checks it: its
roles (``gateway.policy``: a teacher's accept is refused from a coach) and its schema;
the items that pass go to their service in one call per service, in batch order, and
both services work at the same time. A service applies its items in that order, so the
items of one cycle (or one entry) keep theirs. Whether an item was applied before is the
owning service's to say, recorded in the same transaction as the item's events: no cache
here could survive a restart, or be right while two gateways run. So when a service does
not answer (a 503 for the whole batch) after the other applied its items, the app simply
sends the batch again: what was applied comes back as duplicates.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError
from werkzeug import Request

from coachops.commands import field_errors
from coachops.commands.sync import COMMANDS, PATH_IDS, SyncBatch, SyncItem
from coachops.errors import CoachopsError
from coachops.identity import Actor
from coachops.json import Json
from coachops.sync_batch import rejected
from gateway.auth import actor_of
from gateway.http import http
from gateway.policy import authorise
from gateway.routes import validated, with_path

# A full batch of observations with long notes is larger than one command's 1 MiB.
MAX_SYNC_BYTES = 16 << 20
# One instance of each schema, reused: a batch checks up to 500 items.
ITEM = SyncItem()
SCHEMAS = {name: command.command_schema() for name, command in COMMANDS.items()}


def sync_body(request: Request) -> Any:
    """The batch's JSON body; 413, 415 or 400 (as werkzeug exceptions) otherwise."""
    request.max_content_length = MAX_SYNC_BYTES
    return request.get_json()


def checked(raw: Any, sender: Actor | None = None) -> tuple[str, Json]:
    """One item as its service receives it: ``(service, {client_id, command, body})``,
    the body checked with the command's own schema and the URL's ids put in it; Forbidden
    (403, naming ``role``) when its route is not for the ``sender``'s role."""
    item = ITEM.load(raw)
    if sender is not None:
        row = COMMANDS[item["command"]]
        authorise(sender, row.method, row.rule)
    path = {name: item[name] for name in PATH_IDS if name in item}
    schema = SCHEMAS[item["command"]]
    body = schema.dump(schema.load(with_path(item["body"], **path)))  # as ``validated``
    service = str(COMMANDS[item["command"]].service)  # every synced row names its service
    return service, {"client_id": str(item["client_id"]), "command": item["command"],
                     "body": body}


def refused(error: ValidationError) -> Json:
    """A malformed item, answered as its single route answers a malformed body."""
    return {"outcome": "rejected", "status": 400,
            "body": {"error": "invalid request", "fields": field_errors(error.messages)}}


def echoed(raw: Any, name: str) -> Any:
    """What the app sent as the item's client id or command, to pair the answer with it."""
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


class SyncRoutes:
    # A batch may be answered long after a single command would be: it goes through the
    # route table's long proxies (``<service>_long``).

    @http("POST", "/sync")
    def sync(self, request: Request) -> Json:
        actor = actor_of(request)  # the row's roles: an app's person (``gateway.policy``)
        items = validated(SyncBatch, sync_body(request))["items"]  # 1 to 500, or a 400
        answers: list[Json | None] = [None] * len(items)
        by_service: dict[str, list[tuple[int, Json]]] = {}
        for index, raw in enumerate(items):
            try:
                service, item = checked(raw, actor)
            except ValidationError as error:
                answers[index] = refused(error)
                continue
            except CoachopsError as error:  # another role's command: refused, not sent
                answers[index] = rejected(error)
                continue
            by_service.setdefault(service, []).append((index, item))
        calls = {service: getattr(self, f"{service}_long").sync.call_async(
                     actor.to_dict(), [item for _, item in listed])
                 for service, listed in by_service.items()}
        for service, call in calls.items():
            for (index, _), answer in zip(by_service[service], call.result(), strict=True):
                answers[index] = answer
        results = [{"client_id": echoed(raw, "client_id"), "command": echoed(raw, "command"),
                    **answer} for raw, answer in zip(items, answers, strict=True)
                   if answer is not None]
        counts = {outcome: sum(r["outcome"] == outcome for r in results)
                  for outcome in ("accepted", "duplicate", "rejected")}
        return {"results": results, "counts": counts}
