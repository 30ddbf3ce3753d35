"""The rule of what a person writes in a short field: something, and not too long."""

from __future__ import annotations

from coachops.errors import Invalid


def written(cleaned: str, field_name: str, most: int, if_empty: str) -> str:
    """``cleaned`` (its white space tidied by the caller) if it is there and at most
    ``most`` characters long; ``if_empty`` says what to write when it is not there."""
    if not cleaned:
        raise Invalid(if_empty, field=field_name)
    if len(cleaned) > most:
        raise Invalid(f"the {field_name} is longer than {most} characters", field=field_name)
    return cleaned
