"""Browser sessions after a district sign-in (``gateway.signin``), kept in the gateway's own
database so that every gateway instance knows them and a restart keeps them.

The browser holds only a random key in a cookie (``coachops_session``: HttpOnly,
SameSite=Lax, Secure when the gateway's public URL is https); the database holds its
SHA-256, never the key. A session ends ``SESSION_IDLE_MINUTES`` after its last request and
``SESSION_MAX_HOURS`` after the sign-in, whichever comes first, or when the person signs
out. Each session has a CSRF token, given by ``GET /auth/session``: a request of the
session that changes anything (any method but GET, HEAD and OPTIONS) must send it as
``X-CSRF-Token``, so another site cannot make the browser act for the person.

Revocation is the tokens' (``gateway.revocations``): a session's id is revoked like a
token's id when it ends, and revoking or forgetting a person refuses every session they
opened up to then, at every gateway instance within milliseconds (``NOTIFY``).

The sign-ins under way (their state, nonce and PKCE verifier) are here too, so the
provider may send the browser back to any instance; each is taken once
(``take_pending``) and lives at most ``PENDING_MINUTES``.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug import Request, Response
from werkzeug.exceptions import Forbidden, Unauthorized

from coachops import migrations, settings
from coachops.dependencies import Database
from coachops.identity import Actor, Role
from coachops.store import PostgresDatabase
from gateway.auth import Token
from gateway.oidc import new_secret
from gateway.revocations import revoke_token

COOKIE = "coachops_session"
# Ties a sign-in under way to the browser that began it: a callback link opened in another
# browser (someone luring a person into signing in as the attacker) is refused.
SIGN_IN_COOKIE = "coachops_signin"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PENDING_MINUTES = 10
SEEN_SECONDS = 30  # how stale last_seen may get before a request writes it again

DDL = """
CREATE TABLE IF NOT EXISTS browser_sessions (
    key_hash text PRIMARY KEY,  -- SHA-256 of the cookie's key; the key is never stored
    session_id uuid UNIQUE NOT NULL,  -- revoked like a token's id (gateway.revocations)
    person_id uuid NOT NULL,
    name text NOT NULL,
    roles text[] NOT NULL,  -- what the roster gave them at sign-in
    role text,  -- the one they act in; NULL until they choose
    csrf_token text NOT NULL,
    id_token text,  -- the provider's, as the hint when signing out there
    created_at timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ended_at timestamptz
);
CREATE INDEX IF NOT EXISTS browser_sessions_by_person ON browser_sessions (person_id);
CREATE TABLE IF NOT EXISTS pending_sign_ins (
    state_hash text PRIMARY KEY,
    browser_hash text NOT NULL,  -- the browser that began it (its coachops_signin cookie)
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    return_to text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"""

# Step 1 is the tables as the release before migrations made them (DDL, idempotent).
MIGRATIONS = migrations.register("gateway.sessions", ("baseline", DDL))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Pending:
    nonce: str
    code_verifier: str
    return_to: str
    browser_hash: str

    def began_in(self, request: Request) -> bool:
        binding = request.cookies.get(SIGN_IN_COOKIE, "")
        return bool(binding) and hmac.compare_digest(digest(binding), self.browser_hash)


@dataclass(frozen=True)
class Session:
    session_id: uuid.UUID
    person_id: uuid.UUID
    name: str
    roles: tuple[Role, ...]
    role: Role | None
    csrf_token: str
    id_token: str | None
    created_at: datetime
    expires_at: datetime

    def view(self) -> dict[str, Any]:
        """What ``GET /auth/session`` answers."""
        return {"signed_in": True, "person_id": str(self.person_id), "name": self.name,
                "roles": [r.value for r in self.roles],
                "role": None if self.role is None else self.role.value,
                "csrf_token": self.csrf_token, "expires_at": self.expires_at.isoformat()}


# Sign-ins under way ----------------------------------------------------------------------

def begin(datastore: PostgresDatabase, state: str, nonce: str, code_verifier: str,
          return_to: str, browser: str) -> None:
    """A sign-in under way, begun by the browser holding ``browser`` in its cookie."""
    with datastore.transaction() as cursor:
        cursor.execute("DELETE FROM pending_sign_ins WHERE created_at < now() - "
                       "make_interval(mins => %s)", (PENDING_MINUTES,))
        cursor.execute("INSERT INTO pending_sign_ins (state_hash, browser_hash, nonce, "
                       "code_verifier, return_to) VALUES (%s, %s, %s, %s, %s)",
                       (digest(state), digest(browser), nonce, code_verifier, return_to))


def take_pending(datastore: PostgresDatabase, state: str) -> Pending | None:
    """The sign-in ``state`` began, once: a second callback with it finds nothing."""
    with datastore.transaction() as cursor:
        cursor.execute("DELETE FROM pending_sign_ins WHERE state_hash = %s RETURNING nonce, "
                       "code_verifier, return_to, browser_hash, created_at > now() - "
                       "make_interval(mins => %s)", (digest(state), PENDING_MINUTES))
        row = cursor.fetchone()
    if row is None or not row[4]:
        return None
    return Pending(row[0], row[1], row[2], row[3])


# Sessions --------------------------------------------------------------------------------

_COLUMNS = ("session_id, person_id, name, roles, role, csrf_token, id_token, created_at, "
            "expires_at")


def _session(row: tuple[Any, ...]) -> Session:
    session_id, person_id, name, roles, role, csrf, id_token, created_at, expires_at = row
    return Session(uuid.UUID(str(session_id)), uuid.UUID(str(person_id)), name,
                   tuple(Role(r) for r in roles), None if role is None else Role(role),
                   csrf, id_token, created_at, expires_at)


def open_session(datastore: PostgresDatabase, person_id: uuid.UUID, name: str,
                 roles: tuple[Role, ...], id_token: str | None,
                 now: datetime | None = None) -> tuple[str, Session]:
    """A new session (acting in their one role, or none until they choose) and the key
    its cookie carries."""
    now = now or datetime.now(UTC)
    key = new_secret(48)
    session = Session(uuid.uuid4(), person_id, name, roles, roles[0] if len(roles) == 1
                      else None, new_secret(32), id_token, now,
                      now + timedelta(hours=settings.current().session_max_hours))
    with datastore.transaction() as cursor:
        # Sessions long over are of no more use (their ids stay revoked).
        cursor.execute("DELETE FROM browser_sessions WHERE expires_at < now() - interval "
                       "'1 day'")
        cursor.execute(
            "INSERT INTO browser_sessions (key_hash, session_id, person_id, name, roles, role,"
            " csrf_token, id_token, created_at, last_seen, expires_at) VALUES (%s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, %s)",
            (digest(key), str(session.session_id), str(person_id), name,
             [r.value for r in roles], None if session.role is None else session.role.value,
             session.csrf_token, id_token, now, now, session.expires_at))
    return key, session


def find(datastore: PostgresDatabase, key: str) -> Session | None:
    """The live session of this cookie's key (and it is seen now), or None when there is
    none, it was ended, or it outlived its idle or absolute lifetime."""
    idle = settings.current().session_idle_minutes
    with datastore.transaction() as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS}, last_seen < now() - make_interval(secs => %s) "
            "FROM browser_sessions WHERE key_hash = %s AND ended_at IS NULL "
            "AND expires_at > now() AND last_seen > now() - make_interval(secs => %s)",
            (SEEN_SECONDS, digest(key), idle * 60))
        row = cursor.fetchone()
        if row is None:
            return None
        if row[-1]:
            cursor.execute("UPDATE browser_sessions SET last_seen = now() WHERE key_hash = %s",
                           (digest(key),))
    return _session(row[:-1])


def choose_role(datastore: PostgresDatabase, session: Session, role: Role,
                roles: tuple[Role, ...]) -> Session:
    """Acting in ``role`` from now on; ``roles``: those the roster gives them today."""
    with datastore.transaction() as cursor:
        cursor.execute("UPDATE browser_sessions SET role = %s, roles = %s WHERE session_id = %s",
                       (role.value, [r.value for r in roles], str(session.session_id)))
    return Session(**{**session.__dict__, "role": role, "roles": roles})


def end(datastore: PostgresDatabase, session_id: uuid.UUID) -> None:
    """Ended here, and refused at every gateway instance (a revoked id, notified)."""
    with datastore.transaction() as cursor:
        cursor.execute("UPDATE browser_sessions SET ended_at = now() WHERE session_id = %s "
                       "AND ended_at IS NULL", (str(session_id),))
    revoke_token(datastore, session_id)


# The cookie ------------------------------------------------------------------------------

def secure() -> bool:
    return settings.current().gateway_public_url.startswith("https://")


def set_cookie(response: Response, key: str, session: Session) -> None:
    response.set_cookie(COOKIE, key, expires=session.expires_at, path="/", httponly=True,
                        samesite="Lax", secure=secure())


def set_sign_in_cookie(response: Response, browser: str) -> None:
    response.set_cookie(SIGN_IN_COOKIE, browser, max_age=PENDING_MINUTES * 60,
                        path="/auth/callback", httponly=True, samesite="Lax", secure=secure())


def clear_sign_in_cookie(response: Response) -> None:
    response.delete_cookie(SIGN_IN_COOKIE, path="/auth/callback", httponly=True,
                           samesite="Lax", secure=secure())


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax", secure=secure())


def csrf_matches(request: Request, session: Session) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(sent) and hmac.compare_digest(sent.encode(), session.csrf_token.encode())


def require_csrf(request: Request, session: Session) -> None:
    if request.method not in SAFE_METHODS and not csrf_matches(request, session):
        raise Forbidden(f"a request that changes something must send this session's CSRF "
                        f"token as {CSRF_HEADER} (GET /auth/session gives it)")


def of_request(datastore: PostgresDatabase, request: Request) -> Session | None:
    key = request.cookies.get(COOKIE)
    return find(datastore, key) if key else None


class SessionStore(Database):
    """The gateway's database, holding the sessions (``GatewayService.sessions``); the
    gateway's entrypoint asks it who a request with a session cookie is."""

    def __init__(self) -> None:
        super().__init__(schema=MIGRATIONS)

    def has_cookie(self, request: Request) -> bool:
        return COOKIE in request.cookies and "Authorization" not in request.headers

    def token_of(self, request: Request) -> Token:
        """The request's session as the gateway checks a token: 401 without a live one,
        403 without a chosen role or, for a change, without the CSRF token."""
        assert self.database is not None
        session = of_request(self.database, request)
        if session is None:
            raise Unauthorized("your session has ended: sign in again")
        require_csrf(request, session)
        if session.role is None:
            raise Forbidden("choose the role you act in first (POST /auth/role)")
        return Token(actor=Actor(session.person_id, session.role),
                     token_id=session.session_id, issued_at=session.created_at)
