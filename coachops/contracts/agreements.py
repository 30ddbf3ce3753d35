"""Contracts published by the agreements service: the district roster and coaching
agreements. Every roster fact carries the date it takes effect, so a report "as of" a
past date can use the roster of that date.

People travel as roster ids, with one exception: the display name of district staff
whom reports name (coaches, principals, district leaders), in ``StaffMemberNamed``, which
every consumer erases when ``PersonForgotten`` follows. A teacher's name never leaves the
roster. Organisational units (regions, schools) carry a ``label``, which is district
configuration, not personal data.
"""

from typing import Any

from marshmallow import Schema, fields, validate

from coachops.contracts.envelope import contract, upcaster
from coachops.contracts.values import (
    a_code,
    a_number,
    focus_area_ids,
    one_of,
)

SIGNER_ROLES = ("coach", "principal")


@contract("RegionDefined", 1)
class RegionDefinedV1(Schema):
    """A Collaborative Learning Team (regional cohort) exists, or was relabelled."""

    region_id = fields.UUID(required=True)
    label = a_code(200)


@contract("SchoolDefined", 1)
class SchoolDefinedV1(Schema):
    school_id = fields.UUID(required=True)
    label = a_code(200)


@contract("SchoolAssignedToRegion", 1)
class SchoolAssignedToRegionV1(Schema):
    """The school belongs to the region from ``effective_on``: a report as of that date or
    later counts it there."""

    school_id = fields.UUID(required=True)
    region_id = fields.UUID(required=True)
    effective_on = fields.Date(required=True)


class _Dated(Schema):
    effective_on = fields.Date(required=True)


class _CoachAtSchool(_Dated):
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)


class _TeacherAtSchool(_Dated):
    teacher_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)


class _DistrictLeader(_Dated):
    leader_id = fields.UUID(required=True)


@contract("CoachAssignedToSchool", 1)
class CoachAssignedToSchoolV1(_CoachAtSchool):
    pass


@contract("CoachUnassignedFromSchool", 1)
class CoachUnassignedFromSchoolV1(_CoachAtSchool):
    pass


@contract("TeacherAssignedToSchool", 1)
class TeacherAssignedToSchoolV1(_TeacherAtSchool):
    pass


@contract("TeacherUnassignedFromSchool", 1)
class TeacherUnassignedFromSchoolV1(_TeacherAtSchool):
    """The teacher no longer works at the school from ``effective_on``."""


@contract("DistrictLeaderAppointed", 1)
class DistrictLeaderAppointedV1(_DistrictLeader):
    """Someone leads coaching district-wide from ``effective_on``."""


@contract("DistrictLeaderLeft", 1)
class DistrictLeaderLeftV1(_DistrictLeader):
    pass


@contract("PersonForgotten", 1)
class PersonForgottenV1(Schema):
    """District IT erased a person: every service destroys the keys of what it holds about
    them (``coachops.privacy``). Their id stays, so counts that include them stand."""

    person_id = fields.UUID(required=True)
    forgotten_on = fields.Date(required=True)


# The roster roles whose holders reports name; anyone else (a teacher) stays an id.
NAMED_ROLES = ("coach", "principal", "district_leader")


@contract("StaffMemberNamed", 1)
class StaffMemberNamedV1(Schema):
    """What reports call a member of the district's staff (``NAMED_ROLES``), from now on:
    their given and family names as the roster has them. Personal data: a consumer that
    keeps it erases it on ``PersonForgotten``."""

    person_id = fields.UUID(required=True)
    name = a_code(201)


@contract("PrincipalChanged", 1)
class PrincipalChangedV1(Schema):
    """The school's principal from ``effective_on``, in place of the one before: a school
    has one principal on any day."""

    school_id = fields.UUID(required=True)
    principal_id = fields.UUID(required=True)
    effective_on = fields.Date(required=True)


@contract("CltRepresentativeChanged", 1)
class CltRepresentativeChangedV1(Schema):
    """The region's representative on its Collaborative Learning Team from
    ``effective_on``, in place of the one before."""

    region_id = fields.UUID(required=True)
    representative_id = fields.UUID(required=True)
    effective_on = fields.Date(required=True)


class _AgreementFacts(Schema):
    agreement_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    school_year = a_number(2000, 2100)
    version = a_number(1)
    focus_area_ids = focus_area_ids(required=True)


class _AgreementTerms(_AgreementFacts):
    check_in_every_weeks = a_number(1, 52)


@contract("CoachingAgreementDrafted", 1)
class CoachingAgreementDraftedV1(_AgreementTerms):
    """A first version, waiting for both signatures."""


@contract("CoachingAgreementRevised", 1)
class CoachingAgreementRevisedV1(_AgreementTerms):
    """A new version is drafted; the previous signed version stays in force until then."""


@contract("CoachingAgreementSigned", 1)
class CoachingAgreementSignedV1(_AgreementFacts):
    """One signature. ``in_force`` is true once both coach and principal signed this
    version; from ``effective_on`` it replaces any earlier version. ``effective_on`` is
    the day of this signature, or of the in-force one: the later of the two signatures'
    days. A signature may be entered after the day it was signed on paper, so that day
    may be in the past (never before the agreement's school year)."""

    signed_by = one_of(SIGNER_ROLES)
    in_force = fields.Bool(required=True)
    effective_on = fields.Date(required=True)


@contract("CheckInRecorded", 1)
class CheckInRecordedV1(Schema):
    """Coach and principal held a check-in on the agreement; the next is due by
    ``next_due_on``. ``focus_areas_revised``: they changed its focus areas at it."""

    agreement_id = fields.UUID(required=True)
    coach_id = fields.UUID(required=True)
    school_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    next_due_on = fields.Date(required=True)
    focus_areas_revised = fields.Bool(required=True)


@contract("CheckInRecorded", 2)
class CheckInRecordedV2(CheckInRecordedV1):
    """Version 2: which of the pair attended."""

    attended_by = fields.List(fields.Str(validate=validate.OneOf(SIGNER_ROLES)),
                              required=True, validate=validate.Length(min=1, max=2))


@upcaster("CheckInRecorded", 1)
def _check_in_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    # Before version 2 a check-in was recorded as held by both of the pair.
    return {**payload, "attended_by": list(SIGNER_ROLES)}
