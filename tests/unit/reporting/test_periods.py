"""How a date range is cut for the rollups: whole months from the monthly tables, each
partial month as its month-to-date on its last day less that on the day before its first
(none when it starts on the 1st)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting import periods
from services.reporting.periods import whole_months

NONE = {"first_month": date.max, "last_month": date.min, "last_month_end": date.min}


@pytest.mark.parametrize("start, end, expected", [
    # A school year: whole months only.
    (date(2026, 8, 1), date(2027, 7, 31),
     {"first_month": date(2026, 8, 1), "last_month": date(2027, 7, 1),
      "last_month_end": date(2027, 7, 31), "to_days": [], "before_days": []}),
    # 10 Sep to 20 Nov: October whole; 10 to 30 Sep is to-date on the 30th less on the 9th;
    # 1 to 20 Nov is to-date on the 20th.
    (date(2026, 9, 10), date(2026, 11, 20),
     {"first_month": date(2026, 10, 1), "last_month": date(2026, 10, 1),
      "last_month_end": date(2026, 10, 31), "to_days": [date(2026, 9, 30), date(2026, 11, 20)],
      "before_days": [date(2026, 9, 9)]}),
    # Inside one month.
    (date(2026, 10, 3), date(2026, 10, 17),
     {**NONE, "to_days": [date(2026, 10, 17)], "before_days": [date(2026, 10, 2)]}),
    # Two partial months and no whole one, across a year's end.
    (date(2026, 12, 31), date(2027, 1, 1),
     {**NONE, "to_days": [date(2026, 12, 31), date(2027, 1, 1)],
      "before_days": [date(2026, 12, 30)]}),
    # From a month's first day to the end of a leap February, and to the day before it.
    (date(2028, 1, 1), date(2028, 2, 29),
     {"first_month": date(2028, 1, 1), "last_month": date(2028, 2, 1),
      "last_month_end": date(2028, 2, 29), "to_days": [], "before_days": []}),
    (date(2028, 1, 1), date(2028, 2, 28),
     {"first_month": date(2028, 1, 1), "last_month": date(2028, 1, 1),
      "last_month_end": date(2028, 1, 31), "to_days": [date(2028, 2, 28)],
      "before_days": []}),
])
def test_a_range_is_whole_months_and_at_most_two_partial_ones(
        start: date, end: date, expected: dict[str, object]) -> None:
    assert whole_months(start, end) == expected


def test_the_school_year_starts_on_the_district_start_date() -> None:
    assert periods.school_year_of(date(2025, 8, 1)) == 2025
    assert periods.school_year_of(date(2025, 7, 31)) == 2024
    assert periods.school_year_of(date(2025, 7, 1), start_month=7) == 2025
    assert periods.school_year_range(2025) == (date(2025, 8, 1), date(2026, 7, 31))
