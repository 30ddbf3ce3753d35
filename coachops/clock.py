"""The district's calendar: one time zone per deployment (``DISTRICT_TIMEZONE``, read by
``coachops.settings``).

Instants are stored in UTC; a "day" (a time entry's date, a cycle's start) is a day in
the district's zone, so a log written at 11 pm in Loudoun is not tomorrow's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from coachops import settings


def district_zone() -> ZoneInfo:
    return settings.current().district_timezone


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(district_zone()).date()


def local_date(moment: datetime) -> date:
    """The district's day of an instant (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(district_zone()).date()
