"""The application these tests drive, on the in-memory store."""

from __future__ import annotations

import pytest

from services.cycles.app import Cycles


@pytest.fixture
def app(cycles_app: Cycles) -> Cycles:
    return cycles_app
