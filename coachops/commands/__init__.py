"""Command schemas: the shape of every request a person can make of a service.

The gateway validates HTTP bodies with them (and publishes them as OpenAPI); the service
loads the same dict again at its RPC entrypoint, so each shape is written once.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields

from coachops.commands.types import Text
from coachops.errors import Invalid


class Command(Schema):
    class Meta:
        unknown = RAISE


class HistoryFile(Command):
    """District IT's CSV file of what was done before coachops, one service's history (a
    subclass says whose); ``dry_run`` records none."""

    csv = Text(2_000_000, min_length=1, required=True)
    dry_run = fields.Bool(load_default=False)


# One instance of each schema, reused by every load: making a marshmallow schema copies all
# its fields, which costs more than loading a body with it (a batch loads hundreds).
_INSTANCES: dict[type[Schema], Schema] = {}


def instance(schema: type[Schema]) -> Schema:
    """The process's one instance of ``schema`` (the gateway's checks and the services' loads)."""
    made = _INSTANCES.get(schema)
    if made is None:
        made = _INSTANCES[schema] = schema()
    return made


def load(schema: type[Schema], data: Any) -> dict[str, Any]:
    """Load ``data`` or raise ``Invalid`` naming the first field at fault."""
    try:
        loaded: dict[str, Any] = instance(schema).load(data)  # without many=True: one dict
        return loaded
    except ValidationError as error:
        field, reason = first_error(error.messages)
        raise Invalid(reason, field=field) from None


def first_error(messages: Any, prefix: str = "") -> tuple[str | None, str]:
    if isinstance(messages, dict):
        name, inner = next(iter(sorted(messages.items(), key=lambda kv: str(kv[0]))))
        return first_error(inner, f"{prefix}{name}.")
    if isinstance(messages, list) and messages:
        return first_error(messages[0], prefix)
    return (prefix[:-1] or None), str(messages)


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested messages into [{field, reason}, ...] for an HTTP body."""
    if isinstance(messages, dict):
        out: list[dict[str, str]] = []
        for name, inner in sorted(messages.items(), key=lambda kv: str(kv[0])):
            out.extend(field_errors(inner, f"{prefix}{name}."))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix[:-1], "reason": m} for m in messages]
    if isinstance(messages, list):
        return [e for m in messages for e in field_errors(m, prefix)]
    return [{"field": prefix[:-1], "reason": str(messages)}]
