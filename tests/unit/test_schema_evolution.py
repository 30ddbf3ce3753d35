"""Events change shape over the years: a v2 of ``CheckInRecorded`` (who attended) reads
v1 events everywhere they already are, in the agreements store and on the bus; a version
nobody knows is refused with the reason, for the consumer to park it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from eventsourcing.persistence import StoredEvent

from coachops.contracts import ContractError, Envelope, decode, encode
from coachops.contracts.agreements import CheckInRecordedV1
from coachops.identity import Actor, Role
from services.agreements.app import Agreements
from services.agreements.domain import CoachingAgreement
from tests.unit.agreements.helpers import (
    TODAY,
    app_with,
    coach,
    signed_by_both,
    small_district,
)

CHECK_IN = {
    "agreement_id": uuid.uuid4(), "coach_id": uuid.uuid4(), "school_id": uuid.uuid4(),
    "held_on": date(2026, 10, 1), "next_due_on": date(2027, 1, 1),
    "focus_areas_revised": False,
}
CHECK_IN_V1 = CheckInRecordedV1().dump(CHECK_IN)  # as it travelled: JSON


def body(version: int, payload: dict[str, object]) -> dict[str, object]:
    """A CheckInRecorded message as a relay of that version would have sent it."""
    now = datetime.now(UTC)
    current = encode(Envelope(
        event_type="CheckInRecorded", version=2, source="agreements",
        stream_id=uuid.uuid4(), stream_position=3, position=11, previous_position=10,
        occurred_at=now, recorded_at=now, actor=Actor(uuid.uuid4(), Role.COACH),
        payload={**CHECK_IN, "attended_by": ["coach", "principal"]},
    ))
    return {**current, "version": version, "payload": payload}


def test_a_v1_message_reads_as_v2_attended_by_both() -> None:
    event = decode(body(1, CHECK_IN_V1))
    assert event.version == 2
    assert event.payload["attended_by"] == ["coach", "principal"]
    assert event.payload["held_on"] == date(2026, 10, 1)


def test_a_v2_message_keeps_who_attended() -> None:
    event = decode(body(2, {**CHECK_IN_V1, "attended_by": ["coach"]}))
    assert (event.version, event.payload["attended_by"]) == (2, ["coach"])


def test_a_version_nobody_knows_is_refused_with_the_reason() -> None:
    with pytest.raises(ContractError, match=r"unknown version 3 of CheckInRecorded"):
        decode(body(3, CHECK_IN_V1))


def test_a_bad_v1_payload_is_refused_at_its_own_version() -> None:
    with pytest.raises(ContractError, match=r"CheckInRecorded v1 payload: held_on"):
        decode(body(1, {**CHECK_IN_V1, "held_on": "not a date"}))


def as_stored_in_v1(app: Agreements, stored: StoredEvent) -> StoredEvent:
    """The stored event as the code before v2 wrote it: no ``attended_by``, no version."""
    state = app.mapper.transcoder.decode(stored.state)
    del state["attended_by"]
    state.pop("class_version", None)
    return StoredEvent(originator_id=stored.originator_id,
                       originator_version=stored.originator_version,
                       topic=stored.topic, state=app.mapper.transcoder.encode(state))


def test_a_check_in_stored_by_v1_still_reads_as_held_by_both() -> None:
    district = small_district()
    app = app_with(district)
    agreement = signed_by_both(app, district)
    app.record_check_in(coach(district), agreement.id, TODAY, "", None, TODAY, ["coach"])
    assert app.repository.get(agreement.id).check_ins[-1].attended_by == ("coach",)

    stored = app.recorder.select_events(agreement.id)
    assert stored[-1].topic.endswith("CheckInRecorded")
    old = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    old.recorder.insert_events([*stored[:-1], as_stored_in_v1(app, stored[-1])])
    read = old.repository.get(agreement.id)
    assert isinstance(read, CoachingAgreement)
    assert read.check_ins[-1].attended_by == ("coach", "principal")
    assert read.check_ins[-1].held_on == TODAY


def test_a_signature_stored_by_v1_reads_as_signed_the_day_it_was_entered() -> None:
    """Before paper signatures, a signature was entered the day it was signed, and the one
    that put a version in force made it so from that day."""
    district = small_district()
    app = app_with(district)
    agreement = signed_by_both(app, district)
    stored = app.recorder.select_events(agreement.id)
    assert [s.topic.rpartition(".")[2] for s in stored[-2:]] == ["Signed", "Signed"]

    def v1(event: StoredEvent) -> StoredEvent:
        state = app.mapper.transcoder.decode(event.state)
        del state["entered_on"], state["in_force_from"]
        state.pop("class_version", None)
        return StoredEvent(originator_id=event.originator_id,
                           originator_version=event.originator_version,
                           topic=event.topic, state=app.mapper.transcoder.encode(state))

    old = Agreements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    old.recorder.insert_events([*stored[:-2], *map(v1, stored[-2:])])
    read = old.repository.get(agreement.id)
    assert isinstance(read, CoachingAgreement)
    version = read.in_force()
    assert version is not None and version.in_force_from == TODAY
    assert version.entered == version.signed == {"coach": TODAY, "principal": TODAY}
    events = [old.mapper.to_domain_event(s) for s in old.recorder.select_events(agreement.id)]
    first, second = events[-2:]
    assert (first.in_force_from, second.in_force_from) == (None, TODAY)  # type: ignore[attr-defined]
