"""Who is calling: a bearer token (a JWT signed with the district's key) names a person
from the roster and the role they act in. No token, or a bad, expired or revoked one: 401.

District IT issues and revokes tokens::

    python -m gateway.auth issue --person ID --role coach [--hours 12]
    python -m gateway.auth issue --integration --person SOURCED_ID_OR_EMAIL \
        --scope reports:read [--scope ...] --label "what it is for" [--days 90] [--role R]
    python -m gateway.auth list [--person SOURCED_ID_OR_EMAIL]   # integration tokens
    python -m gateway.auth revoke --token-id JTI          # one token
    python -m gateway.auth revoke --person ID             # every token issued to them so far

An integration token (a district's own app or script) is issued to a person named by the
roster's sourcedId or email, limited to its scopes (``gateway.scopes``) and recorded in
the gateway's database so it can be listed (``gateway.integration_tokens``).

A token is issued only for a role the roster gives the person today (asked of the
agreements service over ``AMQP_URI``), and the gateway checks that again on every request
(``gateway.roster_roles``). No person's token lives longer than ``COACHOPS_TOKEN_MAX_HOURS``
(12), no integration token (``--integration``: a district's own app or script) longer than
``COACHOPS_INTEGRATION_TOKEN_MAX_DAYS`` (90): ``issue`` refuses more, and ``verify`` refuses
a token whose lifetime (exp - iat) exceeds the limit of its kind.

The key comes from ``COACHOPS_TOKEN_SECRET`` (or ``COACHOPS_TOKEN_SECRET_FILE``); the
development default is refused when ``COACHOPS_ENV=production`` (``coachops.settings``).
Revocations go to the gateway's database (``GATEWAY_DATABASE_URL``, or
``--database-url``), which every gateway instance reads.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from werkzeug import Request
from werkzeug.exceptions import Unauthorized

from coachops import cli, settings
from coachops.identity import Actor, Role
from coachops.store import PostgresDatabase
from gateway import revocations

ISSUER = "coachops"
ALGORITHM = "HS256"
INTEGRATION = "integration"  # the ``use`` claim of a token for a district's own app or script
# Where the gateway's entrypoint leaves the caller it verified, for the route to read.
ACTOR_KEY = "coachops.actor"


def secret() -> str:
    return settings.current().token_secret


def max_hours(integration: bool = False) -> float:
    """The longest lifetime of a token of this kind, as the district configures it."""
    configured = settings.current()
    if integration:
        return 24 * configured.integration_token_max_days
    return configured.token_max_hours


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
    # An integration token's scopes (``gateway.scopes``); None for a person's own token,
    # which its role alone limits. An integration token without a scope may do nothing.
    scopes: frozenset[str] | None = None


def issue(person_id: uuid.UUID, role: Role, hours: float = 12.0,
          token_id: uuid.UUID | None = None, integration: bool = False,
          scopes: Iterable[str] = (), now: datetime | None = None) -> str:
    if hours > max_hours(integration):
        kind = "an integration token" if integration else "a token"
        raise TooLong(f"{kind} lives at most {max_hours(integration):g} hours here "
                      f"({_limit_name(integration)})")
    now = now or datetime.now(UTC)
    # iat with its fraction of a second, so a person's revocation at T refuses the tokens
    # issued before T and none issued after it, even within the same second.
    claims: dict[str, object] = {
        "sub": str(person_id), "role": role.value, "iss": ISSUER, "iat": now.timestamp(),
        "exp": now + timedelta(hours=hours), "jti": str(token_id or uuid.uuid4())}
    if integration:
        claims["use"] = INTEGRATION
        claims["scope"] = " ".join(sorted(set(scopes)))  # as OAuth writes scopes
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
                     issued_at=datetime.fromtimestamp(float(claims["iat"]), UTC),
                     scopes=frozenset(str(claims.get("scope", "")).split()) if integration
                     else None)
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

def _datastore(url: str | None) -> PostgresDatabase:
    datastore = PostgresDatabase(url or settings.current().gateway_database_url, pool_size=1)
    revocations.create_tables(datastore)  # revoking may come before the gateway's first start
    return datastore


def _revoke(args: argparse.Namespace) -> str:
    datastore = _datastore(args.database_url)
    try:
        if args.token_id:
            revocations.revoke_token(datastore, args.token_id)
            return f"revoked token {args.token_id}"
        try:
            person = uuid.UUID(args.person)
        except ValueError:
            raise Refused("revoke --person takes the person's id") from None
        before = datetime.now(UTC)
        revocations.revoke_person(datastore, person, before)
        return f"revoked every token of {args.person} issued up to {before.isoformat()}"
    finally:
        datastore.close()


class Refused(Exception):
    """Issuing refused, with the one line that says why."""


def _ask_roster(amqp_uri: str, method: str, *args: str) -> Any:
    """The agreements service's answer (it keeps the roster)."""
    from nameko.standalone.rpc import ClusterRpcProxy  # only the command line needs it

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as cluster:
            return getattr(cluster.agreements, method)(*args)
    except Exception as error:  # the broker or the service: either way, no check, no token
        raise Refused(f"the roster could not be asked ({type(error).__name__}: {error})"
                      ) from None


def roster_roles(amqp_uri: str, person: uuid.UUID) -> set[Role]:
    """The roles the roster gives ``person`` today (the agreements service's answer)."""
    return {Role(r) for r in _ask_roster(amqp_uri, "roles_on", str(person))}


