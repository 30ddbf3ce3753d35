"""SQL fragments for where a fact belongs on its own date: the region a school was in, the
school year a day falls in, the focus areas of the agreement in force. Shared by the
projections (which store the answer on each fact) and the views (flags, as-of).

Parameters ``%(sm)s`` and ``%(sd)s`` are the school year's start month and day.
"""

from __future__ import annotations


def region_on(school: str, day: str) -> str:
    """The region ``school`` was in on ``day`` (latest assignment effective by then)."""
    return (f"(SELECT sr.region_id FROM school_regions sr WHERE sr.school_id = {school}"
            f" AND sr.effective_on <= {day} ORDER BY sr.effective_on DESC, sr.position DESC"
            " LIMIT 1)")


def school_year(day: str) -> str:
    return (f"extract(year FROM ({day} - make_interval(months => %(sm)s - 1,"
            f" days => %(sd)s - 1)))::int")


def focus_in_force(coach: str, school: str, day: str) -> str:
    """The focus areas of the coach's agreement with the school in force on ``day``: the
    latest version both signed, effective by then, of that day's school year."""
    return (f"(SELECT av.focus_area_ids FROM agreement_versions av WHERE av.coach_id = {coach}"
            f" AND av.school_id = {school} AND av.in_force AND av.effective_on <= {day}"
            f" AND av.school_year = {school_year(day)}"
            " ORDER BY av.effective_on DESC, av.version DESC LIMIT 1)")


# The same two answers for many facts at once (a rebuild): each school's regions and each
# coach-school pair's agreements as periods, from one's effective date to the next one's,
# joined to the facts rather than looked up once per fact. A period is empty where a later
# row (by position, by version) takes effect the same day, so the one ``region_on`` and
# ``focus_in_force`` pick is the one whose period holds the day.
REGION_PERIODS = """(SELECT school_id, region_id, effective_on AS since,
    lead(effective_on) OVER (PARTITION BY school_id ORDER BY effective_on, position) AS until
  FROM school_regions)"""
FOCUS_PERIODS = """(SELECT coach_id, school_id, school_year, focus_area_ids,
    effective_on AS since, lead(effective_on) OVER (PARTITION BY coach_id, school_id,
        school_year ORDER BY effective_on, version) AS until
  FROM agreement_versions WHERE in_force AND effective_on IS NOT NULL)"""


def in_period(period: str, day: str) -> str:
    return f"{day} >= {period}.since AND ({period}.until IS NULL OR {day} < {period}.until)"
