"""Period arithmetic: the district's school year, the period a report query asks for
(a school year, a month or a range), what "as of a date" means, and how a range is cut
into whole months and partial ones for the rollups."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from coachops import clock, settings
from coachops.json import Json


def school_year_of(day: date, start_month: int = 8, start_day: int = 1) -> int:
    """The school year (named by the calendar year it starts in) that ``day`` falls in."""
    return day.year if (day.month, day.day) >= (start_month, start_day) else day.year - 1


def school_year_range(year: int, start_month: int = 8, start_day: int = 1) -> tuple[date, date]:
    start = date(year, start_month, start_day)
    following = date(year + 1, start_month, start_day)
    return start, date.fromordinal(following.toordinal() - 1)


def school_year_start() -> tuple[int, int]:
    """The district's first day of a school year (``SCHOOL_YEAR_START``, MM-DD)."""
    return settings.current().school_year_start


def period(query: Json, today: date) -> tuple[date, date]:
    """The first and last day a report query asks for: its range, its month, or its
    school year (the one ``today`` falls in when it names none)."""
    month, day = school_year_start()
    if "from_date" in query:
        return query["from_date"], query["to_date"]
    if "month" in query:
        year, number = (int(part) for part in query["month"].split("-"))
        following = date(year + number // 12, number % 12 + 1, 1)
        return date(year, number, 1), following - timedelta(days=1)
    year = query.get("school_year") or school_year_of(today, month, day)
    return school_year_range(year, month, day)


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the district's zone: what "as of that date" means."""
    following = datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.district_zone())
    return following - timedelta(microseconds=1)


def whole_months(start: date, end: date) -> dict[str, Any]:
    """How the rollups make [start, end]: the month rows from ``first_month`` to
    ``last_month`` (an empty span when none), plus the day rows from ``plus1_from`` to
    ``plus1_to`` and from ``plus2_from`` to ``plus2_to``, less the day rows from
    ``minus1_from`` to ``minus1_to`` and from ``minus2_from`` to ``minus2_to`` (each an empty
    span when not needed). A partial month at either end is read as its own days or, when
    those are more than half the month, as the whole month less the days outside the range
    (for a range to today, days with no minutes yet): at most half a month of days each."""
    first = start if start.day == 1 else _next_month(start)
    following = end + timedelta(days=1)
    last_end = end if following.day == 1 else following.replace(day=1) - timedelta(days=1)
    months = [first, last_end.replace(day=1)] if first <= last_end else []
    if first > last_end:
        if (start.year, start.month) == (end.year, end.month):
            parts = [(start, end)]
        else:
            parts = [(start, _next_month(start) - timedelta(days=1)), (end.replace(day=1), end)]
    else:
        parts = [(start, first - timedelta(days=1))] if start < first else []
        parts += [(last_end + timedelta(days=1), end)] if end > last_end else []
    plus: list[tuple[date, date]] = []
    minus: list[tuple[date, date]] = []
    for part_start, part_end in parts:
        month_start = part_start.replace(day=1)
        month_end = _next_month(part_start) - timedelta(days=1)
        inside = (part_end - part_start).days + 1
        if (month_end - month_start).days + 1 - inside >= inside:
            plus.append((part_start, part_end))
            continue
        months.append(month_start)  # next to the whole months: the span stays one
        if part_start > month_start:
            minus.append((month_start, part_start - timedelta(days=1)))
        if part_end < month_end:
            minus.append((part_end + timedelta(days=1), month_end))
    return {"first_month": min(months, default=date.max),
            "last_month": max(months, default=date.min),
            **_spans("plus", plus), **_spans("minus", minus)}


NO_DAYS = (date.max, date.min)


def _spans(name: str, spans: list[tuple[date, date]]) -> dict[str, date]:
    """Two spans of days as query parameters, the missing ones empty."""
    padded = [*spans, *[NO_DAYS] * (2 - len(spans))]
    return {f"{name}{n}_{end}": day for n, span in enumerate(padded, 1)
            for end, day in zip(("from", "to"), span, strict=True)}


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
