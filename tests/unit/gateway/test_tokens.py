"""Tokens without the gateway: what a token names, and which tokens are refused (401)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from werkzeug import Request
from werkzeug.exceptions import Unauthorized
from werkzeug.test import EnvironBuilder

from coachops.identity import Actor, Role
from gateway.auth import (
    ACTOR_KEY,
    ALGORITHM,
    ISSUER,
    TooLong,
    actor_of,
    issue,
    secret,
    verify,
)
from tests.support.settings import configure

PERSON = uuid.uuid4()


def claims(**changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {"sub": str(PERSON), "role": "coach", "iss": ISSUER,
                               "iat": now, "exp": now + timedelta(hours=1),
                               "jti": str(uuid.uuid4())}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(**changes: object) -> str:
    return jwt.encode(claims(**changes), secret(), algorithm=ALGORITHM)


def test_a_token_names_the_person_the_role_its_id_and_when_it_was_issued() -> None:
    token_id = uuid.uuid4()
    before = datetime.now(UTC)
    token = verify(issue(PERSON, Role.PRINCIPAL, token_id=token_id))
    assert token.actor == Actor(PERSON, Role.PRINCIPAL)
    assert token.token_id == token_id
    # to the microsecond, so revoking a person at T spares a token issued just after T
    assert before <= token.issued_at <= datetime.now(UTC)


@pytest.mark.parametrize(("token", "reason"), [
    (signed(exp=datetime.now(UTC) - timedelta(seconds=5)), "the token has expired"),
    (jwt.encode(claims(), "another district's signing key, long enough", algorithm=ALGORITHM),
     "the token is not valid"),
    (signed(iss="someone-else"), "the token is not valid"),
    (signed(role="superintendent"), "the token is not valid"),
    (signed(sub="not-a-uuid"), "the token is not valid"),
    (signed(jti=None), "the token is not valid"),  # cannot be revoked: not accepted
    (signed(jti="not-a-uuid"), "the token is not valid"),
    (signed(iat=None), "the token is not valid"),
    (jwt.encode(claims(), None, algorithm="none"), "the token is not valid"),  # unsigned
    ("not.a.jwt", "the token is not valid"),
])
def test_a_bad_or_expired_token_is_refused(token: str, reason: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        verify(token)
    assert refused.value.description == reason


def request(headers: dict[str, str]) -> Request:
    return Request(EnvironBuilder(path="/x", headers=headers).get_environ())


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==",
                                    "Token abc"])
def test_no_bearer_token_is_refused(header: str) -> None:
    with pytest.raises(Unauthorized, match="sign in"):
        actor_of(request({"Authorization": header} if header else {}))


def test_a_route_reads_the_caller_the_gateway_verified() -> None:
    checked = request({})
    checked.environ[ACTOR_KEY] = Actor(PERSON, Role.TEACHER)
    assert actor_of(checked) == Actor(PERSON, Role.TEACHER)
    assert actor_of(request({"Authorization": f"Bearer {issue(PERSON, Role.COACH)}"})) == \
        Actor(PERSON, Role.COACH)


def test_no_token_lives_longer_than_the_district_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    with pytest.raises(Unauthorized, match="lives longer than the district allows"):
        verify(signed(iat=now, exp=now + timedelta(days=365 * 100)))  # a 100-year token
    with pytest.raises(TooLong):
        issue(PERSON, Role.COACH, hours=12.01)
    assert verify(issue(PERSON, Role.COACH, hours=12)).actor == Actor(PERSON, Role.COACH)
    configure(monkeypatch, COACHOPS_TOKEN_MAX_HOURS="2")  # the district's own setting
    with pytest.raises(TooLong):
        issue(PERSON, Role.COACH, hours=3)
    with pytest.raises(Unauthorized, match="lives longer"):
        verify(signed(iat=now, exp=now + timedelta(hours=3)))
    verify(signed(iat=now, exp=now + timedelta(hours=2)))


def test_an_integration_token_lives_up_to_its_own_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # A district's own app or script: 90 days by default, never a person's 12 hours' limit
    # bent; a person's token claiming a longer life is refused as before.
    now = datetime.now(UTC)
    quarter = 90 * 24
    token = issue(PERSON, Role.DISTRICT_LEADER, hours=quarter, integration=True)
    assert verify(token).actor == Actor(PERSON, Role.DISTRICT_LEADER)
    with pytest.raises(TooLong, match="COACHOPS_INTEGRATION_TOKEN_MAX_DAYS"):
        issue(PERSON, Role.DISTRICT_LEADER, hours=quarter + 1, integration=True)
    with pytest.raises(Unauthorized, match="COACHOPS_INTEGRATION_TOKEN_MAX_DAYS"):
        verify(signed(iat=now, exp=now + timedelta(days=91), use="integration"))
    with pytest.raises(Unauthorized, match="COACHOPS_TOKEN_MAX_HOURS"):
        verify(signed(iat=now, exp=now + timedelta(days=30)))  # a person's token
    configure(monkeypatch, COACHOPS_INTEGRATION_TOKEN_MAX_DAYS="7")
    with pytest.raises(Unauthorized, match="lives longer"):
        verify(token)
