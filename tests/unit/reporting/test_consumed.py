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


def test_the_service_has_one_written_out_handler_per_consumed_event_type() -> None:
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from coachops.bus.consumer import IntegrationEventHandler
    from services.reporting.service import ReportingService

    bound = {}
    for name, method in vars(ReportingService).items():
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, IntegrationEventHandler):
                bound[(entrypoint.source_service, entrypoint.event_type)] = name
    consumed = {(source, t) for source, types in facts.CONSUMED.items() for t in types}
    assert set(bound) == consumed
    assert bound[("cycles", "CycleStarted")] == "on_cycle_started"
