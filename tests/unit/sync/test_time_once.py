"""A time-entry command an app sends again is applied once: the entry's location keeps
the client ids applied to it, saved with their events. On the library's in-memory
persistence, no infrastructure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import StoredEvent

from coachops.errors import Conflict, Forbidden, Invalid
from coachops.identity import Actor, Role
from coachops.unit_of_work import Once
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CoachDay, EntryLocation, day_id, synced_entry_id
from tests.unit.timetracking.helpers import AS_COACH, COACH, MONDAY, TODAY, values

TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def app(time_app: TimeTracking) -> TimeTracking:
    return time_app


def once(client_id: uuid.UUID) -> Once:
    return Once(client_id, COACH)


def day_events(app: TimeTracking, on: uuid.UUID) -> list[str]:
    return [type(e).__name__ for e in app.events.get(on)]


def test_an_entry_recorded_from_an_app_has_an_id_made_from_its_client_id(
    app: TimeTracking,
) -> None:
    client_id = uuid.uuid4()
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY, once=once(client_id)).result
    assert entry_id == synced_entry_id(COACH, client_id)
    assert synced_entry_id(COACH, client_id) != synced_entry_id(uuid.uuid4(), client_id)


def test_an_entry_sent_twice_is_recorded_once(app: TimeTracking) -> None:
    client_id = uuid.uuid4()
    first = app.record_entry(AS_COACH, COACH, values(), TODAY, once=once(client_id)).result
    again = once(client_id)
    answer = app.record_entry(AS_COACH, COACH, values(), TODAY, once=again)
    assert answer.result == first
    assert answer.duplicate
    assert day_events(app, day_id(COACH, MONDAY)).count("EntryRecorded") == 1


def test_a_resent_entry_is_a_duplicate_even_after_its_correction(app: TimeTracking) -> None:
    """Without the client id, the resent entry (its first values) would clash with the
    corrected one and be refused: the whole batch sent again must not be."""
    client_id = uuid.uuid4()
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY, once=once(client_id)).result
    app.correct_entry(AS_COACH, entry_id, {"end": values(end="10:30").end}, "ran long",
                      TODAY, once=once(uuid.uuid4()))
    again = once(client_id)
    answer = app.record_entry(AS_COACH, COACH, values(), TODAY, once=again)
    assert answer.result == entry_id
    assert answer.duplicate
    assert app.coach_day(AS_COACH, COACH, MONDAY).entries[entry_id].values.minutes == 90


def test_a_correction_sent_twice_is_made_once_even_when_it_moved_the_entry(
    app: TimeTracking,
) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    moved = uuid.uuid4()
    app.correct_entry(AS_COACH, entry_id, {"worked_on": TUESDAY}, "wrong day", TODAY,
                      once=once(moved))
    again = once(moved)
    kept = app.correct_entry(AS_COACH, entry_id, {"worked_on": TUESDAY}, "wrong day", TODAY,
                             once=again)
    assert kept.duplicate and kept.result.worked_on == TUESDAY
    assert day_events(app, day_id(COACH, TUESDAY)).count("EntryMovedIn") == 1
    assert day_events(app, day_id(COACH, MONDAY)).count("EntryMovedOut") == 1


def test_a_void_sent_twice_is_made_once_and_answered_the_same(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    client_id = uuid.uuid4()
    app.void_entry(AS_COACH, entry_id, "logged twice", once=once(client_id))
    again = once(client_id)
    answer = app.void_entry(AS_COACH, entry_id, "logged twice", once=again)  # no "already voided"
    assert answer.duplicate
    with pytest.raises(Invalid):  # the single route, without a client id, still refuses
        app.void_entry(AS_COACH, entry_id, "logged twice")
    assert day_events(app, day_id(COACH, MONDAY)).count("EntryVoided") == 1


def test_a_refused_correction_is_not_remembered(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    client_id = uuid.uuid4()
    with pytest.raises(Invalid):
        app.correct_entry(AS_COACH, entry_id, {"category_id": "no-such-category"}, "typo",
                          TODAY, once=once(client_id))
    location = app.repository.get(entry_id)
    assert isinstance(location, EntryLocation)
    assert client_id not in location.applied


def test_another_person_gets_no_answer_for_a_coach_s_client_id(app: TimeTracking) -> None:
    client_id = uuid.uuid4()
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY, once=once(client_id)).result
    other = Actor(uuid.uuid4(), Role.COACH)
    with pytest.raises(Forbidden):
        app.void_entry(other, entry_id, "not mine", once=Once(client_id, other.id))
    day = app.repository.get(day_id(COACH, MONDAY))
    assert isinstance(day, CoachDay) and not day.entries[entry_id].voided


def test_the_location_remembers_its_client_ids_on_replay() -> None:
    location = EntryLocation(entry_id=uuid.uuid4(), coach_id=COACH, worked_on=MONDAY)
    client_id = uuid.uuid4()
    location.remember(client_id, "void_time_entry")
    with pytest.raises(ValueError):
        location.remember(client_id, "void_time_entry")
    replayed = None
    for event in location.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, EntryLocation)
    assert replayed.applied == {client_id: "void_time_entry"}
    assert replayed.applied_before(client_id, "void_time_entry")
    assert not replayed.applied_before(uuid.uuid4(), "void_time_entry")


def test_an_entry_from_an_app_is_placed_with_its_client_id_in_one_event(
        app: TimeTracking) -> None:
    client_id = uuid.uuid4()
    sent = Once(client_id, COACH, "record_time_entry")
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY, once=sent).result
    assert day_events(app, entry_id) == ["Placed"]
    location = app.repository.get(entry_id)
    assert isinstance(location, EntryLocation)
    assert location.applied_before(client_id, "record_time_entry")


def test_a_location_placed_before_client_ids_were_placed_with_it_reads_as_it_did(
        app: TimeTracking) -> None:
    """A Placed event stored without a client id, and the ClientCommandApplied after it."""
    entry_id, client_id = uuid.uuid4(), uuid.uuid4()
    stored = [StoredEvent(originator_id=entry_id, originator_version=version,
                          topic=f"services.timetracking.domain:EntryLocation.{name}",
                          state=app.mapper.transcoder.encode(
                              {"timestamp": datetime.now(UTC), **state}))
              for version, name, state in [
                  (1, "Placed", {"originator_topic":
                                 "services.timetracking.domain:EntryLocation",
                                 "entry_id": entry_id, "coach_id": COACH,
                                 "worked_on": MONDAY}),
                  (2, "ClientCommandApplied", {"client_id": client_id,
                                               "command": "record_time_entry"})]]
    app.recorder.insert_events(stored)
    location = app.repository.get(entry_id)
    assert isinstance(location, EntryLocation)
    assert (location.coach_id, location.worked_on) == (COACH, MONDAY)
    assert location.applied == {client_id: "record_time_entry"}


def test_one_client_id_given_to_two_commands_is_a_conflict(app: TimeTracking) -> None:
    entry_id = app.record_entry(AS_COACH, COACH, values(), TODAY).result
    client_id = uuid.uuid4()
    app.correct_entry(AS_COACH, entry_id, {"end": values(end="10:30").end}, "ran long",
                      TODAY, once=Once(client_id, COACH, command="correct_time_entry"))
    with pytest.raises(Conflict) as refused:
        app.void_entry(AS_COACH, entry_id, "logged twice",
                       once=Once(client_id, COACH, command="void_time_entry"))
    assert refused.value.field == "client_id"
    assert not app.coach_day(AS_COACH, COACH, MONDAY).entries[entry_id].voided
