"""Integration tokens: for a district's own apps and scripts (a nightly roster import, a
reports export, a coach's sync from another app), issued by district IT to a person named
by the roster's sourcedId or email, with a scope (``gateway.scopes``), a label that says
what it is for, and a lifetime of at most ``COACHOPS_INTEGRATION_TOKEN_MAX_DAYS``.

Each is recorded in the gateway's database (table ``integration_tokens``, without the
token itself) so district IT can list them and revoke one; revoking goes through
``gateway.revocations``, which every gateway instance follows within seconds. Issued from
the console (``/admin/``, ``gateway.routes.admin``) or the command line
(``python -m gateway.auth issue --integration ...``, ``list``, ``revoke``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from coachops.errors import Invalid, NotFound
from coachops.identity import Role
from coachops.json import Json
from coachops.store import PostgresDatabase
from gateway import scopes as scoping
from gateway.auth import TooLong, issue, max_hours

MAX_LISTED = 1000


@dataclass(frozen=True)
class Person:
    """Whom a token is for, as the roster answers (agreements' ``identify_person``)."""

    person_id: uuid.UUID
    sourced_id: str
    roles: frozenset[Role]
    forgotten: bool = False

    @classmethod
    def found(cls, answer: Json | None, identifier: str) -> Person:
        """NotFound (naming ``person``) when the roster knows nobody by ``identifier``."""
        if not answer:
            raise NotFound(f"nobody on the roster has the sourcedId or email {identifier!r}",
                           field="person")
        person = cls(uuid.UUID(str(answer["person_id"])), str(answer["sourced_id"]),
                     frozenset(Role(r) for r in answer["roles"]), bool(answer["forgotten"]))
        if person.forgotten:
            raise Invalid(f"{identifier!r} was forgotten: no token is issued to them",
                          field="person")
        return person


def issue_for(datastore: PostgresDatabase, person: Person, scopes: Iterable[str], label: str,
              days: float | None = None, role: Role | None = None,
              issued_by: uuid.UUID | None = None) -> Json:
    """A new token (its only copy, in ``token``) and its record. Invalid when the roster
    does not give the person a role its scope needs or it would live too long."""
    wanted = sorted(set(scopes))
    acting = scoping.role_for(wanted, person.roles, role)
    hours = max_hours(integration=True) if days is None else days * 24
    token_id, now = uuid.uuid4(), datetime.now(UTC)
    try:
        token = issue(person.person_id, acting, hours, token_id, integration=True,
                      scopes=wanted, now=now)
    except TooLong as refusal:
        raise Invalid(str(refusal), field="days") from None
    row = (token_id, person.person_id, person.sourced_id, acting.value, wanted, label,
           issued_by, now, now + timedelta(hours=hours))
    with datastore.transaction() as cursor:
        cursor.execute(
            "INSERT INTO integration_tokens (token_id, person_id, sourced_id, role, scopes,"
            " label, issued_by, issued_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " %s, %s)", tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row))
    return {"token": token, **_view((*row, None, None), now)}


_COLUMNS = ("t.token_id, t.person_id, t.sourced_id, t.role, t.scopes, t.label, t.issued_by,"
            " t.issued_at, t.expires_at, t.revoked_at, p.issued_before")


def listing(datastore: PostgresDatabase, person_id: uuid.UUID | None = None) -> list[Json]:
    """The tokens issued (a person's, or everyone's), the newest first, each with whether
    it is active, revoked (itself, or every token of its person) or expired."""
    where, values = ("WHERE t.person_id = %s", (str(person_id),)) if person_id else ("", ())
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM integration_tokens t LEFT JOIN revoked_people"
                       f" p ON p.person_id = t.person_id {where} ORDER BY t.issued_at DESC"
                       f" LIMIT {MAX_LISTED}", values)
        rows = cursor.fetchall()
    now = datetime.now(UTC)
    return [_view(row, now) for row in rows]


def found(datastore: PostgresDatabase, token_id: uuid.UUID) -> Json:
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM integration_tokens t LEFT JOIN revoked_people"
                       " p ON p.person_id = t.person_id WHERE t.token_id = %s",
                       (str(token_id),))
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"there is no integration token {token_id}", field="token_id")
    return _view(row, datetime.now(UTC))


def _view(row: tuple[Any, ...], now: datetime) -> Json:
    (token_id, person_id, sourced_id, role, scopes, label, issued_by, issued_at, expires_at,
     revoked_at, person_cut_off) = row
    if revoked_at is None and person_cut_off is not None and issued_at <= person_cut_off:
        revoked_at = person_cut_off  # every token of the person was revoked
    status = ("revoked" if revoked_at is not None
              else "expired" if expires_at <= now else "active")
    return {"token_id": str(token_id), "person_id": str(person_id), "sourced_id": sourced_id,
            "role": role, "scopes": list(scopes), "label": label,
            "issued_by": None if issued_by is None else str(issued_by),
            "issued_at": issued_at.isoformat(), "expires_at": expires_at.isoformat(),
            "revoked_at": None if revoked_at is None else revoked_at.isoformat(),
            "status": status}
