"""Coaching is confidential: no integration event may carry content or names.

Inspects every registered contract, so a new event that adds such a field fails here.
"""

from __future__ import annotations

import re

from coachops.contracts import registered

FORBIDDEN = re.compile(
    r"(note|notes|comment|text|goal|what|measure|evidence|data|observation_data|name|"
    r"email|keeper|polisher|reflection|description)$"
)


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
    assert offenders == set()
