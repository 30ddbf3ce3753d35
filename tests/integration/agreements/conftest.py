"""The realistic district, imported once through the gateway for every agreements test."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.district import District
from tests.support.platform import Platform

from .client import imported as imported_as_district_it


@dataclass
class Imported:
    """The district as last imported, and what the first import changed."""

    current: District
    first: dict[str, Any]

    def copy(self) -> District:
        return copy.deepcopy(self.current)


@pytest.fixture(scope="session")
def imported(platform: Platform) -> Imported:
    district = District.generate()  # 102 schools, 6 regions, 100 coaches, 5,000 teachers
    record = imported_as_district_it(platform, district.files(), "2026-08-01")
    return Imported(current=district, first=record["changes"])
