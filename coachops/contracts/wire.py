"""The bus's internal wire: envelopes checked with msgspec, the marshmallow contracts' twin.

Checking an envelope and its payload with marshmallow cost 75 to 108 us an event, most of
a consumer's work per message; msgspec checks the same in a few. The contracts stay the
marshmallow schemas (``coachops.contracts.envelope``): the msgspec types here are derived
from them, field by field, so there is one definition of every event. msgspec reads only
the canonical form, the one ``encode`` writes and the relay publishes; anything it refuses
(a malformed event, or a form marshmallow tolerates, such as ``"yes"`` for true) goes to
marshmallow, whose verdict and reason stand. So ``decode`` accepts and refuses exactly
what marshmallow does, and gives the same envelope
(``tests/unit/test_contracts_wire.py`` holds the two to that, property by property,
over every registered contract). The relay's check of each payload it publishes
(``encode``) is the same twin's, with the same fall-back.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from marshmallow import Schema, fields, validate

from coachops.contracts import envelope as contract
from coachops.contracts.envelope import Envelope
from coachops.identity import Actor, Role

# What ``datetime.isoformat`` writes of an aware instant (a whole-minute offset).
INSTANT = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?"
           r"[+-][0-9]{2}:[0-9]{2}\Z")


class Unsupported(TypeError):
    """A contract field with no msgspec twin here: add one (and let the tests hold it)."""


def _checks(field: fields.Field[Any]) -> tuple[dict[str, Any], tuple[str, ...] | None]:
    """msgspec's ``Meta`` constraints for ``field``'s validators; and its choices, if any."""
    meta: dict[str, Any] = {}
    choices: tuple[str, ...] | None = None
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                meta["ge" if validator.min_inclusive else "gt"] = validator.min
            if validator.max is not None:
                meta["le" if validator.max_inclusive else "lt"] = validator.max
        elif isinstance(validator, validate.Length) and validator.equal is None:
            if validator.min is not None:
                meta["min_length"] = validator.min
            if validator.max is not None:
                meta["max_length"] = validator.max
        elif isinstance(validator, validate.OneOf):
            choices = tuple(validator.choices)
        elif (isinstance(validator, validate.Regexp) and validator.regex.flags == re.UNICODE
              and isinstance(pattern := validator.regex.pattern, str)):
            # marshmallow matches from the start (re.match), msgspec searches.
            meta["pattern"] = f"^(?:{pattern})"
        else:
            raise Unsupported(f"validator {validator!r}")
    return meta, choices


def _type_of(field: fields.Field[Any]) -> Any:
    """The msgspec type that reads what ``field`` loads, in its canonical form only."""
    meta, choices = _checks(field)
    base: Any
    # Subclasses before their bases: UUID is a String, AwareDateTime a DateTime.
    if isinstance(field, fields.UUID):
        base = UUID
    elif isinstance(field, fields.AwareDateTime):
        # Read as text of the form isoformat writes, then by fromisoformat as marshmallow
        # does: msgspec's own instants take "z" and round a seventh digit, fromisoformat not.
        base, meta = str, {**meta, "pattern": INSTANT}
    elif isinstance(field, fields.DateTime):
        raise Unsupported(f"{field!r}: only aware instants travel")
    elif isinstance(field, fields.Date):
        base = date
    elif isinstance(field, fields.Boolean):
        base = bool
    elif isinstance(field, fields.Integer):
        base = int  # msgspec takes neither "3" nor 3.0 for it: marshmallow then decides
    elif isinstance(field, fields.String):
        base = Literal[choices] if choices is not None else str
        choices = None
    elif isinstance(field, fields.List):
        # A type made at run time from the field: mypy takes no variable as a type.
        base = list[_type_of(field.inner)]  # type: ignore[misc]
    elif isinstance(field, fields.Nested) and isinstance(field.nested, type):
        base = struct_of(field.nested)
    elif isinstance(field, fields.Dict) and field.key_field is None \
            and field.value_field is None:
        base = dict[str, Any]
    else:
        raise Unsupported(f"field {field!r}")
    if choices is not None:
        raise Unsupported(f"{field!r}: choices of a non-string")
    typed = Annotated[base, msgspec.Meta(**meta)] if meta else base
    return typed | None if field.allow_none else typed


def _member(name: str, field: fields.Field[Any]) -> tuple[str, Any] | tuple[str, Any, Any]:
    if field.data_key not in (None, name) or field.attribute not in (None, name):
        raise Unsupported("renamed")
    if field.required:
        return name, _type_of(field)
    if field.load_default is None:
        return name, _type_of(field), None
    if field.load_default is fields.missing_:  # absent: absent from the payload too
        return name, _type_of(field) | msgspec.UnsetType, msgspec.UNSET
    raise Unsupported("a default other than null")


_STRUCTS: dict[type[Schema], type[msgspec.Struct]] = {}


def struct_of(schema: type[Schema]) -> type[msgspec.Struct]:
    """The msgspec twin of a marshmallow schema (made once): the same fields, each
    required, optional or nullable as there; unknown fields refused, as marshmallow does."""
    made = _STRUCTS.get(schema)
    if made is not None:
        return made
    instance = schema()
    if any(schema._hooks.values()):  # validates, pre_load, ...: checks msgspec cannot make
        raise Unsupported(f"{schema.__name__}: hooks {sorted(schema._hooks)}")
    if instance.unknown != "raise":
        raise Unsupported(f"{schema.__name__}: unknown fields other than refused")
    members: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for name, field in instance.fields.items():
        try:
            members.append(_member(name, field))
        except Unsupported as error:
            raise Unsupported(f"{schema.__name__}.{name}: {error}") from None
    made = _STRUCTS[schema] = msgspec.defstruct(
        f"{schema.__name__}Wire", members, forbid_unknown_fields=True, kw_only=True)
    _INSTANTS[made] = tuple(name for name, field in instance.fields.items()
                            if isinstance(field, fields.AwareDateTime))
    return made


_INSTANTS: dict[type[msgspec.Struct], tuple[str, ...]] = {}


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # the form, not a date (a 13th month): marshmallow says
        raise _NotFast from None


def _as_dict(value: msgspec.Struct) -> dict[str, Any]:
    """A struct's fields, absent ones left out, instants read."""
    found = {name: item for name in value.__struct_fields__
             if (item := getattr(value, name)) is not msgspec.UNSET}
    for name in _INSTANTS[type(value)]:
        if found.get(name) is not None:
            found[name] = _instant(found[name])
    return found


