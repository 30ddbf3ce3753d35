"""Reporting receives every contract its sources publish: a gap in a source's positions is
then always an event lost on the bus, never one reporting chose not to bind."""

import coachops.contracts.agreements
import coachops.contracts.cycles
import coachops.contracts.timetracking
from coachops.contracts import registered
from services.reporting import facts

SOURCES = (coachops.contracts.agreements, coachops.contracts.cycles,
           coachops.contracts.timetracking)  # imported for the contracts they register


def test_every_published_contract_is_consumed_by_reporting() -> None:
    consumed = {t for types in facts.CONSUMED.values() for t in types}
    assert {name for name, _version in registered()} == consumed
