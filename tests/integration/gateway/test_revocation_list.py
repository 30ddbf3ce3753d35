"""The gateway's copy of the revocations against the real gateway database: a revocation
arrives by notification when it commits, and a row no notification announced (written by
hand) at the next full re-read."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from coachops.store import PostgresDatabase
from gateway import revocations
from gateway.revocations import Follower
from tests.support.platform import Platform

from .conftest import GATEWAY_DB_URL

pytestmark = pytest.mark.e2e


@pytest.fixture
def database(platform: Platform) -> Iterator[PostgresDatabase]:
    store = PostgresDatabase(GATEWAY_DB_URL, pool_size=2)
    revocations.create_tables(store)
    yield store
    store.close()


@pytest.fixture
def follower(database: PostgresDatabase) -> Iterator[Follower]:
    following = Follower(database)
    following.connect()
    yield following
    following.close()


def test_a_revocation_reaches_a_running_gateway_by_notification(database: PostgresDatabase,
                                                                 follower: Follower) -> None:
    person, token = uuid.uuid4(), uuid.uuid4()
    issued = datetime.now(UTC)
    read_at = follower.synced_at
    revocations.revoke_token(database, token)
    deadline = time.monotonic() + 10
    while not follower.revoked.is_revoked(token, person, issued) and time.monotonic() < deadline:
        follower.wait(0.5)
    assert follower.revoked.is_revoked(token, person, issued)

    cut_off = datetime.now(UTC)
    revocations.revoke_person(database, person, cut_off)
    other_token = uuid.uuid4()
    while (not follower.revoked.is_revoked(other_token, person, issued)
           and time.monotonic() < deadline):
        follower.wait(0.5)
    assert follower.revoked.is_revoked(other_token, person, issued)
    assert not follower.revoked.is_revoked(other_token, person, cut_off + timedelta(seconds=1))
    assert follower.synced_at == read_at  # no re-read: both came by notification


def test_a_row_no_notification_announced_is_read_at_the_next_refresh(
        database: PostgresDatabase, follower: Follower) -> None:
    token, person = uuid.uuid4(), uuid.uuid4()
    with database.transaction() as cursor:  # by hand: no NOTIFY
        cursor.execute("INSERT INTO revoked_tokens (token_id) VALUES (%s)", (str(token),))
    follower.wait(0.5)
    assert not follower.revoked.is_revoked(token, person, datetime.now(UTC))

    follower.refresh()
    assert follower.revoked.is_revoked(token, person, datetime.now(UTC))


def test_a_restarted_gateway_reads_every_revocation_made_before(database: PostgresDatabase) -> None:
    token, person = uuid.uuid4(), uuid.uuid4()
    cut_off = datetime.now(UTC)
    revocations.revoke_token(database, token)
    revocations.revoke_person(database, person, cut_off)

    fresh = Follower(database)
    assert not fresh.fresh()
    fresh.connect()
    try:
        assert fresh.fresh()
        assert fresh.revoked.is_revoked(token, uuid.uuid4(), cut_off)
        assert fresh.revoked.is_revoked(uuid.uuid4(), person, cut_off)
        assert not fresh.revoked.is_revoked(uuid.uuid4(), person, cut_off + timedelta(seconds=1))
    finally:
        fresh.close()
