"""What the cycles service tells the rest of the district: ids, phases, dates, durations,
counts and categories (``coachops/contracts/cycles.py``).

The goal, norms, notes, observation data, debrief content, the progress rating and names
never leave this service's store: each payload below is written out field by field, on
purpose, and ``tests/unit/cycles/test_privacy.py`` runs every event through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coachops.contracts import Outgoing
from services.cycles.domain import Cycle

Payload = dict[str, Any]


def _cycle(event: Any) -> Payload:
    return {"cycle_id": event.originator_id, "coach_id": event.coach_id,
            "school_id": event.school_id}


def _proposed(event: Any) -> Payload:  # a Cycle.Proposed
    return {**_cycle(event), "teacher_count": len(event.teacher_ids),
            "focus_area_ids": event.focus_area_ids, "phase": "plan",
            # An imported cycle was its coach's proposal (district IT entered it).
            "proposed_by": ("coach" if getattr(event, "source", "live") == "imported"
                            else event.actor.role.value),
            "proposed_on": event.proposed_on}


def _started(event: Any) -> Payload:
    return {**_cycle(event), "teacher_ids": event.teacher_ids,
            "focus_area_ids": event.focus_area_ids, "phase": event.phase,
            "started_on": event.started_on}


def _declined(event: Any) -> Payload:
    return {**_cycle(event), "focus_area_ids": event.focus_area_ids,
            "declined_on": event.declined_on}


def _norms(event: Any) -> Payload:
    return {**_cycle(event), "norm_count": len(event.norms),
            "agreement_id": event.agreement_id, "agreed_on": event.agreed_on}


def _phase_changed(event: Any) -> Payload:
    return {**_cycle(event), "from_phase": event.from_phase, "to_phase": event.to_phase,
            "cause": event.cause, "changed_on": event.changed_on}


def _goal_revised(event: Any) -> Payload:
    return {**_cycle(event), "focus_area_ids": event.focus_area_ids,
            "revised_on": event.revised_on}


def _item(event: Any) -> Payload:
    return {**_cycle(event), "item_id": event.item_id, "kind": event.kind}


def _item_timed(event: Any) -> Payload:
    return {**_item(event), "starts_at": event.starts_at, "duration_minutes": event.minutes}


def _item_cancelled(event: Any) -> Payload:
    return {**_item(event), "cancelled_on": event.cancelled_on}


def _item_done(event: Any) -> Payload:
    return {**_item(event), "done_on": event.done_on, "duration_minutes": event.minutes}


def _observation(event: Any) -> Payload:
    return {**_cycle(event), "observation_id": event.observation_id,
            "observed_on": event.observed_on, "tool": event.tool,
            "duration_minutes": event.minutes, "phase": event.phase}


def _debrief(event: Any) -> Payload:
    return {**_cycle(event), "debrief_id": event.debrief_id, "held_on": event.held_on,
            "duration_minutes": event.minutes, "observation_count": len(event.observation_ids),
            "keeper_count": len(event.keepers), "polisher_count": len(event.polishers),
            "phase": event.phase}


def _step(event: Any) -> Payload:
    return {**_cycle(event), "step_id": event.step_id, "owner_role": event.owner_role,
            "complete_count": event.complete_count, "total_count": event.total_count}


def _step_added(event: Any) -> Payload:
    return {**_step(event), "due_on": event.due_on}


def _step_completed(event: Any) -> Payload:
    return {**_step(event), "completed_on": event.completed_on}


def _step_dropped(event: Any) -> Payload:
    return {**_step(event), "dropped_on": event.dropped_on}


def _withdrawn(event: Any) -> Payload:
    return {**_cycle(event), "withdrawn_on": event.withdrawn_on}


def _closed(event: Any) -> Payload:
    return {**_cycle(event), "outcome": event.outcome, "closed_on": event.closed_on,
            "phase": event.phase, "focus_area_ids": event.focus_area_ids}


def _reopened(event: Any) -> Payload:
    return {**_cycle(event), "reopened_on": event.reopened_on, "phase": event.phase,
            "focus_area_ids": event.focus_area_ids}


# domain event -> (contract name, version, payload)
PUBLISHED: dict[type, tuple[str, int, Callable[[Any], Payload]]] = {
    Cycle.Proposed: ("CycleProposed", 1, _proposed),
    Cycle.Started: ("CycleStarted", 1, _started),
    Cycle.Declined: ("CycleDeclined", 1, _declined),
    Cycle.NormsAgreed: ("PartnershipNormsAgreed", 1, _norms),
    Cycle.PhaseChanged: ("CyclePhaseChanged", 1, _phase_changed),
    Cycle.GoalRevised: ("GoalRevised", 1, _goal_revised),
    Cycle.ItemScheduled: ("CalendarItemScheduled", 1, _item_timed),
    Cycle.ItemRescheduled: ("CalendarItemRescheduled", 1, _item_timed),
    Cycle.ItemCancelled: ("CalendarItemCancelled", 1, _item_cancelled),
    Cycle.ItemDone: ("CalendarItemDone", 1, _item_done),
    Cycle.ObservationLogged: ("ObservationLogged", 1, _observation),
    Cycle.DebriefHeld: ("DebriefHeld", 1, _debrief),
    Cycle.NextStepAdded: ("NextStepAdded", 1, _step_added),
    Cycle.NextStepCompleted: ("NextStepCompleted", 1, _step_completed),
    Cycle.NextStepDropped: ("NextStepDropped", 1, _step_dropped),
    Cycle.Closed: ("CycleClosed", 1, _closed),
    Cycle.Reopened: ("CycleReopened", 1, _reopened),
    Cycle.WithdrawnFromReporting: ("CycleWithdrawnFromReporting", 1, _withdrawn),
}

# Said without who said it: a teacher's "no", and their withdrawn consent, are theirs.
ANONYMOUS = frozenset({Cycle.Declined, Cycle.WithdrawnFromReporting})


def to_integration(event: Any) -> Outgoing | None:
    """The integration event one stored event stands for, or None. A teacher accepting or
    leaving a group proposal is told by ``CycleStarted`` and ``CycleDeclined``; caseloads
    are this service's own index."""
    published = PUBLISHED.get(type(event))
    if published is None:
        return None
    name, version, payload = published
    actor = None if type(event) in ANONYMOUS else event.actor
    return Outgoing(name, version, payload(event), actor=actor)
