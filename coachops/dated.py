"""What takes effect from a date: who is assigned where (a coach to a school, a teacher,
a district leader) and the values that change on a date (a school's principal, its region).
Pure: no I/O and no clock.

The value in effect on a day is the one of the latest change on or before it; before the
first change there is none. Changes are learned in one of two ways:

- ``History`` and ``Assignments``: the roster's own aggregates, which set changes one
  after another; set again for a date, a change replaces the one before (a later import
  correcting an earlier one).
- ``LearnedAssignments``: another service's copy of the roster, learned from the bus,
  where facts arrive in any order and more than once. A fact is kept once, and of an
  assignment and its ending on the same date the assignment counts, so that the order of
  arrival never decides.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Hashable, Iterable
from datetime import date
from typing import Generic, TypeVar

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


def in_effect(changes: Iterable[tuple[date, V]], day: date) -> V | None:
    """The value of the latest change on or before ``day``, from changes in date order (of
    two on one date, the later one counts); None before the first."""
    value = None
    for effective_on, candidate in changes:
        if effective_on > day:
            break
        value = candidate
    return value


class History(Generic[V]):
    """Values by the date they take effect; ``on(day)`` is the value in effect that day."""

    def __init__(self) -> None:
        self.changes: list[tuple[date, V]] = []

    def set(self, effective_on: date, value: V) -> None:
        # A later import may fill in an earlier date: keep the list in date order.
        self.changes = [c for c in self.changes if c[0] != effective_on]
        insort(self.changes, (effective_on, value), key=lambda c: c[0])

    def on(self, day: date) -> V | None:
        return in_effect(self.changes, day)

    def latest(self) -> V | None:
        return self.changes[-1][1] if self.changes else None


class Assignments(Generic[K]):
    """Who is assigned (``K``: a coach at a school, a district leader...), each from the
    date it takes effect until the date it ends, set one change after another."""

    def __init__(self) -> None:
        self.by_whom: dict[K, History[bool]] = {}

    def change(self, who: K, effective_on: date, assigned: bool) -> None:
        self.by_whom.setdefault(who, History()).set(effective_on, assigned)

    def on(self, who: K, day: date) -> bool:
        history = self.by_whom.get(who)
        return bool(history and history.on(day))

    def everyone_on(self, day: date) -> list[K]:
        """Everyone assigned that day, in a stable order (by their ids as text)."""
        return sorted((w for w, h in self.by_whom.items() if h.on(day)), key=str)

    def current(self) -> set[K]:
        """Everyone assigned by the latest change, whatever its date."""
        return {w for w, h in self.by_whom.items() if h.latest()}


class LearnedAssignments(Generic[K]):
    """Assignment facts (``K``: the school, or the school and the role) as a service learns
    them from the bus: in any order, more than once."""

    def __init__(self) -> None:
        self.facts: list[tuple[K, date, bool]] = []

    def __len__(self) -> int:
        return len(self.facts)

    def knows(self, where: K, effective_on: date, assigned: bool) -> bool:
        return (where, effective_on, assigned) in self.facts

    def learn(self, where: K, effective_on: date, assigned: bool) -> None:
        self.facts.append((where, effective_on, assigned))

    def on(self, where: K, day: date) -> bool:
        # Sorted by date, then an ending before an assignment: on a tie, assigned counts.
        changes = sorted((on, assigned) for w, on, assigned in self.facts if w == where)
        return bool(in_effect(changes, day))
