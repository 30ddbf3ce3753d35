"""A fresh database for the store's tests, and empty tables for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from coachops.store.admin import drop_database, ensure_role_and_database

ADMIN_URL = os.environ.get(
    "COACHOPS_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# The database, and the role that owns it: a test session of its own namespace (as the
# platform's are) leaves another session's store tests alone.
NAME = f"coachops_{os.environ.get('COACHOPS_TEST_NAMESPACE', 'test')}_store"


def database_url(admin_url: str = ADMIN_URL) -> str:
    """The test database on the admin URL's server, as its own (non-superuser) role.

    The role gets a password (its name) so this works where the server wants one too.
    """
    server = urlsplit(admin_url)
    host = server.hostname or "127.0.0.1"
    port = server.port or 5432
    return f"postgresql://{NAME}:{NAME}@{host}:{port}/{NAME}"


def drop_tables(url: str) -> None:
    """Drop every table in the test database's public schema (the recorders make their
    own again), so each test starts empty and notification ids start at 1."""
    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            for (table,) in cursor.fetchall():
                cursor.execute(
                    sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table))
                )
    finally:
        conn.close()


@pytest.fixture(scope="session")
def store_database_url() -> Iterator[str]:
    drop_database(ADMIN_URL, NAME)
    ensure_role_and_database(ADMIN_URL, NAME, NAME, password=NAME)
    yield database_url()


@pytest.fixture(autouse=True)
def empty_tables(store_database_url: str, request: pytest.FixtureRequest) -> str:
    """Runs before unittest's setUp, so the library's TestCase classes get the URL too."""
    drop_tables(store_database_url)
    if request.instance is not None:
        request.instance.database_url = store_database_url
    return store_database_url
