"""The bus's two codecs decide alike: msgspec (``coachops.contracts.wire``) and the
marshmallow contracts, over every registered contract.

Events are generated from each contract's own fields (so a new contract is covered without
a line here), published as the relay does (``encode``), then spoiled: a field replaced by
another JSON value or by a near miss of its type's form (``"3"``, ``3.0``, ``true``, an
uppercase or unbraced UUID, a date without dashes, an instant without zone or with seven
digits of fraction...), removed, or joined by an unknown one. For each, msgspec alone
never accepts what marshmallow refuses and, when it accepts, gives the same envelope;
``decode`` (msgspec, else marshmallow) accepts and refuses exactly what marshmallow does,
with the same reason; what the relay publishes msgspec reads itself; the relay's msgspec
check of a payload accepts only what its contract does; and the JSON form reporting keeps
is the one ``encode`` writes.
"""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate, validates

from coachops.contracts import ContractError, Envelope, encode, envelope, json_payload, wire
from coachops.contracts.envelope import EnvelopeSchema, registered
from coachops.identity import Actor, Role

CONTRACTS = sorted(registered().items())
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)),
                         timezone(timedelta(hours=5, minutes=30))])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)


def text_of(field: fields.Field[Any]) -> st.SearchStrategy[Any]:
    """Valid values of ``field`` in the JSON form ``encode`` writes."""
    checks = {type(v): v for v in field.validators}
    if isinstance(field, fields.UUID):
        return st.uuids().map(str)
    if isinstance(field, fields.AwareDateTime):
        return st.datetimes(timezones=ZONES).map(lambda d: d.isoformat())
    if isinstance(field, fields.Date):
        return st.dates().map(date.isoformat)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        bounds = checks.get(validate.Range)
        return st.integers(getattr(bounds, "min", None), getattr(bounds, "max", None))
    if isinstance(field, fields.String):
        if validate.OneOf in checks:
            return st.sampled_from(list(checks[validate.OneOf].choices))
        length = checks.get(validate.Length)
        low, high = getattr(length, "min", None) or 0, getattr(length, "max", None)
        if validate.Regexp in checks:
            return st.from_regex(checks[validate.Regexp].regex, fullmatch=True).filter(
                lambda s: low <= len(s) <= (high or len(s)))
        return st.text(min_size=low, max_size=min(high or 20, 20))
    if isinstance(field, fields.List):
        length = checks.get(validate.Length)
        low = getattr(length, "min", None) or 0
        return st.lists(text_of(field.inner), min_size=low,
                        max_size=getattr(length, "max", None) or low + 3)
    raise AssertionError(f"no strategy for {field!r}")


@st.composite
def payloads(draw: st.DrawFn, schema: type[Schema]) -> dict[str, Any]:
    payload = {}
    for name, field in schema().fields.items():
        value = text_of(field) | st.none() if field.allow_none else text_of(field)
        if field.required or draw(st.booleans()):
            payload[name] = draw(value)
    return payload


@st.composite
def published(draw: st.DrawFn, key: tuple[str, int], schema: type[Schema]) -> dict[str, Any]:
    """An event of contract ``key`` as the relay publishes it."""
    position = draw(st.integers(1, 2**40))
    actor = draw(st.none() | st.builds(Actor, st.uuids(), st.sampled_from(list(Role))))
    return encode(Envelope(
        event_type=key[0], version=key[1], source=draw(st.sampled_from(["cycles", "agreements"])),
        stream_id=draw(st.uuids()), stream_position=draw(st.integers(0, 10**6)),
        position=position,
        previous_position=draw(st.none() | st.integers(1, position)),
        occurred_at=draw(st.datetimes(timezones=ZONES)),
        recorded_at=draw(st.datetimes(timezones=ZONES)),
        actor=actor, payload=envelope.registered_schema(*key)().load(draw(payloads(schema))),
    ))


