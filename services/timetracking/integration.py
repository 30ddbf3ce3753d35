"""What the time-tracking service tells the rest of the district: ids, dates, minutes,
categories and their kind.

A coach's private note, and the reasons given for corrections and voids, never leave
this service's store: each payload below is written out field by field, on purpose.
"""

from __future__ import annotations

from typing import Any

from coachops.contracts import Outgoing
from services.timetracking.domain import CategoryList, CoachDay


def _entry(event: Any) -> dict[str, Any]:
    values = event.values
    return {
        "entry_id": event.entry_id,
        "coach_id": event.coach_id,
        "school_id": values.school_id,
        "worked_on": values.worked_on,
        "minutes": values.minutes,
        "category_id": values.category_id,
        "category_kind": event.category_kind,
        "cycle_id": values.cycle_id,
        "focus_area_id": values.focus_area_id,
    }


# The domain events that stand for an integration event: the relay does not even decode
# the others (``coachops.bus.relay.may_translate``), a day's opening, an entry's location
# and its client ids, which are two thirds of what a batch stores.
TRANSLATED: tuple[type, ...] = (
    CoachDay.EntryRecorded, CoachDay.EntryCorrected, CoachDay.EntryMovedIn,
    CoachDay.EntryVoided, CategoryList.Added, CategoryList.Renamed, CategoryList.Retired,
)


def to_integration(event: Any) -> Outgoing | None:
    if not isinstance(event, TRANSLATED):
        return None
    if isinstance(event, CoachDay.EntryRecorded):
        return Outgoing("TimeEntryRecorded", 1, _entry(event), actor=event.actor)
    if isinstance(event, (CoachDay.EntryCorrected, CoachDay.EntryMovedIn)):
        return Outgoing("TimeEntryCorrected", 1, _entry(event), actor=event.actor)
    if isinstance(event, CoachDay.EntryVoided):
        return Outgoing(
            "TimeEntryVoided", 1,
            {"entry_id": event.entry_id, "coach_id": event.coach_id,
             "worked_on": event.worked_on},
            actor=event.actor,
        )
    if isinstance(event, CategoryList.Added):
        return Outgoing(
            "CategoryAdded", 1,
            {"category_id": event.category_id, "label": event.label, "kind": event.kind},
            actor=event.actor,
        )
    if isinstance(event, CategoryList.Renamed):
        return Outgoing("CategoryRenamed", 1,
                        {"category_id": event.category_id, "label": event.label},
                        actor=event.actor)
    if isinstance(event, CategoryList.Retired):
        return Outgoing("CategoryRetired", 1, {"category_id": event.category_id},
                        actor=event.actor)
    # Opened days and lists, an entry moving out (it is corrected on the day it moved
    # to) and where entries live are this service's own business.
    return None


# The function's own attribute, read by the relay (``coachops.bus.relay.may_translate``).
to_integration.translates = TRANSLATED  # type: ignore[attr-defined]
