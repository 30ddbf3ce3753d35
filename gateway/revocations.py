"""Revoked tokens, in the gateway's own database so that a revocation survives a restart
and every gateway instance honours it.

District IT revokes one token (by its id, the ``jti`` claim) or every token of a person
issued up to now (a lost phone, a person who left): ``python -m gateway.auth revoke``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from coachops.dependencies import Database
from coachops.store import Datastore

DDL = """
CREATE TABLE IF NOT EXISTS revoked_tokens (
    token_id uuid PRIMARY KEY,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS revoked_people (
    person_id uuid PRIMARY KEY,
    issued_before timestamptz NOT NULL,  -- tokens issued at or before this are refused
    revoked_at timestamptz NOT NULL DEFAULT now()
);
"""


class RevocationList(Database):
    """The gateway's database, holding the revocations."""

    def __init__(self) -> None:
        super().__init__(schema=DDL)


def create_tables(datastore: Datastore) -> None:
    with datastore.transaction() as cursor:
        cursor.execute(DDL)


def revoke_token(datastore: Datastore, token_id: UUID) -> None:
    with datastore.transaction() as cursor:
        cursor.execute("INSERT INTO revoked_tokens (token_id) VALUES (%s) "
                       "ON CONFLICT DO NOTHING", (str(token_id),))


def revoke_person(datastore: Datastore, person_id: UUID, issued_before: datetime) -> None:
    # A later revocation widens the cut-off; an earlier one never narrows it.
    with datastore.transaction() as cursor:
        cursor.execute(
            "INSERT INTO revoked_people (person_id, issued_before) VALUES (%s, %s) "
            "ON CONFLICT (person_id) DO UPDATE SET issued_before = GREATEST("
            "revoked_people.issued_before, EXCLUDED.issued_before), revoked_at = now()",
            (str(person_id), issued_before))


def is_revoked(datastore: Datastore, token_id: UUID, person_id: UUID,
               issued_at: datetime) -> bool:
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = %s) OR EXISTS ("
            "SELECT 1 FROM revoked_people WHERE person_id = %s AND issued_before >= %s)",
            (str(token_id), str(person_id), issued_at))
        row = cursor.fetchone()
    return bool(row and row[0])
