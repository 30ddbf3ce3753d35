"""Where coaches' time goes, as event-sourced aggregates. Pure: no I/O, and no clock
(the district's ``today`` is passed in).

Why one aggregate per coach per day (``CoachDay``)
--------------------------------------------------
The rules that span entries (a coach's entries never overlap; a coach never logs more
than 24 hours in a day) only ever compare entries of one coach on one date. An aggregate
is the boundary inside which a rule is checked against a consistent state, so a coach's
day is the smallest aggregate that keeps both rules true under concurrency: two devices
syncing entries for the same day race for the same aggregate version, the loser reloads
and checks again, and neither can slip an overlap past the other. One aggregate per
coach would be just as consistent, but every command would replay the coach's whole
history (thousands of events a year), and edits to different days would conflict for
nothing. A day stays at tens of events.

An entry keeps its ``entry_id`` for life. A correction that changes its date moves it
from one day to the other (``EntryMovedOut`` there, ``EntryMovedIn`` here, saved in one
transaction), and an ``EntryLocation`` keyed by the entry id says which day holds it
now, so a correction or a void names the entry alone.

A coach's app that was offline sends its queued commands with ids of its own
(``client_id``), and sends them again after a time-out. The ``EntryLocation`` remembers
the client ids of the commands applied to its entry, saved in the same transaction as
their events, so a command sent again changes nothing; an entry recorded from an app
without an ``entry_id`` gets one made from its client id (``synced_entry_id``), so a
second sending finds it.

Calendar items a coach marks done in a cycle (``CalendarItemDone`` from the cycles
service) become suggested entries on that coach's day, keyed by the item's id, so the
same event delivered twice suggests once. Confirming one records a real entry under
every rule, in the same aggregate and the same save: no double entry.

The category list is one ``CategoryList`` per deployment (a deployment serves one
district) with a fixed id, seeded with defaults. Categories are added, renamed and
retired, never deleted: an old entry always finds its category.
"""

from __future__ import annotations

from coachops.privacy import Personal
from services.timetracking.domain.assignments import CoachAssignments
from services.timetracking.domain.categories import (
    CATEGORY_ID,
    DEFAULT_CATEGORIES,
    MANAGERS,
    MAX_LABEL,
    Category,
    CategoryList,
    Kind,
    slug,
)
from services.timetracking.domain.day import MAX_REASON, MINUTES_IN_A_DAY, CoachDay
from services.timetracking.domain.entries import (
    CORRECTABLE,
    DEFAULT_SUGGESTED_CATEGORY,
    SUGGESTED_CATEGORY,
    Change,
    Entry,
    EntryValues,
    Suggestion,
    hhmm,
    length,
    minute_of_day,
    require_own,
)
from services.timetracking.domain.ids import (
    CATEGORY_LIST_ID,
    NAMESPACE,
    assignments_id,
    day_id,
    synced_entry_id,
)
from services.timetracking.domain.location import EntryLocation
from services.timetracking.domain.totals import CategoryTotal, Totals, totals

# The aggregates' stored events name them "services.timetracking.domain:CoachDay.Opened"
# and so on (``__module__`` in each class), whichever module of this package defines them.
__all__ = [
    "CATEGORY_ID", "CATEGORY_LIST_ID", "CORRECTABLE", "DEFAULT_CATEGORIES",
    "DEFAULT_SUGGESTED_CATEGORY", "MANAGERS", "MAX_LABEL", "MAX_REASON", "MINUTES_IN_A_DAY",
    "NAMESPACE", "PERSONAL_DATA", "SUGGESTED_CATEGORY", "Category", "CategoryList",
    "CategoryTotal", "Change", "CoachAssignments", "CoachDay", "Entry", "EntryLocation",
    "EntryValues", "Kind", "Suggestion", "Totals", "assignments_id", "day_id", "hhmm",
    "length", "minute_of_day", "require_own", "slug", "synced_entry_id", "totals",
]

# A coach's note and the reasons they give are theirs: sealed with the coach's key, so
# forgetting the coach forgets them (``coachops.privacy``). Times and minutes stay.
PERSONAL_DATA: dict[type, Personal] = {
    CoachDay.EntryRecorded: Personal("values.note", subject="coach_id"),
    CoachDay.EntryCorrected: Personal("values.note", "reason", subject="coach_id"),
    CoachDay.EntryMovedIn: Personal("values.note", "reason", subject="coach_id"),
    CoachDay.EntryMovedOut: Personal("reason", subject="coach_id"),
    CoachDay.EntryVoided: Personal("reason", subject="coach_id"),
}
