"""The gateway keeps each person's roles until the roster says they may have changed
(``gateway.roster_roles.KeptRoles``), asked of a roster kept in memory here; the same
questions of the real agreements service are in tests/integration/gateway/test_tokens.py."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from coachops.identity import Role
from gateway.roster_roles import KeptRoles

TODAY = date(2026, 12, 7)


class Roster:
    """The agreements service's two answers, from a dict, counting what is asked."""

    def __init__(self) -> None:
        self.roles: dict[UUID, list[str]] = {}
        self.log: list[UUID] = []  # whose roles each change touched, in order
        self.asked: list[UUID] = []
        self.checks = 0
        self.down = False

    def change(self, person: UUID, *roles: Role) -> None:
        self.roles[person] = [r.value for r in roles]
        self.log.append(person)

    def roles_on(self, person_id: str, day: str | None = None) -> list[str]:
        if self.down:
            raise ConnectionError("the roster is not answering")
        self.asked.append(UUID(person_id))
        return self.roles.get(UUID(person_id), [])

    def roles_changed_since(self, position: int | None = None) -> dict[str, Any]:
        if self.down:
            raise ConnectionError("the roster is not answering")
        self.checks += 1
        changed = [] if position is None else self.log[position:]
        return {"position": len(self.log), "people": sorted({str(p) for p in changed})}


@pytest.fixture
def roster() -> Roster:
    return Roster()


def stale(kept: KeptRoles) -> None:
    """As if the seconds since the roster last said what changed had passed."""
    kept.checked = -math.inf


def test_a_persons_roles_are_asked_once_and_kept(roster: Roster) -> None:
    coach = uuid4()
    roster.change(coach, Role.COACH)
    kept = KeptRoles(5)
    for _ in range(3):
        assert kept.roles_of(coach, TODAY, roster) == {Role.COACH}
    assert roster.asked == [coach]
    assert roster.checks == 1  # within the seconds: what changed is asked once


def test_a_change_the_roster_names_is_seen_at_the_next_check(roster: Roster) -> None:
    coach, bystander = uuid4(), uuid4()
    roster.change(coach, Role.COACH)
    roster.change(bystander, Role.TEACHER)
    kept = KeptRoles(5)
    kept.roles_of(coach, TODAY, roster)
    kept.roles_of(bystander, TODAY, roster)
    roster.change(coach)  # no longer assigned
    assert kept.roles_of(coach, TODAY, roster) == {Role.COACH}  # within the seconds
    stale(kept)
    assert kept.roles_of(coach, TODAY, roster) == frozenset()
    assert kept.roles_of(bystander, TODAY, roster) == {Role.TEACHER}
    assert roster.asked == [coach, bystander, coach]  # only the one named again


def test_roles_are_kept_for_their_day(roster: Roster) -> None:
    coach = uuid4()
    roster.change(coach, Role.COACH)
    kept = KeptRoles(5)
    kept.roles_of(coach, TODAY, roster)
    kept.roles_of(coach, TODAY + timedelta(days=1), roster)  # dated changes take effect
    assert roster.asked == [coach, coach]


def test_nothing_is_kept_while_the_roster_cannot_say_what_changed(roster: Roster) -> None:
    coach = uuid4()
    roster.change(coach, Role.COACH)
    kept = KeptRoles(5)
    kept.roles_of(coach, TODAY, roster)
    roster.down = True
    stale(kept)
    with pytest.raises(ConnectionError):  # the caller's 503
        kept.roles_of(coach, TODAY, roster)
    roster.down = False
    roster.change(coach)
    assert kept.roles_of(coach, TODAY, roster) == frozenset()


def test_an_answer_overtaken_by_a_check_is_used_once_not_kept(roster: Roster) -> None:
    coach = uuid4()
    roster.change(coach, Role.COACH)
    kept = KeptRoles(5)
    answer = roster.roles_on

    def answered_then_changed(person_id: str, day: str | None = None) -> list[str]:
        """The roster answers, then the coach's role ends and another worker's check of
        what changed comes back before this answer does."""
        roster.roles_on = answer  # type: ignore[method-assign]  # this once only
        roles = answer(person_id, day)
        roster.change(coach)
        stale(kept)
        kept.roles_of(uuid4(), TODAY, roster)  # another worker's request
        return roles

    roster.roles_on = answered_then_changed  # type: ignore[method-assign]  # this once only
    assert kept.roles_of(coach, TODAY, roster) == {Role.COACH}
    assert kept.roles_of(coach, TODAY, roster) == frozenset()


def test_kept_for_no_seconds_is_asked_every_time(roster: Roster) -> None:
    coach = uuid4()
    roster.change(coach, Role.COACH)
    kept = KeptRoles(0)
    kept.roles_of(coach, TODAY, roster)
    kept.roles_of(coach, TODAY, roster)
    assert roster.asked == [coach, coach]
    assert roster.checks == 0
