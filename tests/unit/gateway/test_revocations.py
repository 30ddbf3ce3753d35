"""The gateway's in-memory copy of the revocations: what it refuses, how notifications
change it, and when it is too old to trust."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from coachops.store import PostgresDatabase
from gateway.revocations import (
    STALE_SECONDS,
    Follower,
    Revoked,
    notice_of_person,
    notice_of_token,
)

PERSON = uuid.uuid4()
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_a_revoked_token_is_refused_and_the_persons_other_tokens_are_not() -> None:
    revoked, token = Revoked(), uuid.uuid4()
    revoked.apply(notice_of_token(token))
    assert revoked.is_revoked(token, PERSON, NOON)
    assert not revoked.is_revoked(uuid.uuid4(), PERSON, NOON)


def test_a_person_cut_off_refuses_tokens_issued_at_or_before_it_only() -> None:
    revoked = Revoked()
    revoked.apply(notice_of_person(PERSON, NOON))
    assert revoked.is_revoked(uuid.uuid4(), PERSON, NOON - timedelta(hours=1))
    assert revoked.is_revoked(uuid.uuid4(), PERSON, NOON)
    assert not revoked.is_revoked(uuid.uuid4(), PERSON, NOON + timedelta(microseconds=1))
    assert not revoked.is_revoked(uuid.uuid4(), uuid.uuid4(), NOON - timedelta(hours=1))


def test_a_cut_off_only_moves_later_whatever_order_the_news_comes_in() -> None:
    revoked = Revoked()
    revoked.apply(notice_of_person(PERSON, NOON))
    revoked.add_person(PERSON, NOON - timedelta(days=1))  # an older read, merged late
    assert revoked.people[PERSON] == NOON
    revoked.apply(notice_of_person(PERSON, NOON + timedelta(hours=2)))
    assert revoked.is_revoked(uuid.uuid4(), PERSON, NOON + timedelta(hours=1))


@pytest.mark.parametrize("payload", ["", "token", "token not-a-uuid", "person x y",
                                     f"person {PERSON} yesterday", f"team {PERSON}"])
def test_a_notification_that_is_not_a_revocation_is_an_error(payload: str) -> None:
    with pytest.raises(ValueError):
        Revoked().apply(payload)


def test_a_list_never_read_or_not_read_for_too_long_is_not_trusted() -> None:
    follower = Follower(PostgresDatabase("postgresql://nobody@127.0.0.1:1/none"))
    assert not follower.fresh(now=1000.0)
    follower.synced_at = 1000.0
    assert follower.fresh(now=1000.0 + STALE_SECONDS - 0.1)
    assert not follower.fresh(now=1000.0 + STALE_SECONDS)