UUID_TEXT = "6f1f4d1f-3e11-4c1a-9a52-5b0c2f368d0e"
NEAR_MISSES = [
    # numbers and truth as text, floats, truth as numbers
    "3", "3.0", 3.0, 3.5, -1, 0, 1, 2**70, True, False, "true", "yes", "t", "1", "on",
    # the bounds of the contracts' ranges, and one past each
    52, 53, 1440, 1441, 1999, 2000, 2100, 2101,
    # UUIDs in every form uuid.UUID reads
    UUID_TEXT.upper(), UUID_TEXT.replace("-", ""), "{" + UUID_TEXT + "}",
    "urn:uuid:" + UUID_TEXT, UUID_TEXT + "\n", UUID_TEXT[:-1],
    # dates and instants in the forms fromisoformat reads and some it does not
    "2024-01-31", "20240131", "2024-W05-3", "2024-1-31", "2024-01-31\n",
    "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0663\u0661",  # Arabic-Indic digits
    "2024-02-30", "0000-01-01", "2024-01-31T10:00:00", "2024-01-31T10:00:00Z",
    "2024-01-31T10:00:00z", "2024-01-31 10:00:00+00:00", "2024-01-31T10:00:00.1234567+00:00",
    "2024-01-31T10:00:00.123+01:00", "2024-01-31T10:00+00:00", "2024-01-31T23:59:60+00:00",
    "2024-01-31T24:00:00+00:00", "2024-01-31T10:00:00+24:00", "2024-01-31T10:00:00-00:00",
    "2024-01-31T10:00:00+0530", "2024-01-31T10:00:00+05", "20240131T100000Z",
    # text: empty, long, blank, codes near a rule
    "", " ", "x" * 101, "x" * 201, "x" * 202, "coaching\n", "Coaching", "talk_time\n",
    "xtalk_time", "talk_timex",
    "district:a", "district:", "district:" + "a" * 63, "plan", "reflect ",
    None, [], {}, ["coach"], ["coach", "principal", "coach"], [UUID_TEXT], [None], [1],
]


