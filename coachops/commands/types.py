"""The field types every command and query schema is made of, so each field is bounded and
storable by construction (``tests/unit/test_command_fields.py`` fails on a field that is
not one of them; UUIDs, times and booleans are bounded already).

- ``Text``: at most ``max_length`` characters, and no NUL (PostgreSQL stores neither it in
  text nor ``\\u0000`` in JSON) and no lone surrogate (no encoding can write it): such text
  would be accepted here and fail later in a service or in reporting.
- ``Day``, ``Instant``, ``Month``: the supported calendar, the years ``FIRST_YEAR`` to
  ``LAST_YEAR``. Reports add a school year, a week or a day to the dates they are given and
  convert instants between zones, so a date at the end of Python's calendar (9999-12-31,
  0001-01-01 with an offset) would overflow there.
- ``BoundedInt``, ``BoundedFloat``: a number with both ends of its range named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate

FIRST_YEAR, LAST_YEAR = 1900, 2199
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
OUT_OF_RANGE = f"give a date from {FIRST_DAY} to {LAST_DAY}"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair decodes to one character


def _validators(first: Callable[[Any], Any], given: Any) -> list[Callable[[Any], Any]]:
    if given is None:
        return [first]
    return [first, *(given if isinstance(given, list | tuple) else [given])]


class Text(fields.String):
    """Text a person sent: ``min_length`` to ``max_length`` characters, all storable."""

    def __init__(self, max_length: int, min_length: int | None = None, **kwargs: Any) -> None:
        kwargs["validate"] = _validators(validate.Length(min=min_length, max=max_length),
                                         kwargs.get("validate"))
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain the NUL character (\\u0000)")
        if _LONE_SURROGATE.search(text):
            raise ValidationError("must not contain a lone surrogate (\\ud800 to \\udfff):"
                                  " it is not a character")
        return text


def _calendar(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with the supported calendar said in the OpenAPI description."""
    said = {"description": f"in the supported calendar, {FIRST_DAY} to {LAST_DAY}"}
    return {**kwargs, "metadata": {**said, **kwargs.get("metadata", {})}}


def _in_range(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(OUT_OF_RANGE)


class Day(fields.Date):
    """A date of the supported calendar (ISO 8601, e.g. 2026-11-03)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_calendar(kwargs))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day: date = super()._deserialize(value, attr, data, **kwargs)
        _in_range(day)
        return day


class Instant(fields.DateTime):
    """A date and time of the supported calendar; with a zone or without (the district's
    local time). Inside the range, converting it to any zone stays inside Python's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_calendar(kwargs))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant: datetime = super()._deserialize(value, attr, data, **kwargs)
        _in_range(instant.date())
        return instant


class Month(Text):
    """A month of the supported calendar, as YYYY-MM."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(7, validate=validate.Regexp(
            r"^\d{4}-(0[1-9]|1[0-2])$", error="Expected a month as YYYY-MM."),
            **_calendar(kwargs))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        month = super()._deserialize(value, attr, data, **kwargs)
        if re.fullmatch(r"\d{4}-\d\d", month) and not (
                FIRST_YEAR <= int(month[:4]) <= LAST_YEAR):
            raise ValidationError(f"give a month from {FIRST_YEAR}-01 to {LAST_YEAR}-12")
        return month


class BoundedInt(fields.Integer):
    """A whole number from ``minimum`` to ``maximum``; strict (no "12" for 12) unless the
    value comes from a query string."""

    def __init__(self, minimum: int, maximum: int, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        kwargs["validate"] = _validators(validate.Range(min=minimum, max=maximum),
                                         kwargs.get("validate"))
        super().__init__(**kwargs)


class BoundedFloat(fields.Float):
    """A finite number from ``minimum`` to ``maximum``."""

    def __init__(self, minimum: float, maximum: float, **kwargs: Any) -> None:
        kwargs["validate"] = _validators(validate.Range(min=minimum, max=maximum),
                                         kwargs.get("validate"))
        super().__init__(allow_nan=False, **kwargs)
