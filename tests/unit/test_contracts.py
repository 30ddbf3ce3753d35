"""The envelope and the contract registry: nothing malformed is ever half-read."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from coachops.contracts import ContractError, Envelope, decode, encode
from coachops.identity import Actor, Role


def envelope(**payload_changes: object) -> Envelope:
    now = datetime.now(UTC)
    payload = {
        "entry_id": uuid.uuid4(), "coach_id": uuid.uuid4(), "school_id": uuid.uuid4(),
        "worked_on": date(2026, 10, 5), "minutes": 45, "category_id": "co-planning",
        "category_kind": "coaching", "cycle_id": None, "focus_area_id": None,
        **payload_changes,
    }
    return Envelope(
        event_type="TimeEntryRecorded", version=1, source="timetracking",
        stream_id=uuid.uuid4(), stream_position=1, position=7, previous_position=3,
        occurred_at=now, recorded_at=now, payload=payload,
        actor=Actor(uuid.uuid4(), Role.COACH),
    )


def test_an_event_survives_the_round_trip() -> None:
    sent = envelope()
    received = decode(encode(sent))
    assert received == sent
    assert received.event_id == uuid.uuid5(
        uuid.UUID("5b0c2f36-8d0e-4c1a-9a52-6f1f4d1f3e11"), "timetracking:7"
    )


def test_the_event_id_follows_source_and_position_so_republishing_keeps_it() -> None:
    assert envelope().event_id == envelope().event_id


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": 2}, "unknown version 2 of TimeEntryRecorded (known: [1])"),
        ({"event_type": "Nope"}, "unknown event type 'Nope'"),
        ({"position": "7"}, "bad envelope: position: ['Not a valid integer.']"),
        ({"extra": 1}, "bad envelope: extra: ['Unknown field.']"),
        ({"occurred_at": "2026-10-05T10:00:00"}, "bad envelope: occurred_at:"),
    ],
)
def test_a_bad_envelope_is_rejected_with_the_reason(change: dict[str, object], reason: str) -> None:
    body = {**encode(envelope()), **change}
    with pytest.raises(ContractError) as error:
        decode(body)
    assert error.value.reason.startswith(reason)


def test_a_bad_payload_is_rejected_whole() -> None:
    body = encode(envelope())
    body["payload"] = {**body["payload"], "minutes": 0}
    with pytest.raises(ContractError, match="bad TimeEntryRecorded v1 payload: minutes"):
        decode(body)


def test_a_body_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(ContractError, match="not a JSON object"):
        decode(["CycleStarted"])


def test_the_publisher_cannot_send_an_invalid_payload() -> None:
    with pytest.raises(ContractError, match="minutes"):
        encode(envelope(minutes=-5))


def test_a_contract_reused_for_every_event_refuses_each_bad_one_and_sends_the_good_as_is(
) -> None:
    good = envelope(cycle_id=uuid.uuid4())
    first = encode(good)
    for bad in (envelope(minutes=0), envelope(category_kind="lunch"), envelope(coach_id="x")):
        with pytest.raises(ContractError, match="TimeEntryRecorded v1 payload"):
            encode(bad)
    assert encode(good) == first
    assert first["payload"] == {
        "entry_id": str(good.payload["entry_id"]), "coach_id": str(good.payload["coach_id"]),
        "school_id": str(good.payload["school_id"]), "worked_on": "2026-10-05",
        "minutes": 45, "category_id": "co-planning", "category_kind": "coaching",
        "cycle_id": str(good.payload["cycle_id"]), "focus_area_id": None}
    assert decode(first).payload == {**good.payload}
