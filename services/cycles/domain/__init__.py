"""The coaching cycle, as event-sourced aggregates. Pure: no I/O, and no clock (the
district's ``today`` and the instant ``now`` are passed in).

Why one aggregate per cycle
---------------------------
Every rule of a cycle (who may write it, what a closed cycle allows, which phase it is
in, whether a step is still open) is checked against that cycle alone, and a cycle lives
for weeks with tens of events: its calendar, observations, debriefs and next steps are
entities inside it. Two workers changing one cycle race for the same aggregate version;
the loser reloads and decides again (``services/cycles/app.py``), so no update is lost.

Coaching is voluntary
---------------------
A coach's start is a *proposal* (``Proposed``): nothing can be written on it until every
teacher named has accepted, and then the cycle is ``Started``. A teacher who starts a
cycle has accepted it by starting it. A teacher who declines leaves the proposal; when
the last one declines, it is closed as ``Declined`` for good (a new proposal is a new
cycle). The coach writes the cycle; its teachers accept, decline, complete their own next
steps and read it; nobody else does anything with it here.

Coaching is confidential
------------------------
The goal, norms, notes, observation data and debrief content are stored in these events
and shown only to the cycle's coach and teachers. Events also carry the cycle's coach
and school ids, so that ``integration.py`` can say what happened to the rest of the
district in ids, dates, phases and counts, without ever reading content.

Sent again from an app that was offline
---------------------------------------
A coach's app queues commands in a classroom without Wi-Fi and sends them when it is back
online, each with an id of its own (``client_id``); after a time-out it sends the batch
again. A command sent with a client id ends with ``ClientCommandApplied`` in the same
save as the events it caused, so the cycle itself remembers it: sent again, it changes
nothing and answers as it did the first time (the cycle as it stood then, replayed to
that version). A proposal sent from an app gets an id made from its client id
(``synced_cycle_id``), so a second sending finds the cycle already there.

Event methods (``@event``) only apply; every check is made before one is triggered,
because event bodies run again on every replay.
"""
from __future__ import annotations

from coachops.privacy import Personal
from services.cycles.domain.caseload import Caseload, Read, ReadLog, caseload_id, read_log_id
from services.cycles.domain.cycle import Cycle, synced_cycle_id
from services.cycles.domain.rules import (
    BUILT_IN_TOOLS,
    DISTRICT_TOOL,
    MAX_TEXT,
    check_focus_areas,
    check_goal,
    check_tool,
)
from services.cycles.domain.values import (
    NAMESPACE,
    OBSERVED_KINDS,
    Applied,
    CalendarItem,
    Cause,
    Closing,
    Debrief,
    Goal,
    ItemKind,
    ItemStatus,
    NextStep,
    Norms,
    Observation,
    Outcome,
    Phase,
    Progress,
    Status,
    StepStatus,
)

# The aggregates' stored events name them "services.cycles.domain:Cycle.Proposed" and so
# on (``__module__`` in each class), whichever module of this package defines them.
__all__ = [
    "BUILT_IN_TOOLS", "DISTRICT_TOOL", "MAX_TEXT", "NAMESPACE", "OBSERVED_KINDS",
    "PERSONAL_DATA", "Applied", "CalendarItem", "Caseload", "Cause", "Closing", "Cycle",
    "Debrief", "Goal", "ItemKind", "ItemStatus", "NextStep", "Norms", "Observation",
    "Outcome", "Phase", "Progress", "Read", "ReadLog", "Status", "StepStatus",
    "caseload_id", "check_focus_areas", "check_goal", "check_tool", "read_log_id",
    "synced_cycle_id",
]

# What the teacher and the coach wrote or collected: sealed in the store with the cycle's
# own key, which is destroyed when a person in the cycle is forgotten (``coachops.privacy``).
PERSONAL_DATA: dict[type, Personal] = {
    Cycle.Proposed: Personal("goal.what", "goal.measure"),
    Cycle.GoalRevised: Personal("goal.what", "goal.measure"),
    Cycle.NormsAgreed: Personal("norms"),
    Cycle.ObservationLogged: Personal("data", "notes"),
    Cycle.DebriefHeld: Personal("evidence", "keepers", "polishers", "progress_text"),
    Cycle.NextStepAdded: Personal("text"),
    Cycle.Closed: Personal("evidence"),
}
