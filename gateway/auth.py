"""Who is calling: a bearer token (a JWT signed with the district's key) names a person
from the roster and the role they act in. No token, or a bad, expired or revoked one: 401.

District IT issues and revokes tokens::

    python -m gateway.auth issue --person ID --role coach [--hours 12]
    python -m gateway.auth revoke --token-id JTI          # one token
    python -m gateway.auth revoke --person ID             # every token issued to them so far

A token is issued only for a role the roster gives the person today (asked of the
agreements service over ``AMQP_URI``), and the gateway checks that again on every request
(``gateway.roster_roles``). No person's token lives longer than ``COACHOPS_TOKEN_MAX_HOURS``
(12), no integration token (``--integration``: a district's own app or script) longer than
``COACHOPS_INTEGRATION_TOKEN_MAX_DAYS`` (90): ``issue`` refuses more, and ``verify`` refuses
a token whose lifetime (exp - iat) exceeds the limit of its kind.

The key comes from ``COACHOPS_TOKEN_SECRET``; the development default is refused when
``COACHOPS_ENV=production``. Revocations go to the gateway's database
(``GATEWAY_DATABASE_URL``, or ``--database-url``), which every gateway instance reads.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from nameko.extensions import DependencyProvider
from werkzeug import Request
from werkzeug.exceptions import Unauthorized

from coachops.identity import Actor, Role
from coachops.store import Datastore
from gateway import revocations

DEV_SECRET = "coachops-development-only-secret-change-me"
ISSUER = "coachops"
ALGORITHM = "HS256"
DEFAULT_DATABASE_URL = "postgresql://coachops_gateway@127.0.0.1:5432/coachops_gateway"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_MAX_HOURS = 12.0
DEFAULT_INTEGRATION_MAX_DAYS = 90.0
INTEGRATION = "integration"  # the ``use`` claim of a token for a district's own app or script
# Where the gateway's entrypoint leaves the caller it verified, for the route to read.
ACTOR_KEY = "coachops.actor"


def secret() -> str:
    value = os.environ.get("COACHOPS_TOKEN_SECRET", "")
    if os.environ.get("COACHOPS_ENV") == "production" and (not value or value == DEV_SECRET):
        raise RuntimeError("COACHOPS_TOKEN_SECRET must be set to a secret of the district's")
    return value or DEV_SECRET


class TokenSecret(DependencyProvider):
    """Checks the signing key and the token lifetimes when the gateway starts: in
    production a missing or default key, or a malformed lifetime, stops it there, not at
    the first request."""

    def setup(self) -> None:
        secret()
        max_hours(), max_hours(integration=True)


def _setting(name: str, default: float, unit: str) -> float:
    value = os.environ.get(name, "")
    try:
        amount = float(value) if value else default
    except ValueError:
        raise RuntimeError(f"{name} is a number of {unit}") from None
    if not 0 < amount <= (24 * 366 if unit == "hours" else 366):
        raise RuntimeError(f"{name} is between 0 and a year of {unit}")
    return amount


def max_hours(integration: bool = False) -> float:
    """The longest lifetime of a token of this kind, as the district configures it."""
    if integration:
        return 24 * _setting("COACHOPS_INTEGRATION_TOKEN_MAX_DAYS",
                             DEFAULT_INTEGRATION_MAX_DAYS, "days")
    return _setting("COACHOPS_TOKEN_MAX_HOURS", DEFAULT_MAX_HOURS, "hours")


def _limit_name(integration: bool) -> str:
    return ("COACHOPS_INTEGRATION_TOKEN_MAX_DAYS" if integration
            else "COACHOPS_TOKEN_MAX_HOURS")


class TooLong(ValueError):
    """A token asked to live longer than the district allows."""


@dataclass(frozen=True)
class Token:
    actor: Actor
    token_id: uuid.UUID  # the jti claim: what district IT revokes
    issued_at: datetime


def issue(person_id: uuid.UUID, role: Role, hours: float = 12.0,
          token_id: uuid.UUID | None = None, integration: bool = False) -> str:
    if hours > max_hours(integration):
        kind = "an integration token" if integration else "a token"
        raise TooLong(f"{kind} lives at most {max_hours(integration):g} hours here "
                      f"({_limit_name(integration)})")
    now = datetime.now(UTC)
    # iat with its fraction of a second, so a person's revocation at T refuses the tokens
    # issued before T and none issued after it, even within the same second.
    claims: dict[str, object] = {
        "sub": str(person_id), "role": role.value, "iss": ISSUER, "iat": now.timestamp(),
        "exp": now + timedelta(hours=hours), "jti": str(token_id or uuid.uuid4())}
    if integration:
        claims["use"] = INTEGRATION
    return jwt.encode(claims, secret(), algorithm=ALGORITHM)


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>'")
    return token.strip()


def verify(token: str) -> Token:
    """The token's person, role, id and time of issue; Unauthorized if it is not one of
    ours, is malformed or has expired. (Revocation is checked by the gateway, which has
    the list.)"""
    try:
        claims = jwt.decode(token, secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "role", "exp", "iss", "iat", "jti"]})
        integration = claims.get("use") == INTEGRATION
        if float(claims["exp"]) - float(claims["iat"]) > max_hours(integration) * 3600 + 1:
            raise Unauthorized("the token lives longer than the district allows "
                               f"({_limit_name(integration)})")
        return Token(actor=Actor(id=uuid.UUID(str(claims["sub"])), role=Role(claims["role"])),
                     token_id=uuid.UUID(str(claims["jti"])),
                     issued_at=datetime.fromtimestamp(float(claims["iat"]), UTC))
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
        raise Unauthorized("the token is not valid") from None


def actor_of(request: Request) -> Actor:
    """The caller: as the gateway's entrypoint verified it (signature, expiry, revocation
    and role), or, for a route called directly, from the token's signature alone."""
    known = request.environ.get(ACTOR_KEY)
    if isinstance(known, Actor):
        return known
    return verify(bearer_token(request)).actor


