"""The roster's posts (a school's coaches and teachers, the district's leaders and IT
administrators): their events keep the names and fields they have been stored with, so a
store written before ``post_events`` is read as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from services.agreements.app import Agreements
from services.agreements.roster import District, PostChanged, School

# Each post event as it has been stored: its topic's name and the field naming the person.
STORED = [
    (School.CoachAssigned, "School.CoachAssigned", "coach_id", True),
    (School.CoachUnassigned, "School.CoachUnassigned", "coach_id", False),
    (School.TeacherAssigned, "School.TeacherAssigned", "teacher_id", True),
    (School.TeacherLeft, "School.TeacherLeft", "teacher_id", False),
    (District.LeaderAppointed, "District.LeaderAppointed", "leader_id", True),
    (District.LeaderLeft, "District.LeaderLeft", "leader_id", False),
    (District.ItAdminAppointed, "District.ItAdminAppointed", "person_id", True),
    (District.ItAdminLeft, "District.ItAdminLeft", "person_id", False),
]
POSTS = {"coach_id": "coaches", "teacher_id": "teachers", "leader_id": "leaders",
         "person_id": "it_admins"}


@pytest.mark.parametrize(("event", "name", "who", "joins"), STORED,
                         ids=[name for _, name, _, _ in STORED])
def test_a_post_event_stored_before_is_read_and_applied_as_it_was(
        app: Agreements, event: type[PostChanged], name: str, who: str, joins: bool) -> None:
    assert get_topic(event) == f"services.agreements.roster:{name}"
    aggregate = School(sourced_id="school-x", label="X") if name.startswith("School") \
        else District()
    person, day = uuid4(), date(2026, 9, 1)
    if not joins:  # one leaves a post they held
        joined = next(e for e, n, w, j in STORED if w == who and j)
        aggregate.change_post(joined, person, date(2026, 8, 1))
    # The row as the aggregate's methods wrote it: the person's field and the date.
    state = {"timestamp": datetime.now(UTC), who: person, "effective_on": day}
    stored = StoredEvent(originator_id=aggregate.id,
                         originator_version=aggregate.version + 1,
                         topic=f"services.agreements.roster:{name}",
                         state=app.mapper.transcoder.encode(state))
    read = app.mapper.to_domain_event(stored)
    assert type(read) is event and read.person == person and read.JOINS is joins
    read.mutate(aggregate)
    assert getattr(aggregate, POSTS[who]).on(person, day) is joins


def test_a_post_event_is_stored_with_the_fields_it_always_had(app: Agreements) -> None:
    # The fixture's roster import appointed and assigned.
    seen: set[str] = set()
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        kind = next((row for row in STORED if notification.topic.endswith(f":{row[1]}")),
                    None)
        if kind is not None:
            state = app.mapper.transcoder.decode(notification.state)
            assert set(state) == {"timestamp", kind[2], "effective_on"}
            seen.add(kind[1])
    assert {"School.CoachAssigned", "School.TeacherAssigned",
            "District.LeaderAppointed"} <= seen