def _issue(args: argparse.Namespace) -> str:
    if args.integration:
        return _issue_integration(args)
    if not args.role:
        raise Refused("name the role the token acts in (--role)")
    try:
        person = uuid.UUID(args.person)
    except ValueError:
        raise Refused("a person's token names them by id (--person ID); an integration "
                      "token (--integration) by sourcedId or email") from None
    role = Role(args.role)
    held = roster_roles(args.amqp_uri, person)
    if role not in held:
        holds = ", ".join(sorted(r.value for r in held)) or "no role (or they were forgotten)"
        raise Refused(f"the roster does not make {person} a {role.value} today; "
                      f"they hold {holds}")
    token_id = uuid.uuid4()
    hours = max_hours() if args.hours is None else args.hours
    token = issue(person, role, hours, token_id)
    print(f"token id: {token_id}", file=sys.stderr)
    return token


def _issue_integration(args: argparse.Namespace) -> str:
    from gateway import integration_tokens  # it builds on this module

    if not args.scope or not args.label:
        raise Refused("an integration token needs its scopes (--scope) and what it is for "
                      "(--label)")
    person = integration_tokens.Person.found(
        _ask_roster(args.amqp_uri, "identify_person", args.person), args.person)
    days = args.days if args.hours is None else args.hours / 24
    datastore = _datastore(args.database_url)
    try:
        issued = integration_tokens.issue_for(datastore, person, args.scope, args.label, days,
                                              Role(args.role) if args.role else None)
    finally:
        datastore.close()
    print(f"token id: {issued['token_id']}\nfor {issued['sourced_id']} as {issued['role']}, "
          f"scope {' '.join(issued['scopes'])}, until {issued['expires_at']}", file=sys.stderr)
    return str(issued["token"])


def _list(args: argparse.Namespace) -> list[str]:
    from gateway import integration_tokens  # it builds on this module

    person = None
    if args.person:
        person = integration_tokens.Person.found(
            _ask_roster(args.amqp_uri, "identify_person", args.person), args.person).person_id
    datastore = _datastore(args.database_url)
    try:
        listed = integration_tokens.listing(datastore, person)
    finally:
        datastore.close()
    return [f"{t['token_id']}  {t['status']:<7}  {t['sourced_id']}  {t['role']}  "
            f"{' '.join(t['scopes'])}  until {t['expires_at']}  {t['label']}" for t in listed]


def main(argv: list[str] | None = None) -> None:
    from coachops.commands.gateway import SCOPE_NAMES
    from coachops.errors import CoachopsError

    configured = settings.start(settings.TOKEN_SECRET)
    parser = argparse.ArgumentParser(description="Issue, list or revoke coachops access tokens.")
    sub = parser.add_subparsers(dest="command", required=True)
    amqp: dict[str, Any] = {"default": configured.amqp_uri,
            "help": "the broker, to ask the roster (default: $AMQP_URI)"}
    database: dict[str, Any] = {"help": "default: $GATEWAY_DATABASE_URL"}
    issue_cmd = sub.add_parser("issue", help="print a new token (its id goes to stderr)")
    issue_cmd.add_argument("--person", required=True,
                           help="a person's id; for --integration their sourcedId or email")
    issue_cmd.add_argument("--role", choices=[r.value for r in Role],
                           help="needed for a person's token; for --integration, when its "
                                "scope fits more than one of their roles")
    issue_cmd.add_argument("--hours", type=float, default=None,
                           help="default and most: $COACHOPS_TOKEN_MAX_HOURS (12), or for "
                                "--integration $COACHOPS_INTEGRATION_TOKEN_MAX_DAYS (90) days")
    issue_cmd.add_argument("--integration", action="store_true",
                           help="for a district's own app or script (a longer lifetime)")
    issue_cmd.add_argument("--scope", action="append", choices=SCOPE_NAMES,
                           help="what an integration token may do (repeat for more)")
    issue_cmd.add_argument("--label", help="what an integration token is for")
    issue_cmd.add_argument("--days", type=float, default=None,
                           help="an integration token's lifetime (default and most: "
                                "$COACHOPS_INTEGRATION_TOKEN_MAX_DAYS)")
    issue_cmd.add_argument("--amqp-uri", **amqp)
    issue_cmd.add_argument("--database-url", **database)
    list_cmd = sub.add_parser("list", help="the integration tokens issued, newest first")
    list_cmd.add_argument("--person", help="only this person's (sourcedId or email)")
    list_cmd.add_argument("--amqp-uri", **amqp)
    list_cmd.add_argument("--database-url", **database)
    revoke_cmd = sub.add_parser("revoke", help="refuse a token, or all of a person's tokens")
    which = revoke_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("--token-id", type=uuid.UUID, help="the token's id (its jti)")
    which.add_argument("--person", help="every token issued to this person (by id) until now")
    revoke_cmd.add_argument("--database-url", **database)
    args = parser.parse_args(argv)
    try:
        if args.command == "issue":
            print(_issue(args))
        elif args.command == "list":
            print("\n".join(_list(args)) or "no integration tokens")
        else:
            print(_revoke(args))
    except (Refused, TooLong, CoachopsError) as refusal:
        sys.exit(f"refused: {refusal}")


if __name__ == "__main__":
    cli.run(main)
