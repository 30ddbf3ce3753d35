"""The envelope every integration event travels in, and the contract registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from coachops.identity import Actor, Role

# Event ids are derived from (source, position), so a re-published event keeps its id.
EVENT_ID_NAMESPACE = UUID("5b0c2f36-8d0e-4c1a-9a52-6f1f4d1f3e11")

_REGISTRY: dict[tuple[str, int], type[Schema]] = {}


class ContractError(ValueError):
    """A message that is not a valid integration event. ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def contract(name: str, version: int) -> Callable[[type[Schema]], type[Schema]]:
    """Register a payload schema as the contract of event ``name`` at ``version``."""

    def register(schema: type[Schema]) -> type[Schema]:
        key = (name, version)
        if key in _REGISTRY:
            raise RuntimeError(f"contract {name} v{version} is registered twice")
        # The contract's name and version ride on its schema class (set here, read by decode).
        schema.event_type = name  # type: ignore[attr-defined]
        schema.version = version  # type: ignore[attr-defined]
        _REGISTRY[key] = schema
        return schema

    return register


def registered() -> dict[tuple[str, int], type[Schema]]:
    return dict(_REGISTRY)


def registered_schema(name: str, version: int) -> type[Schema] | None:
    return _REGISTRY.get((name, version))


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(name: str, version: int) -> Callable[[Upcaster], Upcaster]:
    """Register how a payload of ``name`` at ``version`` (its JSON form) reads at
    ``version + 1``. ``decode`` hands consumers every event at its latest version, so an
    event published (or stored by a consumer) before a contract changed still reads."""

    def register(function: Upcaster) -> Upcaster:
        if (name, version + 1) not in _REGISTRY:
            raise RuntimeError(f"register {name} v{version + 1} before its upcaster")
        _UPCASTERS[(name, version)] = function
        return function

    return register


def upcaster_of(name: str, version: int) -> Upcaster | None:
    return _UPCASTERS.get((name, version))


@dataclass(frozen=True)
class Envelope:
    """One integration event as it travels: its contract's name and version, where it comes
    from and where it stands in its source's log, and its payload."""

    event_type: str
    version: int
    source: str
    stream_id: UUID
    stream_position: int
    position: int  # gap-free position in the source's notification log
    previous_position: int | None  # position of the source's previous published event
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    actor: Actor | None = None
    # None until __post_init__ derives it from the position: a UUID once made.
    event_id: UUID = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.event_id is None:
            object.__setattr__(
                self, "event_id", uuid5(EVENT_ID_NAMESPACE, f"{self.source}:{self.position}")
            )


@dataclass(frozen=True)
class Outgoing:
    """What a service's translator makes of a domain event; the relay wraps it in an Envelope."""

    event_type: str
    version: int
    payload: dict[str, Any]
    actor: Actor | None = None
    occurred_at: datetime | None = None


class _ActorSchema(Schema):
    id = fields.UUID(required=True)
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    source = fields.Str(required=True, validate=validate.Length(min=1, max=50))
    stream_id = fields.UUID(required=True)
    stream_position = fields.Int(required=True, strict=True)
    position = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    previous_position = fields.Int(required=True, strict=True, allow_none=True)
    occurred_at = fields.AwareDateTime(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    actor = fields.Nested(_ActorSchema, required=True, allow_none=True)
    payload = fields.Dict(required=True)


_envelope_schema = EnvelopeSchema()

# One instance of each contract, made on first use and reused: making a marshmallow schema
# copies every field, which cost more than checking a payload with it.
_INSTANCES: dict[tuple[str, int], Schema] = {}


def _schema_for(event_type: str, version: int) -> Schema:
    key = (event_type, version)
    instance = _INSTANCES.get(key)
    if instance is not None:
        return instance
    try:
        instance = _INSTANCES[key] = _REGISTRY[key]()
        return instance
    except KeyError:
        known = sorted(v for (n, v) in _REGISTRY if n == event_type)
        if known:
            raise ContractError(
                f"unknown version {version} of {event_type} (known: {known})"
            ) from None
        raise ContractError(f"unknown event type {event_type!r}") from None


def _first_error(error: ValidationError, prefix: str = "") -> str:
    messages = error.messages
    if isinstance(messages, dict):
        parts = [f"{prefix}{name}: {msgs}" for name, msgs in sorted(messages.items())]
        return "; ".join(parts)
    return f"{prefix}{messages}"


# Whether a payload in its JSON form is valid for its contract, where a faster check than
# the schema's own can say yes (``coachops.contracts.wire``); False: let the schema say.
FastCheck = Callable[[type[Schema], dict[str, Any]], bool]


def encode(envelope: Envelope, fast_check: FastCheck | None = None) -> dict[str, Any]:
    """Validate and serialise an envelope into a JSON-ready dict (publisher side)."""
    schema = _schema_for(envelope.event_type, envelope.version)
    payload = schema.dump(envelope.payload)  # once: it is both what is checked and sent
    if fast_check is None or not fast_check(type(schema), payload):
        errors = schema.validate(payload)
        if errors:
            raise ContractError(f"{envelope.event_type} v{envelope.version} payload: {errors}")
    return {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "version": envelope.version,
        "source": envelope.source,
        "stream_id": str(envelope.stream_id),
        "stream_position": envelope.stream_position,
        "position": envelope.position,
        "previous_position": envelope.previous_position,
        "occurred_at": envelope.occurred_at.isoformat(),
        "recorded_at": envelope.recorded_at.isoformat(),
        "actor": envelope.actor.to_dict() if envelope.actor else None,
        "payload": payload,
    }


def decode(body: Any) -> Envelope:
    """Read a message body into an envelope, or raise ContractError saying why not."""
    if not isinstance(body, dict):
        raise ContractError(f"message body is {type(body).__name__}, not a JSON object")
    try:
        data = _envelope_schema.load(body)
    except ValidationError as error:
        raise ContractError(f"bad envelope: {_first_error(error)}") from None
    event_type, version, raw = data["event_type"], data["version"], data["payload"]
    while True:
        schema = _schema_for(event_type, version)
        try:
            payload = schema.load(raw)
        except ValidationError as error:
            raise ContractError(
                f"bad {event_type} v{version} payload: {_first_error(error)}") from None
        if (event_type, version) not in _UPCASTERS:
            break
        raw = _UPCASTERS[(event_type, version)](dict(raw))
        version += 1
    actor = data["actor"]
    return Envelope(
        event_id=data["event_id"],
        event_type=event_type,
        version=version,
        source=data["source"],
        stream_id=data["stream_id"],
        stream_position=data["stream_position"],
        position=data["position"],
        previous_position=data["previous_position"],
        occurred_at=data["occurred_at"],
        recorded_at=data["recorded_at"],
        actor=Actor(id=actor["id"], role=Role(actor["role"])) if actor else None,
        payload=payload,
    )
