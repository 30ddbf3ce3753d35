"""What the service publishes, read off the real broker: the contracts, decoded; ids,
dates, minutes and categories, and never the coach's note or reasons."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
import requests

from coachops.contracts import Envelope
from tests.support.bus import listening
from tests.support.platform import Platform
from tests.support.roster import anyone

from .client import Coach, days_ago

SECRET_NOTE = "T. was upset after the walkthrough"
SECRET_REASON = "the principal pulled me to cover a class"

Collect = Callable[[Callable[[Envelope], bool], int], list[tuple[Envelope, str]]]


@pytest.fixture
def published(platform: Platform) -> Iterator[Collect]:
    """Everything timetracking publishes from now on, as (decoded envelope, raw body)."""
    with listening("timetracking") as events:
        yield events.collect


def test_entries_are_published_without_notes_or_reasons(platform: Platform,
                                                        published: Collect) -> None:
    coach, on = Coach(platform), days_ago(3)
    cycle_id = str(uuid.uuid4())
    entry_id = coach.recorded(coach.entry(on, cycle_id=cycle_id, note=SECRET_NOTE))
    assert coach.correct(entry_id, {"reason": SECRET_REASON,
                                    "category_id": "covering-classes"}).status_code == 200
    assert coach.void(entry_id, SECRET_REASON).status_code == 200

    events = published(lambda e: e.payload.get("entry_id") == uuid.UUID(entry_id), 3)
    assert [e.event_type for e, _ in events] == [
        "TimeEntryRecorded", "TimeEntryCorrected", "TimeEntryVoided"]
    recorded, corrected, voided = (e for e, _ in events)
    assert recorded.source == "timetracking"
    assert recorded.payload == {
        "entry_id": uuid.UUID(entry_id), "coach_id": uuid.UUID(coach.id),
        "school_id": uuid.UUID(coach.school_id), "worked_on": on, "minutes": 60,
        "category_id": "co-planning", "category_kind": "coaching",
        "cycle_id": uuid.UUID(cycle_id), "focus_area_id": None,
    }
    assert (corrected.payload["category_id"], corrected.payload["category_kind"]) == (
        "covering-classes", "other")
    assert voided.payload == {"entry_id": uuid.UUID(entry_id), "coach_id": uuid.UUID(coach.id),
                              "worked_on": on}
    assert recorded.position < corrected.position < voided.position
    assert all(e.actor is not None and str(e.actor.id) == coach.id for e, _ in events)
    for _, raw in events:
        assert SECRET_NOTE not in raw and SECRET_REASON not in raw


def test_category_changes_are_published(platform: Platform, published: Collect) -> None:
    label = f"Data team {uuid.uuid4().hex[:6]}"
    response = requests.post(f"{platform.url}/time-categories",
                             json={"label": label, "kind": "other"}, timeout=10,
                             headers=anyone(platform, "district_leader"))
    assert response.status_code == 201, response.text
    category_id = response.json()["category_id"]
    [(added, _)] = published(lambda e: e.payload.get("category_id") == category_id, 1)
    assert (added.event_type, added.payload) == (
        "CategoryAdded", {"category_id": category_id, "label": label, "kind": "other"})
