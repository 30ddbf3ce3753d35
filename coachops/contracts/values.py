"""The checked values contracts are made of: bounded numbers and counts, codes from a fixed
list, the district's own codes and labels, focus area ids.

One definition of each rule, so that two events carrying a count or a phase check it
alike (ids, dates and instants are plain required marshmallow fields: they have no rule).
There is no free text here on purpose (coaching is confidential): a contract that needs
words other than an organisational unit's label has no value to say them with.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate


def a_number(low: int, high: int | None = None, *, strict: bool = False) -> fields.Int:
    """A whole number from ``low`` (to ``high``); ``strict`` refuses "3" and 3.0."""
    return fields.Int(required=True, strict=strict, validate=validate.Range(min=low, max=high))


def a_count(low: int = 0) -> fields.Int:
    return a_number(low, strict=True)


def one_of(choices: tuple[str, ...]) -> fields.Str:
    return fields.Str(required=True, validate=validate.OneOf(choices))


def a_code(longest: int = 100) -> fields.Str:
    """A code or a label of the district's own (a category, a region's name)."""
    return fields.Str(required=True, validate=validate.Length(min=1, max=longest))


def focus_area_ids(**kwargs: Any) -> fields.List[str]:
    return fields.List(fields.Str(validate=validate.Length(min=1, max=100)), **kwargs)
