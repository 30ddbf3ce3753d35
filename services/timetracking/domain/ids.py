"""The ids of the time-tracking aggregates, made from what each is about: the same coach's
day is the same aggregate whichever device asks."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d1c8e-2b4a-4f0e-9d51-7a3c2e8b90d4")
CATEGORY_LIST_ID = uuid5(NAMESPACE, "category-list")


# Asked several times for each entry a batch records (read ahead, found, saved): a SHA-1
# each time cost more than deciding the entry.
@lru_cache(maxsize=16384)
def day_id(coach_id: UUID, worked_on: date) -> UUID:
    return uuid5(NAMESPACE, f"coach-day:{coach_id}:{worked_on.isoformat()}")


def synced_entry_id(coach_id: UUID, client_id: UUID) -> UUID:
    """The id of an entry an app recorded without choosing one: the same command sent
    twice is the same entry. Scoped by the coach, so nobody can take another's id."""
    return uuid5(NAMESPACE, f"synced-entry:{coach_id}:{client_id}")


@lru_cache(maxsize=4096)
def assignments_id(coach_id: UUID) -> UUID:
    return uuid5(coach_id, "school-assignments")
