"""Where a coach's time went: minutes by category, and the share spent coaching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.timetracking.domain.categories import Category, CategoryList, Kind
from services.timetracking.domain.entries import Entry


@dataclass(frozen=True)
class CategoryTotal:
    category: Category
    minutes: int


@dataclass(frozen=True)
class Totals:
    by_category: list[CategoryTotal]
    coaching_minutes: int
    other_minutes: int

    @property
    def total_minutes(self) -> int:
        return self.coaching_minutes + self.other_minutes

    @property
    def coaching_share(self) -> float | None:
        """The headline: the share of logged time spent coaching (None when nothing is)."""
        if not self.total_minutes:
            return None
        return round(self.coaching_minutes / self.total_minutes, 4)


def totals(entries: Iterable[Entry], categories: CategoryList) -> Totals:
    """Minutes by category and kind over live entries, categories in the list's order."""
    by_category: dict[str, int] = {}
    minutes = {Kind.COACHING: 0, Kind.OTHER: 0}
    for entry in entries:
        if entry.voided:
            continue
        by_category[entry.values.category_id] = (
            by_category.get(entry.values.category_id, 0) + entry.values.minutes
        )
        minutes[entry.category_kind] += entry.values.minutes
    order = list(categories.categories)
    ordered = sorted(by_category.items(),
                     key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return Totals(
        by_category=[CategoryTotal(categories.get(cid), m) for cid, m in ordered],
        coaching_minutes=minutes[Kind.COACHING],
        other_minutes=minutes[Kind.OTHER],
    )
