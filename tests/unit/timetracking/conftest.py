"""The application these tests drive, on the in-memory store."""

from __future__ import annotations

import pytest

from services.timetracking.app import TimeTracking


@pytest.fixture
def app(time_app: TimeTracking) -> TimeTracking:
    return time_app
