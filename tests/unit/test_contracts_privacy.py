"""Coaching is confidential: no integration event may carry content or names, but for the
one that names district staff for reports (erased by its consumers on ``PersonForgotten``).

Inspects every registered contract, so a new event that adds such a field fails here.
"""

from __future__ import annotations

import re

from coachops.contracts import registered

FORBIDDEN = re.compile(
    r"(note|notes|comment|text|goal|what|measure|evidence|data|observation_data|name|"
    r"email|keeper|polisher|reflection|description)$"
)

# The one name that travels: a coach's, principal's or district leader's, never a teacher's.
STAFF_NAME = "StaffMemberNamed v1.name"


def test_contracts_are_registered() -> None:
    assert ("CycleStarted", 1) in registered()
    assert ("ObservationLogged", 1) in registered()
    assert ("TimeEntryRecorded", 1) in registered()


def test_no_contract_carries_content_or_names() -> None:
    offenders = {
        f"{name} v{version}.{field}"
        for (name, version), schema in registered().items()
        for field in schema().fields
        if FORBIDDEN.search(field)
    }
    assert offenders == {STAFF_NAME}
