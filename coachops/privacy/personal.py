"""What a domain event holds that is personal: declared by the domain, sealed by the store."""

from __future__ import annotations

from dataclasses import dataclass

# What a sealed text reads as once its key is destroyed.
ERASED = "[erased]"


@dataclass(frozen=True, init=False)
class Personal:
    """The personal values of one event class, by path: ``"notes"`` is the event's
    attribute, ``"goal.what"`` the field ``what`` of its ``goal``. Every text at a path is
    sealed, however deep in lists and mappings; numbers, and ``None``, stay as they are.

    ``subject`` names the event attribute holding the id whose key seals them (a person);
    by default the aggregate's own id (a cycle's content has the cycle's key).
    """

    paths: tuple[str, ...]
    subject: str | None

    def __init__(self, *paths: str, subject: str | None = None) -> None:
        if not paths:
            raise ValueError("name at least one personal value")
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "subject", subject)
