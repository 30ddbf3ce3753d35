"""How a date range is cut for the rollups: whole months from the monthly tables; a
partial month at either end from the daily ones, its own days, or its month less the days
outside the range when those are fewer."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting import periods
from services.reporting.periods import whole_months

NO_MONTHS = {"first_month": date.max, "last_month": date.min}
NO_DAYS = (date.max, date.min)


def months(first: date, last: date) -> dict[str, date]:
    return {"first_month": first, "last_month": last}


def days(name: str, *spans: tuple[date, date]) -> dict[str, date]:
    padded = [*spans, *[NO_DAYS] * (2 - len(spans))]
    return {f"{name}{n}_{end}": day for n, span in enumerate(padded, 1)
            for end, day in zip(("from", "to"), span, strict=True)}


@pytest.mark.parametrize("start, end, expected", [
    # A school year: whole months only.
    (date(2026, 8, 1), date(2027, 7, 31),
     {**months(date(2026, 8, 1), date(2027, 7, 1)), **days("plus"), **days("minus")}),
    # 10 Sep to 20 Nov: October whole; 10 to 30 Sep is September less its first nine
    # days; 1 to 20 Nov is November less its last ten.
    (date(2026, 9, 10), date(2026, 11, 20),
     {**months(date(2026, 9, 1), date(2026, 11, 1)), **days("plus"),
      **days("minus", (date(2026, 9, 1), date(2026, 9, 9)),
             (date(2026, 11, 21), date(2026, 11, 30)))}),
    # 20 Sep to 10 Nov: October whole, and the days of each partial month (fewer).
    (date(2026, 9, 20), date(2026, 11, 10),
     {**months(date(2026, 10, 1), date(2026, 10, 1)),
      **days("plus", (date(2026, 9, 20), date(2026, 9, 30)),
             (date(2026, 11, 1), date(2026, 11, 10))), **days("minus")}),
    # Inside one month: half of it or less, its days; more, the month less the rest.
    (date(2026, 10, 3), date(2026, 10, 17),
     {**NO_MONTHS, **days("plus", (date(2026, 10, 3), date(2026, 10, 17))), **days("minus")}),
    (date(2026, 10, 2), date(2026, 10, 30),
     {**months(date(2026, 10, 1), date(2026, 10, 1)), **days("plus"),
      **days("minus", (date(2026, 10, 1), date(2026, 10, 1)),
             (date(2026, 10, 31), date(2026, 10, 31)))}),
    # Two partial months and no whole one, across a year's end.
    (date(2026, 12, 31), date(2027, 1, 1),
     {**NO_MONTHS, **days("plus", (date(2026, 12, 31), date(2026, 12, 31)),
                          (date(2027, 1, 1), date(2027, 1, 1))), **days("minus")}),
    (date(2026, 12, 3), date(2027, 1, 29),
     {**months(date(2026, 12, 1), date(2027, 1, 1)), **days("plus"),
      **days("minus", (date(2026, 12, 1), date(2026, 12, 2)),
             (date(2027, 1, 30), date(2027, 1, 31)))}),
    # From a month's first day to the end of a leap February, and to days before it.
    (date(2028, 1, 1), date(2028, 2, 29),
     {**months(date(2028, 1, 1), date(2028, 2, 1)), **days("plus"), **days("minus")}),
    (date(2028, 1, 1), date(2028, 2, 28),
     {**months(date(2028, 1, 1), date(2028, 2, 1)), **days("plus"),
      **days("minus", (date(2028, 2, 29), date(2028, 2, 29)))}),
    (date(2028, 1, 1), date(2028, 2, 14),
     {**months(date(2028, 1, 1), date(2028, 1, 1)),
      **days("plus", (date(2028, 2, 1), date(2028, 2, 14))), **days("minus")}),
])
def test_a_range_is_whole_months_and_at_most_two_partial_ones(
        start: date, end: date, expected: dict[str, object]) -> None:
    assert whole_months(start, end) == expected


def test_the_school_year_starts_on_the_district_start_date() -> None:
    assert periods.school_year_of(date(2025, 8, 1)) == 2025
    assert periods.school_year_of(date(2025, 7, 31)) == 2024
    assert periods.school_year_of(date(2025, 7, 1), start_month=7) == 2025
    assert periods.school_year_range(2025) == (date(2025, 8, 1), date(2026, 7, 31))
