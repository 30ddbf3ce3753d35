"""Who is calling: a bearer token (a JWT signed with the district's key) names a person
from the roster and the role they act in. No token, or a bad or expired one: 401.

District IT issues tokens with ``python -m gateway.auth issue --person ID --role coach``.
The key comes from ``COACHOPS_TOKEN_SECRET``; the development default is refused when
``COACHOPS_ENV=production``.
"""

from __future__ import annotations

import argparse
import os
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from nameko.extensions import DependencyProvider
from werkzeug import Request
from werkzeug.exceptions import Unauthorized

from coachops.identity import Actor, Role

DEV_SECRET = "coachops-development-only-secret-change-me"
ISSUER = "coachops"
ALGORITHM = "HS256"


def secret() -> str:
    value = os.environ.get("COACHOPS_TOKEN_SECRET", "")
    if os.environ.get("COACHOPS_ENV") == "production" and (not value or value == DEV_SECRET):
        raise RuntimeError("COACHOPS_TOKEN_SECRET must be set to a secret of the district's")
    return value or DEV_SECRET


class TokenSecret(DependencyProvider):
    """Checks the signing key when the gateway starts: in production a missing or default
    key stops it there, not at the first request."""

    def setup(self) -> None:
        secret()


def issue(person_id: uuid.UUID, role: Role, hours: float = 12.0) -> str:
    now = datetime.now(UTC)
    claims = {"sub": str(person_id), "role": role.value, "iss": ISSUER, "iat": now,
              "exp": now + timedelta(hours=hours), "jti": str(uuid.uuid4())}
    return jwt.encode(claims, secret(), algorithm=ALGORITHM)


def actor_of(request: Request) -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("sign in: send 'Authorization: Bearer <token>'")
    try:
        claims = jwt.decode(token, secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "role", "exp", "iss"]})
        return Actor(id=uuid.UUID(claims["sub"]), role=Role(claims["role"]))
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthorized("the token is not valid") from None


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue a coachops access token.")
    sub = parser.add_subparsers(dest="command", required=True)
    issue_cmd = sub.add_parser("issue")
    issue_cmd.add_argument("--person", type=uuid.UUID, required=True)
    issue_cmd.add_argument("--role", choices=[r.value for r in Role], required=True)
    issue_cmd.add_argument("--hours", type=float, default=12.0)
    args = parser.parse_args()
    print(issue(args.person, Role(args.role), args.hours))


if __name__ == "__main__":
    main()
