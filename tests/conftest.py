"""Fixtures shared by the integration and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.platform import Platform, started


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform every integration and end-to-end test shares (``started``)."""
    with started(tmp_path_factory.mktemp("logs")) as running:
        yield running