class _NotFast(Exception):
    """The event is not one msgspec reads (an unknown type or version): marshmallow says."""


def _payload(event_type: str, version: int, raw: Any) -> tuple[int, dict[str, Any]]:
    """The payload read at its latest version, upcast as ``contract.decode`` does."""
    while True:
        schema = contract.registered_schema(event_type, version)
        if schema is None:
            raise _NotFast
        payload = _as_dict(msgspec.convert(raw, struct_of(schema)))
        upcast = contract.upcaster_of(event_type, version)
        if upcast is None:
            return version, payload
        raw = upcast(dict(raw))
        version += 1


def _envelope_struct() -> type[msgspec.Struct]:
    return struct_of(contract.EnvelopeSchema)


def decode(body: Any) -> Envelope:
    """``contract.decode``, in microseconds for an event in the form the relay publishes;
    anything else is read (or refused, with the reason) by marshmallow."""
    try:
        return decode_fast(body)
    except (msgspec.ValidationError, _NotFast):
        return contract.decode(body)


def decode_fast(body: Any) -> Envelope:
    """msgspec alone: the envelope, or ``msgspec.ValidationError``/``_NotFast`` when it
    cannot say (the tests hold it to never accepting what marshmallow refuses)."""
    head: Any = msgspec.convert(body, _envelope_struct())
    version, payload = _payload(head.event_type, head.version, head.payload)
    actor = head.actor
    return Envelope(
        event_id=head.event_id,
        event_type=head.event_type,
        version=version,
        source=head.source,
        stream_id=head.stream_id,
        stream_position=head.stream_position,
        position=head.position,
        previous_position=head.previous_position,
        occurred_at=_instant(head.occurred_at),
        recorded_at=_instant(head.recorded_at),
        actor=Actor(id=actor.id, role=Role(actor.role)) if actor is not None else None,
        payload=payload,
    )


def encode(event: Envelope) -> dict[str, Any]:
    """``contract.encode``: the payload dumped by its schema, and checked by its msgspec
    twin, which accepts only what the schema does; what the twin refuses, the schema
    checks (and refuses with its reason)."""
    return contract.encode(event, _valid)


def _valid(schema: type[Schema], payload: dict[str, Any]) -> bool:
    try:
        msgspec.convert(payload, struct_of(schema))
        return True
    except msgspec.ValidationError:
        return False


def json_payload(event: Envelope) -> dict[str, Any]:
    """``event``'s payload in its JSON form, as ``encode`` writes it (what a store of
    received events keeps), without marshmallow's dump and check of it again."""
    form: dict[str, Any] = msgspec.to_builtins(event.payload, builtin_types=(datetime,))
    for name, value in form.items():
        if isinstance(value, datetime):  # isoformat's +00:00, where msgspec writes Z
            form[name] = value.isoformat()
    return form


def to_json(value: Any) -> str:
    """``value`` (JSON-ready) as JSON text, for a jsonb column."""
    return msgspec.json.encode(value).decode()
