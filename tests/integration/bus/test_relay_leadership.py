"""One instance of a service relays its source at a time: the first to take the source's
PostgreSQL session lock; another takes it once that one lets go (a stop, or a killed
process whose connection PostgreSQL closes), and ``relay_holder`` names the one holding it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from coachops.bus.leadership import RelayLeadership, relay_holder
from coachops.store import PostgresDatabase
from coachops.store.admin import drop_database, ensure_role_and_database
from tests.support.platform import ADMIN_URL, database_name, wait_until

NAME = database_name("leadership")
URL = f"postgresql://{NAME}@127.0.0.1:5432/{NAME}"


@pytest.fixture
def database() -> Iterator[PostgresDatabase]:
    drop_database(ADMIN_URL, NAME)
    ensure_role_and_database(ADMIN_URL, NAME, NAME)
    opened = PostgresDatabase(URL, pool_size=2)
    yield opened
    opened.close()
    drop_database(ADMIN_URL, NAME)


def test_one_instance_relays_a_source_and_another_takes_over(
        database: PostgresDatabase) -> None:
    first, second = RelayLeadership(database, "cycles"), RelayLeadership(database, "cycles")
    other_source = RelayLeadership(database, "timetracking")
    try:
        assert relay_holder(database, "cycles") is None
        assert first.held()
        assert not second.held()  # tried, and refused while the first holds it
        assert first.held()  # still its own at the next poll
        assert other_source.held()  # a lock per source
        holder = relay_holder(database, "cycles")
        assert holder is not None and holder.endswith(f" pid {os.getpid()}"), holder
        assert holder.startswith("coachops relay cycles "), holder

        # The holder's connection closed under it (a killed process, a restart): it lets go
        # at its next check, and the other instance takes the relay at its next try.
        assert first._connection is not None
        first._connection.close()
        first._checked = 0.0
        assert not first.held()
        wait_until(second.held, timeout=10, what="the other instance to take the relay")
        assert not first.held()  # now the other's
        second.release()  # PostgreSQL ends its session a moment after the connection closes
        wait_until(lambda: relay_holder(database, "cycles") is None, timeout=10,
                   what="the lock let go with its connection")
    finally:
        for leadership in (first, second, other_source):
            leadership.release()
