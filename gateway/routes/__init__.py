"""Routes, one module per service they reach; the gateway service class composes them."""

from __future__ import annotations

from typing import Any

from coachops.commands import Command, instance


def validated(schema: type[Command], data: Any) -> dict[str, Any]:
    """Check ``data`` against a command's schema; return it as JSON-ready values for RPC.
    One instance of each schema per process: making one copies all its fields, which cost
    the gateway more than the check itself."""
    checker = instance(schema)
    return checker.dump(checker.load(data))


def with_path(body: Any, **path: str) -> Any:
    """The body with the URL's ids in it; a body that is not an object is left for the
    schema to refuse (a 400), not merged."""
    return {**body, **path} if isinstance(body, dict) else body
