"""JSON-ready views of the roster and the agreements, for the two parties who may read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from coachops.json import Json
from services.agreements.domain import CoachingAgreement, PartnershipAgreement, Terms, Version
from services.agreements.roster import School


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def school(found: School, on: date) -> Json:
    return {"school_id": str(found.id), "label": found.label, "on": on.isoformat(),
            "region_id": _id(found.region_on(on)), "principal_id": _id(found.principal_on(on)),
            "coach_ids": [str(c) for c in found.coaches_on(on)],
            "teacher_ids": [str(t) for t in found.teachers_on(on)]}


def _terms(terms: Terms) -> Json:
    return {"focus_areas": [{"id": a.id, "label": a.label} for a in terms.focus_areas],
            "coach_role": terms.coach_role, "not_coach_role": terms.not_coach_role,
            "check_in_every_weeks": terms.check_in_every_weeks}


def _days(days: dict[str, date]) -> Json:
    return {party: on.isoformat() for party, on in sorted(days.items())}


def _version(version: Version) -> Json:
    """``signed``: each party's day of signing (maybe on paper); ``entered``: the day each
    signature was entered here; ``in_force_from``: the later signature's day."""
    in_force_from = version.in_force_from
    return {"version": version.number, **_terms(version.terms),
            "signed": _days(version.signed), "entered": _days(version.entered),
            "in_force": version.in_force,
            "in_force_from": in_force_from.isoformat() if in_force_from else None}


def coaching_agreement(agreement: CoachingAgreement) -> Json:
    in_force = agreement.in_force()
    return {
        "agreement_id": str(agreement.id), "coach_id": str(agreement.coach_id),
        "school_id": str(agreement.school_id), "school_year": agreement.school_year,
        "latest_version": agreement.latest.number,
        # District IT's import of an agreement signed before coachops: who entered it.
        "imported_by": str(agreement.imported_by) if agreement.imported_by else None,
        "version_in_force": in_force.number if in_force else None,
        "versions": [_version(v) for v in agreement.versions],
        "check_ins": [{"held_on": c.held_on.isoformat(), "version": c.version,
                       "focus_areas": [{"id": a.id, "label": a.label} for a in c.focus_areas],
                       "focus_areas_revised": c.focus_areas_revised, "notes": c.notes,
                       "next_due_on": c.next_due_on.isoformat(),
                       "attended_by": list(c.attended_by)}
                      for c in agreement.check_ins],
    }


def partnership_agreement(agreement: PartnershipAgreement) -> Json:
    return {"agreement_id": str(agreement.id), "coach_id": str(agreement.coach_id),
            "teacher_id": str(agreement.teacher_id), **vars(agreement.norms),
            "agreed_on": agreement.agreed_on.isoformat() if agreement.agreed_on else None}
