"""What the agreements service tells the rest of the district: roster facts with the date
each takes effect, and agreements as ids, versions, focus-area ids and dates.

A name leaves only as ``StaffMemberNamed``, for a coach, principal or district leader
(reports name district staff; a teacher stays an id). Emails, a focus area's wording, the
coach's role as written, check-in notes and partnership norms never leave this store: each
payload below is written out field by field (a roster fact's in its row of ``LABELLED``
or ``DATED``), on purpose.
"""

from __future__ import annotations

from typing import Any, TypeVar

from coachops.contracts import Outgoing
from coachops.contracts.agreements import NAMED_ROLES
from coachops.privacy import ERASED
from services.agreements.domain import CoachingAgreement
from services.agreements.roster import District, Person, Region, School


def _agreement(event: Any, version: int, terms: Any) -> dict[str, Any]:
    return {"agreement_id": event.originator_id, "coach_id": event.coach_id,
            "school_id": event.school_id, "school_year": event.school_year,
            "version": version, "focus_area_ids": terms.focus_area_ids}


Row = TypeVar("Row")
# A school or region as it is called: the event, the one published, its id's field.
LABELLED: dict[type, tuple[str, str]] = {
    Region.Defined: ("RegionDefined", "region_id"),
    Region.Relabelled: ("RegionDefined", "region_id"),
    School.Defined: ("SchoolDefined", "school_id"),
    School.Relabelled: ("SchoolDefined", "school_id"),
}
# A roster fact from the day it takes effect: the event, the one published, the field of
# its school's or region's id (None: the district, which has one) and the field it names.
DATED: dict[type, tuple[str, str | None, str]] = {
    Region.RepresentativeChanged: ("CltRepresentativeChanged", "region_id",
                                   "representative_id"),
    School.AssignedToRegion: ("SchoolAssignedToRegion", "school_id", "region_id"),
    School.PrincipalChanged: ("PrincipalChanged", "school_id", "principal_id"),
    School.CoachAssigned: ("CoachAssignedToSchool", "school_id", "coach_id"),
    School.CoachUnassigned: ("CoachUnassignedFromSchool", "school_id", "coach_id"),
    School.TeacherAssigned: ("TeacherAssignedToSchool", "school_id", "teacher_id"),
    School.TeacherLeft: ("TeacherUnassignedFromSchool", "school_id", "teacher_id"),
    District.LeaderAppointed: ("DistrictLeaderAppointed", None, "leader_id"),
    District.LeaderLeft: ("DistrictLeaderLeft", None, "leader_id"),
}


def _row(table: dict[type, Row], event: Any) -> Row | None:
    return next((row for kind, row in table.items() if isinstance(event, kind)), None)


def to_integration(event: Any) -> Outgoing | None:
    payload: dict[str, Any]
    if labelled := _row(LABELLED, event):
        kind, key = labelled
        return Outgoing(kind, 1, {key: event.originator_id, "label": event.label})
    if dated := _row(DATED, event):
        kind, place, named = dated
        payload = {named: getattr(event, named), "effective_on": event.effective_on}
        if place is not None:
            payload[place] = event.originator_id
        return Outgoing(kind, 1, payload)
    if isinstance(event, (Person.Registered, Person.Updated)):
        if event.role not in NAMED_ROLES:
            return None
        # Read after forgetting (a rebuild from this log), the names are already erased.
        name = (ERASED if ERASED in (event.given_name, event.family_name)
                else f"{event.given_name} {event.family_name}")
        return Outgoing("StaffMemberNamed", 1, {"person_id": event.originator_id,
                                                "name": name})
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
        # In force from the later of the two signatures' days (maybe on paper, before the
        # event was entered): reporting holds time and cycles to it from that day.
        payload.update(signed_by=event.party, in_force=event.in_force,
                       effective_on=event.in_force_from or event.signed_on)
        return Outgoing("CoachingAgreementSigned", 1, payload, actor=event.actor)
    if isinstance(event, CoachingAgreement.CheckInRecorded):
        return Outgoing("CheckInRecorded", 2, {
            "agreement_id": event.originator_id, "coach_id": event.coach_id,
            "school_id": event.school_id, "held_on": event.held_on,
            "next_due_on": event.next_due_on, "focus_areas_revised": event.revised,
            "attended_by": event.attended_by},
            actor=event.actor)
    # Teachers' and others' names, partnership agreements (theirs alone) and a teacher's
    # details are this service's own business.
    return None
