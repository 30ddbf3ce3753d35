"""Pure folds: the current fact of one time entry, cycle or agreement, from its events.

Each fold takes every event received for one entity (JSON-form payloads, sorted by the
source's position, which is its commit order) and returns the fact the read model keeps.
Recomputing a fact from all its events, instead of patching it event by event, is what
makes corrections, voids, redeliveries and out-of-order arrivals right by construction:
whatever arrived, in whatever order, the fact is the fold of the events sorted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TIME_EVENTS = ("TimeEntryRecorded", "TimeEntryCorrected", "TimeEntryVoided")
CATEGORY_EVENTS = ("CategoryAdded", "CategoryRenamed", "CategoryRetired")
CYCLE_EVENTS = (
    "CycleProposed", "CycleStarted", "CycleDeclined", "PartnershipNormsAgreed",
    "CyclePhaseChanged", "GoalRevised", "CalendarItemScheduled", "CalendarItemRescheduled",
    "CalendarItemCancelled", "CalendarItemDone", "ObservationLogged", "DebriefHeld",
    "NextStepAdded", "NextStepCompleted", "NextStepDropped", "CycleClosed", "CycleReopened",
    "CycleWithdrawnFromReporting",
)
ROSTER_EVENTS = (
    "RegionDefined", "SchoolDefined", "SchoolAssignedToRegion", "CoachAssignedToSchool",
    "CoachUnassignedFromSchool", "TeacherAssignedToSchool", "TeacherUnassignedFromSchool",
    "PrincipalChanged", "CltRepresentativeChanged", "DistrictLeaderAppointed",
    "DistrictLeaderLeft", "StaffMemberNamed", "PersonForgotten",
)
AGREEMENT_EVENTS = (
    "CoachingAgreementDrafted", "CoachingAgreementRevised", "CoachingAgreementSigned",
    "CheckInRecorded",
)
CONSUMED = {
    "timetracking": TIME_EVENTS + CATEGORY_EVENTS,
    "cycles": CYCLE_EVENTS,
    "agreements": ROSTER_EVENTS + AGREEMENT_EVENTS,
}

Payloads = Iterable[tuple[str, dict[str, Any]]]  # (event_type, payload), in position order


@dataclass(frozen=True)
class TimeFact:
    entry_id: str
    coach_id: str
    school_id: str
    worked_on: str
    minutes: int
    category_id: str
    category_kind: str
    cycle_id: str | None
    focus_area_id: str | None


def fold_time_entry(events: Payloads) -> TimeFact | None:
    """The entry as it counts now: the last recorded or corrected values; None once voided
    (a void is final: the store never revives a voided entry)."""
    fact: TimeFact | None = None
    voided = False
    for event_type, p in events:
        if event_type == "TimeEntryVoided":
            voided = True
        elif event_type in ("TimeEntryRecorded", "TimeEntryCorrected"):
            fact = TimeFact(
                entry_id=p["entry_id"], coach_id=p["coach_id"], school_id=p["school_id"],
                worked_on=p["worked_on"], minutes=int(p["minutes"]),
                category_id=p["category_id"], category_kind=p["category_kind"],
                cycle_id=p.get("cycle_id"), focus_area_id=p.get("focus_area_id"),
            )
    return None if voided else fact


@dataclass
class CycleFact:
    cycle_id: str
    coach_id: str = ""
    school_id: str = ""
    status: str = "proposed"  # proposed | active | declined | closed
    phase: str | None = None
    focus_area_ids: tuple[str, ...] = ()
    teacher_ids: tuple[str, ...] = ()
    started_on: str | None = None
    closed_on: str | None = None
    outcome: str | None = None
    next_steps_complete: int = 0
    next_steps_total: int = 0


def fold_cycle(cycle_id: str, events: Payloads) -> CycleFact | None:
    fact = CycleFact(cycle_id=cycle_id)
    seen = False
    for event_type, p in events:
        if event_type == "CycleWithdrawnFromReporting":
            return None  # consent withdrawn: counted nowhere, however it began
        seen = True
        fact.coach_id = p.get("coach_id", fact.coach_id)
        fact.school_id = p.get("school_id", fact.school_id)
        if "focus_area_ids" in p and p["focus_area_ids"] is not None:
            fact.focus_area_ids = tuple(p["focus_area_ids"])
        if "phase" in p:
            fact.phase = p["phase"]
        if event_type == "CycleStarted":
            fact.status = "active"
            fact.teacher_ids = tuple(p["teacher_ids"])
            fact.started_on = p["started_on"]
        elif event_type == "CycleDeclined":
            fact.status = "declined"
        elif event_type == "CyclePhaseChanged":
            fact.phase = p["to_phase"]
        elif event_type == "GoalRevised":
            fact.phase = "plan"
        elif event_type == "CycleClosed":
            fact.status, fact.closed_on, fact.outcome = "closed", p["closed_on"], p["outcome"]
        elif event_type == "CycleReopened":
            fact.status, fact.closed_on, fact.outcome = "active", None, None
        elif event_type.startswith("NextStep"):
            # Each carries the cycle's counts after it; the last one (by position) holds.
            fact.next_steps_complete = int(p["complete_count"])
            fact.next_steps_total = int(p["total_count"])
    return fact if seen else None


@dataclass
class AgreementVersion:
    agreement_id: str
    version: int
    coach_id: str
    school_id: str
    school_year: int
    focus_area_ids: tuple[str, ...]
    check_in_every_weeks: int | None = None
    in_force: bool = False
    effective_on: str | None = None


@dataclass(frozen=True)
class CheckIn:
    agreement_id: str
    held_on: str
    next_due_on: str


def fold_agreement(
    events: Payloads,
) -> tuple[dict[int, AgreementVersion], list[CheckIn]]:
    """Every version of one agreement (in force once both signed) and its check-ins."""
    versions: dict[int, AgreementVersion] = {}
    check_ins: list[CheckIn] = []
    for event_type, p in events:
        if event_type == "CheckInRecorded":
            check_ins.append(CheckIn(p["agreement_id"], p["held_on"], p["next_due_on"]))
            continue
        number = int(p["version"])
        version = versions.get(number) or AgreementVersion(
            agreement_id=p["agreement_id"], version=number, coach_id=p["coach_id"],
            school_id=p["school_id"], school_year=int(p["school_year"]),
            focus_area_ids=tuple(p["focus_area_ids"]),
        )
        version.focus_area_ids = tuple(p["focus_area_ids"])
        if "check_in_every_weeks" in p:
            version.check_in_every_weeks = int(p["check_in_every_weeks"])
        if event_type == "CoachingAgreementSigned" and p["in_force"]:
            version.in_force = True
            version.effective_on = p["effective_on"]
        versions[number] = version
    return versions, check_ins
