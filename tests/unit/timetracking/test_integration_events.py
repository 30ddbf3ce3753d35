"""What leaves the service: every stored event translated as the relay does it, and
encoded under its contract. The coach's note and the reasons never travel."""

from __future__ import annotations

import json
import uuid
from datetime import time, timedelta
from typing import Any

from coachops.privacy import ERASED
from services.timetracking.app import TimeTracking
from services.timetracking.integration import to_integration
from tests.support.relayed import relayed
from tests.unit.conftest import TIME_ROSTER_EVENTS
from tests.unit.timetracking.helpers import AS_COACH, COACH, LEADER, MONDAY, SCHOOL, TODAY, values

SECRET_NOTE = "Ms. R. cried after the observation"
SECRET_REASON = "principal made me cover 5th period again"


def published(app: TimeTracking) -> list[dict[str, Any]]:
    """The relay's path: notification -> domain event -> translator -> envelope -> JSON."""
    return [body for _, body in relayed("timetracking", app, to_integration)]


def test_entries_travel_as_ids_dates_minutes_and_categories(app: TimeTracking) -> None:
    cycle = uuid.uuid4()
    entry_id = app.record_entry(
        AS_COACH, COACH,
        values(cycle_id=cycle, focus_area_id="danielson-2b", note=SECRET_NOTE), TODAY,
    ).result
    app.correct_entry(AS_COACH, entry_id, {"category_id": "covering-classes",
                                           "end": time(11)}, SECRET_REASON, TODAY)
    app.correct_entry(AS_COACH, entry_id, {"worked_on": MONDAY + timedelta(days=1)},
                      SECRET_REASON, TODAY)
    app.void_entry(AS_COACH, entry_id, SECRET_REASON)
    bodies = [b for b in published(app) if b["event_type"].startswith("TimeEntry")]
    assert [b["event_type"] for b in bodies] == [
        "TimeEntryRecorded", "TimeEntryCorrected", "TimeEntryCorrected", "TimeEntryVoided"]
    recorded, corrected, moved, voided = (b["payload"] for b in bodies)
    assert recorded == {
        "entry_id": str(entry_id), "coach_id": str(COACH), "school_id": str(SCHOOL),
        "worked_on": "2026-10-05", "minutes": 60, "category_id": "co-planning",
        "category_kind": "coaching", "cycle_id": str(cycle), "focus_area_id": "danielson-2b",
    }
    assert (corrected["minutes"], corrected["category_id"], corrected["category_kind"]) == (
        120, "covering-classes", "other")
    assert (moved["entry_id"], moved["worked_on"]) == (str(entry_id), "2026-10-06")
    assert voided == {"entry_id": str(entry_id), "coach_id": str(COACH),
                      "worked_on": "2026-10-06"}
    assert all(b["actor"] == {"id": str(COACH), "role": "coach"} for b in bodies)
    everything = json.dumps(published(app))
    assert SECRET_NOTE not in everything and SECRET_REASON not in everything


def test_the_category_list_travels_with_its_kinds(app: TimeTracking) -> None:
    app.add_category(LEADER, "Lab walkthroughs", "coaching")
    app.rename_category(LEADER, "lab-walkthroughs", "Lab classroom walkthroughs")
    app.retire_category(LEADER, "lab-walkthroughs")
    bodies = published(app)
    assert [b["event_type"] for b in bodies] == ["CategoryAdded"] * 13 + [
        "CategoryRenamed", "CategoryRetired"]
    assert bodies[0]["payload"] == {"category_id": "coaching-cycle",
                                    "label": "Coaching cycle work (one-on-one)",
                                    "kind": "coaching"}
    assert bodies[0]["actor"] is None  # the defaults come with the platform
    assert bodies[12]["payload"]["kind"] == "coaching"
    assert bodies[12]["actor"] == {"id": str(LEADER.id), "role": "district_leader"}
    assert bodies[-2]["payload"] == {"category_id": "lab-walkthroughs",
                                     "label": "Lab classroom walkthroughs"}
    assert bodies[-1]["payload"] == {"category_id": "lab-walkthroughs"}


def test_days_and_locations_are_not_published(app: TimeTracking) -> None:
    app.category_list()
    before = len(published(app))
    app.record_entry(AS_COACH, COACH, values(), TODAY)
    # Stored: the day opened, the entry, its location. Published: the entry only.
    assert app.recorder.max_notification_id() == TIME_ROSTER_EVENTS + 13 + 3
    assert len(published(app)) == before + 1


def test_forgetting_the_coach_erases_notes_and_reasons_and_changes_nothing_published(
        app: TimeTracking) -> None:
    """The note and the reasons are sealed with the coach's key (``coachops.privacy``):
    erased with it, while the entries, and every event published from them, stand."""
    entry_id = app.record_entry(AS_COACH, COACH, values(note=SECRET_NOTE), TODAY).result
    app.correct_entry(AS_COACH, entry_id, {"end": time(11)}, SECRET_REASON, TODAY)
    before = published(app)
    stored = "".join(n.state.decode() for n in app.recorder.select_notifications(1, 10_000))
    assert SECRET_NOTE not in stored and SECRET_REASON not in stored
    assert app.coach_day(AS_COACH, COACH, MONDAY).entries[entry_id].values.note == SECRET_NOTE

    assert app.erase_person(COACH) == 1

    entry = app.coach_day(AS_COACH, COACH, MONDAY).entries[entry_id]
    assert entry.values.note == ERASED and entry.values.minutes == 120
    assert [c.reason for c in entry.history] == [None, ERASED]
    assert published(app) == before
