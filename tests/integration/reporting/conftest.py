"""Fixtures of the reporting tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2.extensions import cursor as Cursor

from services.reporting import schema
from tests.integration.reporting.client import reporting_url
from tests.support.platform import Platform


@pytest.fixture
def scratch(platform: Platform) -> Iterator[Cursor]:
    """A cursor whose read models live in a fresh schema, dropped by the rollback."""
    connection = psycopg2.connect(reporting_url())
    try:
        with connection.cursor() as cursor:
            name = f"scratch_{uuid.uuid4().hex[:8]}"
            cursor.execute(f"CREATE SCHEMA {name}")
            cursor.execute(f"SET LOCAL search_path TO {name}")
            cursor.execute(schema.SCHEMA)
            yield cursor
    finally:
        connection.rollback()
        connection.close()
