"""Fixtures of the unit tests: each service's application on the in-memory store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.cycles.app import Cycles
from services.timetracking.app import TimeTracking

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def cycles_app() -> Iterator[Cycles]:
    application = Cycles(env=IN_MEMORY)
    yield application
    application.close()


@pytest.fixture
def time_app() -> Iterator[TimeTracking]:
    application = TimeTracking(env=IN_MEMORY)
    yield application
    application.close()
