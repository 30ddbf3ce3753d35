"""Errors that a person can cause, and that cross a service boundary intact.

Domain code raises these; the gateway maps each to one HTTP status. They are registered
with nameko as deserialisable, so over RPC the gateway receives the same class with the
same message and field, not an opaque ``RemoteError``.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


@deserialize_to_instance
class CoachopsError(Exception):
    """Base of every error a user can cause. ``field`` names the input at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        # Both in args, so RPC carries both; nameko stringifies args, so None is left out.
        super().__init__(*((message,) if field is None else (message, field)))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message, "field": self.field}


@deserialize_to_instance
class Invalid(CoachopsError):
    """The request is well formed but breaks a rule of the domain."""

    status = 422


@deserialize_to_instance
class NotFound(CoachopsError):
    status = 404


@deserialize_to_instance
class Forbidden(CoachopsError):
    status = 403


@deserialize_to_instance
class Conflict(CoachopsError):
    """Someone else changed the same thing first; the client may retry."""

    status = 409


@deserialize_to_instance
class Rejected(Invalid):
    """An upload refused whole (nothing of it was saved), with every problem in ``errors``:
    ``{line, field, reason}`` by line number as the file opens in a spreadsheet (the header
    is line 1), and ``file`` when several files came together.

    ``name`` is what the answer's ``error`` says, the one its clients have always been
    given: ``ImportRejected`` for a coach's CSV file, ``RosterRejected`` for the roster.
    """

    def __init__(
        self, message: str, errors: list[dict[str, Any]] | str | None = None,
        name: str = "Rejected",
    ) -> None:
        super().__init__(message)
        # nameko turns every value in an error's args into text (line 2 would arrive as
        # "2", no field as "None"), so the list travels as JSON and no field travels at all.
        self.errors = json.loads(errors) if isinstance(errors, str) else list(errors or [])
        self.name = name
        self.args = (message, json.dumps(self.errors), name)

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "error": self.name, "errors": self.errors}