# The command line: district IT ------------------------------------------------------------

def _datastore(url: str | None) -> Datastore:
    datastore = Datastore(url or os.environ.get("GATEWAY_DATABASE_URL") or DEFAULT_DATABASE_URL,
                          pool_size=1)
    revocations.create_tables(datastore)  # revoking may come before the gateway's first start
    return datastore


def _revoke(args: argparse.Namespace) -> str:
    datastore = _datastore(args.database_url)
    try:
        if args.token_id:
            revocations.revoke_token(datastore, args.token_id)
            return f"revoked token {args.token_id}"
        before = datetime.now(UTC)
        revocations.revoke_person(datastore, args.person, before)
        return f"revoked every token of {args.person} issued up to {before.isoformat()}"
    finally:
        datastore.close()


class Refused(Exception):
    """Issuing refused, with the one line that says why."""


def roster_roles(amqp_uri: str, person: uuid.UUID) -> set[Role]:
    """The roles the roster gives ``person`` today (the agreements service's answer)."""
    from nameko.standalone.rpc import ClusterRpcProxy  # only the command line needs it

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
            return {Role(r) for r in cluster.agreements.roles_on(str(person))}
    except Exception as error:  # the broker or the service: either way, no check, no token
        raise Refused(f"the roster could not be asked ({type(error).__name__}: {error})"
                      ) from None


def _issue(args: argparse.Namespace) -> str:
    role = Role(args.role)
    held = roster_roles(args.amqp_uri, args.person)
    if role not in held:
        holds = ", ".join(sorted(r.value for r in held)) or "no role (or they were forgotten)"
        raise Refused(f"the roster does not make {args.person} a {role.value} today; "
                      f"they hold {holds}")
    token_id = uuid.uuid4()
    hours = max_hours(args.integration) if args.hours is None else args.hours
    token = issue(args.person, role, hours, token_id, integration=args.integration)
    print(f"token id: {token_id}", file=sys.stderr)
    return token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Issue or revoke coachops access tokens.")
    sub = parser.add_subparsers(dest="command", required=True)
    issue_cmd = sub.add_parser("issue", help="print a new token (its id goes to stderr)")
    issue_cmd.add_argument("--person", type=uuid.UUID, required=True)
    issue_cmd.add_argument("--role", choices=[r.value for r in Role], required=True)
    issue_cmd.add_argument("--hours", type=float, default=None,
                           help="default and most: $COACHOPS_TOKEN_MAX_HOURS (12), or for "
                                "--integration $COACHOPS_INTEGRATION_TOKEN_MAX_DAYS (90) days")
    issue_cmd.add_argument("--integration", action="store_true",
                           help="for a district's own app or script (a longer lifetime)")
    issue_cmd.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP),
                           help="the broker, to ask the roster (default: $AMQP_URI)")
    revoke_cmd = sub.add_parser("revoke", help="refuse a token, or all of a person's tokens")
    which = revoke_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--token-id", type=uuid.UUID, help="the token's id (its jti)")
    which.add_argument("--person", type=uuid.UUID,
                       help="every token issued to this person until now")
    revoke_cmd.add_argument("--database-url", help="default: $GATEWAY_DATABASE_URL")
    args = parser.parse_args(argv)
    if args.command == "issue":
        try:
            print(_issue(args))
        except (Refused, TooLong) as refusal:
            sys.exit(f"refused: {refusal}")
    else:
        print(_revoke(args))


if __name__ == "__main__":
    main()
