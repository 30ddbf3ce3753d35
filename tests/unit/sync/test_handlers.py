"""Every command the route table lets an app queue (``synced=True``) is applied by its
service's ``sync`` as a ``_<command>`` handler: a row marked without one would fail every
batch of its service."""

from __future__ import annotations

import pytest

from coachops.commands.sync import COMMANDS
from services.agreements.service import AgreementsService
from services.cycles.service import CyclesService
from services.timetracking.service import TimeTrackingService

SERVICES = {service.name: service for service in (
    AgreementsService, CyclesService, TimeTrackingService)}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_synced_command_has_its_service_s_handler(command: str) -> None:
    service = SERVICES[str(COMMANDS[command].service)]
    assert callable(getattr(service, f"_{command}", None)), (service.name, command)