@st.composite
def spoiled(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with one thing wrong, or not wrong at all (a near miss may still be fine)."""
    body = {**body, "payload": dict(body["payload"])}
    where = draw(st.sampled_from(["envelope", "payload", "payload", "payload"]))
    target = body if where == "envelope" else body["payload"]
    how = draw(st.sampled_from(["replace", "replace", "near", "near", "remove", "add", "type"]))
    names = sorted(target) or ["unknown"]
    name = draw(st.sampled_from(names))
    if how == "replace":
        target[name] = draw(JSON)
    elif how == "near":
        target[name] = draw(st.sampled_from(NEAR_MISSES))
    elif how == "remove":
        target.pop(name, None)
    elif how == "add":
        target[draw(st.text(string.ascii_lowercase + "_", min_size=1, max_size=12))] = draw(JSON)
    else:
        body["event_type"], body["version"] = draw(st.sampled_from(
            [(body["event_type"], 99), ("NoSuchEvent", 1), (body["event_type"], "1"),
             ("CheckInRecorded", 1), ("CheckInRecorded", 2)]))
    return body


def marshmallow_says(body: Any) -> tuple[str, Any]:
    try:
        return "accepted", envelope.decode(body)
    except ContractError as error:
        return "refused", error.reason


def exactly(event: Envelope) -> tuple[Any, ...]:
    """Everything of an envelope, instants' offsets and values' types included."""
    types = {name: type(value) for name, value in event.payload.items()}
    return event, encode(event), types


def agree(body: Any) -> None:
    verdict, said = marshmallow_says(body)
    try:
        fast = wire.decode_fast(body)
    except (msgspec.ValidationError, wire._NotFast):
        pass  # msgspec cannot say: marshmallow decides (below)
    else:
        assert verdict == "accepted", f"msgspec accepted what marshmallow refused: {said}"
        assert exactly(fast) == exactly(said)
    if verdict == "accepted":
        got = wire.decode(body)
        assert exactly(got) == exactly(said)
        assert json_payload(got) == encode(said)["payload"]
    else:
        with pytest.raises(ContractError) as refused:
            wire.decode(body)
        assert refused.value.reason == said


EVERY_CONTRACT = pytest.mark.parametrize(("key", "schema"), CONTRACTS,
                                         ids=[f"{n}-v{v}" for (n, v), _ in CONTRACTS])
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@EVERY_CONTRACT
@SETTINGS
@given(data=st.data())
def test_msgspec_reads_what_the_relay_publishes_as_marshmallow_does(
        key: tuple[str, int], schema: type[Schema], data: st.DataObject) -> None:
    body = data.draw(published(key, schema))
    fast = wire.decode_fast(body)  # never left to marshmallow: the fast path is the path
    assert exactly(fast) == exactly(envelope.decode(body))
    assert json_payload(fast) == body["payload"] or key == ("CheckInRecorded", 1)
    assert wire._valid(schema, body["payload"])  # the relay's check: the fast path too
    assert wire.encode(fast) == encode(fast)  # (at its latest version: upcast on decode)


@EVERY_CONTRACT
@SETTINGS
@given(data=st.data())
def test_both_codecs_accept_and_refuse_the_same_spoiled_events(
        key: tuple[str, int], schema: type[Schema], data: st.DataObject) -> None:
    body = data.draw(published(key, schema).flatmap(spoiled))
    agree(body)
    payload = body.get("payload")  # the relay's check of a payload says yes only if ...
    if wire._valid(schema, payload):
        assert schema().validate(payload) == {}  # ... its contract does


@EVERY_CONTRACT
@settings(max_examples=1, deadline=None)
@given(data=st.data())
def test_both_codecs_decide_alike_on_every_near_miss_in_every_field(
        key: tuple[str, int], schema: type[Schema], data: st.DataObject) -> None:
    body = data.draw(published(key, schema))
    for name in [*body, *(f"payload.{n}" for n in schema().fields)]:
        for value in NEAR_MISSES:
            near = {**body, "payload": dict(body["payload"])}
            where, _, field = name.rpartition(".")
            (near["payload"] if where else near)[field] = value
            agree(near)


def test_the_relay_refuses_a_payload_its_contract_refuses_with_the_contract_s_reason() -> None:
    event = Envelope(event_type="CoachAssignedToSchool", version=1, source="agreements",
                     stream_id=UUID(UUID_TEXT), stream_position=1, position=1,
                     previous_position=None, occurred_at=datetime(2026, 9, 1, tzinfo=UTC),
                     recorded_at=datetime(2026, 9, 1, tzinfo=UTC), actor=None,
                     payload={"school_id": UUID(UUID_TEXT), "effective_on": date(2026, 9, 1)})
    with pytest.raises(ContractError) as by_marshmallow:
        encode(event)
    with pytest.raises(ContractError) as by_the_relay:
        wire.encode(event)
    assert by_the_relay.value.reason == by_marshmallow.value.reason
    assert "coach_id" in by_the_relay.value.reason


@settings(max_examples=200, deadline=None)
@given(body=JSON)
def test_both_codecs_refuse_what_is_no_envelope(body: Any) -> None:
    agree(body)


def test_every_contract_and_the_envelope_have_a_msgspec_twin() -> None:
    for _key, schema in CONTRACTS:
        wire.struct_of(schema)
    wire.struct_of(EnvelopeSchema)


def test_a_contract_field_without_a_twin_is_refused_when_its_twin_is_made() -> None:
    class Odd(Schema):
        ratio = fields.Float(required=True)

    with pytest.raises(wire.Unsupported, match="ratio"):
        wire.struct_of(Odd)


def test_a_contract_with_its_own_checks_is_refused_a_twin() -> None:
    """A hook's check (``@validates``, ``@validates_schema``) has no msgspec form."""
    class Checked(Schema):
        minutes = fields.Integer(required=True)

        @validates("minutes")
        def whole_hours(self, value: int, **kwargs: Any) -> None:
            if value % 60:
                raise ValidationError("whole hours only")

    with pytest.raises(wire.Unsupported, match="hooks"):
        wire.struct_of(Checked)


def test_an_upcast_event_reads_alike() -> None:
    body = encode(Envelope(
        event_type="CheckInRecorded", version=1, source="agreements", stream_id=UUID(int=1),
        stream_position=1, position=1, previous_position=None,
        occurred_at=datetime(2026, 1, 5, tzinfo=UTC), recorded_at=datetime(2026, 1, 5, tzinfo=UTC),
        payload={"agreement_id": UUID(int=2), "coach_id": UUID(int=3), "school_id": UUID(int=4),
                 "held_on": date(2026, 1, 5), "next_due_on": date(2026, 2, 5),
                 "focus_areas_revised": False}))
    fast = wire.decode_fast(body)
    assert (fast.version, fast.payload["attended_by"]) == (2, ["coach", "principal"])
    assert exactly(fast) == exactly(envelope.decode(body))
