"""The district's calendar: one time zone per deployment (``DISTRICT_TIMEZONE``).

Instants are stored in UTC; a "day" (a time entry's date, a cycle's start) is a day in
the district's zone, so a log written at 11 pm in Loudoun is not tomorrow's.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def district_zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("DISTRICT_TIMEZONE", "America/New_York"))


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().astimezone(district_zone()).date()


def local_date(moment: datetime) -> date:
    """The district's day of an instant (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(district_zone()).date()
