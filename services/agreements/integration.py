"""What the agreements service tells the rest of the district: roster facts with the date
each takes effect, and agreements as ids, versions, focus-area ids and dates.

Names, emails, a focus area's wording, the coach's role as written, check-in notes and
partnership norms never leave this store: each payload below is written out field by
field, on purpose.
"""

from __future__ import annotations

from typing import Any

from coachops.contracts import Outgoing
from services.agreements.domain import CoachingAgreement
from services.agreements.roster import District, Person, Region, School


def _agreement(event: Any, version: int, terms: Any) -> dict[str, Any]:
    return {"agreement_id": event.originator_id, "coach_id": event.coach_id,
            "school_id": event.school_id, "school_year": event.school_year,
            "version": version, "focus_area_ids": terms.focus_area_ids}


def to_integration(event: Any) -> Outgoing | None:
    payload: dict[str, Any]
    if isinstance(event, Region.Defined):
        return Outgoing("RegionDefined", 1, {"region_id": event.originator_id,
                                             "label": event.label})
    if isinstance(event, Region.Relabelled):
        return Outgoing("RegionDefined", 1, {"region_id": event.originator_id,
                                             "label": event.label})
    if isinstance(event, Region.RepresentativeChanged):
        return Outgoing("CltRepresentativeChanged", 1, {
            "region_id": event.originator_id, "representative_id": event.representative_id,
            "effective_on": event.effective_on})
    if isinstance(event, (School.Defined, School.Relabelled)):
        return Outgoing("SchoolDefined", 1, {"school_id": event.originator_id,
                                             "label": event.label})
    if isinstance(event, School.AssignedToRegion):
        return Outgoing("SchoolAssignedToRegion", 1, {
            "school_id": event.originator_id, "region_id": event.region_id,
            "effective_on": event.effective_on})
    if isinstance(event, School.PrincipalChanged):
        return Outgoing("PrincipalChanged", 1, {
            "school_id": event.originator_id, "principal_id": event.principal_id,
            "effective_on": event.effective_on})
    if isinstance(event, (School.CoachAssigned, School.CoachUnassigned)):
        name = ("CoachAssignedToSchool" if isinstance(event, School.CoachAssigned)
                else "CoachUnassignedFromSchool")
        return Outgoing(name, 1, {"coach_id": event.coach_id, "school_id": event.originator_id,
                                  "effective_on": event.effective_on})
    if isinstance(event, (School.TeacherAssigned, School.TeacherLeft)):
        name = ("TeacherAssignedToSchool" if isinstance(event, School.TeacherAssigned)
                else "TeacherUnassignedFromSchool")
        return Outgoing(name, 1, {"teacher_id": event.teacher_id,
                                  "school_id": event.originator_id,
                                  "effective_on": event.effective_on})
    if isinstance(event, (District.LeaderAppointed, District.LeaderLeft)):
        name = ("DistrictLeaderAppointed" if isinstance(event, District.LeaderAppointed)
                else "DistrictLeaderLeft")
        return Outgoing(name, 1, {"leader_id": event.leader_id,
                                  "effective_on": event.effective_on})
    if isinstance(event, Person.Forgotten):
        return Outgoing("PersonForgotten", 1, {"person_id": event.originator_id,
                                               "forgotten_on": event.forgotten_on})
    if isinstance(event, CoachingAgreement.Drafted):
        payload = _agreement(event, 1, event.terms)
        payload["check_in_every_weeks"] = event.terms.check_in_every_weeks
        return Outgoing("CoachingAgreementDrafted", 1, payload, actor=event.actor)
    # The relay hands over one event at a time: each agreement event repeats its facts.
    if isinstance(event, CoachingAgreement.Revised):
        payload = _agreement(event, event.number, event.terms)
        payload["check_in_every_weeks"] = event.terms.check_in_every_weeks
        return Outgoing("CoachingAgreementRevised", 1, payload, actor=event.actor)
    if isinstance(event, CoachingAgreement.Signed):
        payload = _agreement(event, event.number, event.terms)
        payload.update(signed_by=event.party, in_force=event.in_force,
                       effective_on=event.signed_on)
        return Outgoing("CoachingAgreementSigned", 1, payload, actor=event.actor)
    if isinstance(event, CoachingAgreement.CheckInRecorded):
        return Outgoing("CheckInRecorded", 2, {
            "agreement_id": event.originator_id, "coach_id": event.coach_id,
            "school_id": event.school_id, "held_on": event.held_on,
            "next_due_on": event.next_due_on, "focus_areas_revised": event.revised,
            "attended_by": event.attended_by},
            actor=event.actor)
    # People (their names stay here), partnership agreements (theirs alone) and a teacher's
    # details are this service's own business.
    return None
