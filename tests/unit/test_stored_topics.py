"""The topics of the stored events: every event in a service's store names its class as
"module:QualName" (``eventsourcing.utils.get_topic``), so moving a class must leave its
topic where it was. These are the topics as they stood when the domains were one module
each; the stores hold them, so each must still resolve, to the class that still writes it."""

from __future__ import annotations

import importlib
import inspect

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, resolve_topic

STORED = [
    "services.cycles.domain:Cycle",
    "services.cycles.domain:Cycle.Accepted",
    "services.cycles.domain:Cycle.ClientCommandApplied",
    "services.cycles.domain:Cycle.Closed",
    "services.cycles.domain:Cycle.Created",
    "services.cycles.domain:Cycle.DebriefHeld",
    "services.cycles.domain:Cycle.Declined",
    "services.cycles.domain:Cycle.Event",
    "services.cycles.domain:Cycle.GoalRevised",
    "services.cycles.domain:Cycle.ItemCancelled",
    "services.cycles.domain:Cycle.ItemDone",
    "services.cycles.domain:Cycle.ItemRescheduled",
    "services.cycles.domain:Cycle.ItemScheduled",
    "services.cycles.domain:Cycle.NextStepAdded",
    "services.cycles.domain:Cycle.NextStepCompleted",
    "services.cycles.domain:Cycle.NextStepDropped",
    "services.cycles.domain:Cycle.NormsAgreed",
    "services.cycles.domain:Cycle.ObservationLogged",
    "services.cycles.domain:Cycle.PhaseChanged",
    "services.cycles.domain:Cycle.Proposed",
    "services.cycles.domain:Cycle.Reopened",
    "services.cycles.domain:Cycle.Started",
    "services.cycles.domain:Cycle.TeacherDeclined",
    "services.cycles.domain:Cycle.WithdrawnFromReporting",
    "services.cycles.domain:Caseload",
    "services.cycles.domain:Caseload.Created",
    "services.cycles.domain:Caseload.CycleAdded",
    "services.cycles.domain:Caseload.Event",
    "services.cycles.domain:Caseload.Opened",
    "services.cycles.domain:ReadLog",
    "services.cycles.domain:ReadLog.ContentRead",
    "services.cycles.domain:ReadLog.Created",
    "services.cycles.domain:ReadLog.Event",
    "services.cycles.domain:ReadLog.Opened",
    "services.cycles.roster:RosterFacts",
    "services.cycles.roster:RosterFacts.Created",
    "services.cycles.roster:RosterFacts.Event",
    "services.cycles.roster:RosterFacts.Learned",
    "services.cycles.roster:RosterFacts.Opened",
    "services.timetracking.domain:CategoryList",
    "services.timetracking.domain:CategoryList.Added",
    "services.timetracking.domain:CategoryList.Created",
    "services.timetracking.domain:CategoryList.Event",
    "services.timetracking.domain:CategoryList.Opened",
    "services.timetracking.domain:CategoryList.Renamed",
    "services.timetracking.domain:CategoryList.Retired",
    "services.timetracking.domain:CoachAssignments",
    "services.timetracking.domain:CoachAssignments.Created",
    "services.timetracking.domain:CoachAssignments.Event",
    "services.timetracking.domain:CoachAssignments.Learned",
    "services.timetracking.domain:CoachAssignments.Opened",
    "services.timetracking.domain:CoachDay",
    "services.timetracking.domain:CoachDay.Created",
    "services.timetracking.domain:CoachDay.EntryCorrected",
    "services.timetracking.domain:CoachDay.EntryMovedIn",
    "services.timetracking.domain:CoachDay.EntryMovedOut",
    "services.timetracking.domain:CoachDay.EntryRecorded",
    "services.timetracking.domain:CoachDay.EntrySuggested",
    "services.timetracking.domain:CoachDay.EntryVoided",
    "services.timetracking.domain:CoachDay.Event",
    "services.timetracking.domain:CoachDay.Opened",
    "services.timetracking.domain:CoachDay.SuggestionConfirmed",
    "services.timetracking.domain:CoachDay.SuggestionDismissed",
    "services.timetracking.domain:EntryLocation",
    "services.timetracking.domain:EntryLocation.ClientCommandApplied",
    "services.timetracking.domain:EntryLocation.Created",
    "services.timetracking.domain:EntryLocation.Event",
    "services.timetracking.domain:EntryLocation.Moved",
    "services.timetracking.domain:EntryLocation.Placed",
    "services.agreements.domain:CoachingAgreement",
    "services.agreements.domain:CoachingAgreement.CheckInRecorded",
    "services.agreements.domain:CoachingAgreement.Created",
    "services.agreements.domain:CoachingAgreement.Drafted",
    "services.agreements.domain:CoachingAgreement.Event",
    "services.agreements.domain:CoachingAgreement.Revised",
    "services.agreements.domain:CoachingAgreement.Signed",
    "services.agreements.domain:PartnershipAgreement",
    "services.agreements.domain:PartnershipAgreement.Agreed",
    "services.agreements.domain:PartnershipAgreement.Created",
    "services.agreements.domain:PartnershipAgreement.Drafted",
    "services.agreements.domain:PartnershipAgreement.Event",
    "services.agreements.roster:Region",
    "services.agreements.roster:Region.Created",
    "services.agreements.roster:Region.Defined",
    "services.agreements.roster:Region.Event",
    "services.agreements.roster:Region.Relabelled",
    "services.agreements.roster:Region.RepresentativeChanged",
    "services.agreements.roster:School",
    "services.agreements.roster:School.AssignedToRegion",
    "services.agreements.roster:School.CoachAssigned",
    "services.agreements.roster:School.CoachUnassigned",
    "services.agreements.roster:School.Created",
    "services.agreements.roster:School.Defined",
    "services.agreements.roster:School.Event",
    "services.agreements.roster:School.PrincipalChanged",
    "services.agreements.roster:School.Relabelled",
    "services.agreements.roster:School.TeacherAssigned",
    "services.agreements.roster:School.TeacherLeft",
    "services.agreements.roster:District",
    "services.agreements.roster:District.Created",
    "services.agreements.roster:District.Defined",
    "services.agreements.roster:District.Event",
    "services.agreements.roster:District.ItAdminAppointed",
    "services.agreements.roster:District.ItAdminLeft",
    "services.agreements.roster:District.LeaderAppointed",
    "services.agreements.roster:District.LeaderLeft",
    "services.agreements.roster:Person",
    "services.agreements.roster:Person.Created",
    "services.agreements.roster:Person.Event",
    "services.agreements.roster:Person.Forgotten",
    "services.agreements.roster:Person.Registered",
    "services.agreements.roster:Person.Updated",
    "services.agreements.imports:RosterImport",
    "services.agreements.imports:RosterImport.Created",
    "services.agreements.imports:RosterImport.Done",
    "services.agreements.imports:RosterImport.Event",
    "services.agreements.imports:RosterImport.Failed",
    "services.agreements.imports:RosterImport.Progressed",
    "services.agreements.imports:RosterImport.Queued",
    "services.agreements.imports:RosterImport.Started",
]

# The modules the topics name: the ones the services import their aggregates from.
MODULES = sorted({topic.partition(":")[0] for topic in STORED})


@pytest.mark.parametrize("topic", STORED)
def test_a_stored_topic_resolves_to_the_class_that_writes_it(topic: str) -> None:
    found = resolve_topic(topic)
    assert inspect.isclass(found)
    assert get_topic(found) == topic


def test_every_aggregate_and_event_writes_a_stored_topic() -> None:
    written: set[str] = set()
    for name in MODULES:
        for value in vars(importlib.import_module(name)).values():
            if inspect.isclass(value) and issubclass(value, Aggregate) and value is not Aggregate:
                written.add(get_topic(value))
                written.update(get_topic(event) for event in vars(value).values()
                               if inspect.isclass(event) and issubclass(event, Aggregate.Event))
    assert written == set(STORED)
