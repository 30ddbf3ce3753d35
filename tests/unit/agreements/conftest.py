"""The agreements service's application over a small district, in memory, for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.agreements.app import Agreements
from tests.support.district import District
from tests.unit.agreements.helpers import app_with, small_district


@pytest.fixture
def district() -> District:
    return small_district()


@pytest.fixture
def app(district: District) -> Iterator[Agreements]:
    application = app_with(district)
    yield application
    application.close()
