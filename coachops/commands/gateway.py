"""Requests the gateway answers itself: district IT's integration tokens (recorded in the
gateway's own database, ``gateway.integration_tokens``)."""

from __future__ import annotations

from typing import Final

from marshmallow import fields, validate

from coachops.commands import Command
from coachops.commands.types import BoundedFloat, Text
from coachops.identity import Role

# What a token may be limited to (``gateway.scopes`` says which routes each covers).
SCOPE_NAMES: Final = ("reports:read", "sync", "roster:import")


class IssueIntegrationToken(Command):
    """For a district's own app or script: the person it acts as (by the roster's sourcedId
    or email, never an id of ours), what it may do, and what it is for. ``days``: its
    lifetime, at most (and by default) the district's longest for an integration token;
    ``role``: which of the person's roles, when the scope fits more than one."""

    person = Text(320, min_length=1, required=True)
    scopes = fields.List(Text(30, validate=validate.OneOf(SCOPE_NAMES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPE_NAMES)))
    label = Text(200, min_length=1, required=True)
    days = BoundedFloat(0.01, 366, load_default=None, allow_none=True)
    role = Text(30, load_default=None, allow_none=True,
                validate=validate.OneOf([r.value for r in Role]))


class IntegrationTokensQuery(Command):
    """Every integration token, or one person's (by their roster id)."""

    person_id = fields.UUID(load_default=None, allow_none=True)


class RevokeIntegrationToken(Command):
    token_id = fields.UUID(required=True)


class ChooseRole(Command):
    """Which of the roles the roster gives them today a signed-in person acts in."""

    role = Text(30, required=True, validate=validate.OneOf([r.value for r in Role]))
