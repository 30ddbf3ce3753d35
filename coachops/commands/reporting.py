"""Queries of the reporting service."""

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from coachops.commands import Command
from coachops.commands.types import BoundedFloat, BoundedInt, Day, Month


class SchoolQuery(Command):
    school_id = fields.UUID(required=True)


class ReportQuery(Command):
    """Which period (a school year, a month, or a date range; the current school year when
    none), which scope (at most one of region, school, coach, or a coach at a school; the
    district when none), and optionally "as of" a past date: computed from the events
    recorded up to that day."""

    school_year = BoundedInt(2000, 2100, strict=False)  # from a query string
    month = Month()
    from_date = Day()
    to_date = Day()
    as_of = Day()
    region_id = fields.UUID()
    school_id = fields.UUID()
    coach_id = fields.UUID()
    target_share = BoundedFloat(0, 1)

    @validates_schema
    def one_period_one_scope(self, data: dict[str, Any], **kwargs: Any) -> None:
        periods: list[str] = [name for name in ("school_year", "month") if name in data]
        if "from_date" in data or "to_date" in data:
            periods.append("from_date")
        if len(periods) > 1:
            raise ValidationError("Give one of school_year, month or from_date/to_date.",
                                  periods[1])
        if ("from_date" in data) != ("to_date" in data):
            missing = "to_date" if "from_date" in data else "from_date"
            raise ValidationError("Give both from_date and to_date.", missing)
        if "from_date" in data and data["from_date"] > data["to_date"]:
            raise ValidationError("Must not be before from_date.", "to_date")
        scopes = [name for name in ("region_id", "school_id", "coach_id") if name in data]
        # A coach at one school (a drill-down's last step) is the one pair allowed.
        if len(scopes) > 1 and scopes != ["school_id", "coach_id"]:
            raise ValidationError("Give at most one of region_id, school_id, coach_id"
                                  " (or a coach_id at a school_id).", scopes[1])
