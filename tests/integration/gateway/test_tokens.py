"""Tokens at the running gateway: no token, a bad, expired or revoked one is a 401 with a
JSON body; district IT revokes with ``python -m gateway.auth revoke``, and a revocation
holds after the gateway restarts and at every gateway instance."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import jwt
import pytest
import requests

from coachops.identity import Role
from deploy.local import ROOT
from gateway.auth import ALGORITHM, issue
from tests.support.platform import Platform

from .conftest import GATEWAY_DB_URL
from .world import World

pytestmark = pytest.mark.e2e


def categories(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/time-categories", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def gateway_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": GATEWAY_DB_URL}
    return subprocess.run([sys.executable, "-m", "gateway.auth", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=True)


@pytest.mark.parametrize(("header", "reason"), [
    (None, "sign in: send 'Authorization: Bearer <token>'"),
    ("Bearer not-a-token", "the token is not valid"),
    ("Basic Y29hY2g6cGFzc3dvcmQ=", "sign in: send 'Authorization: Bearer <token>'"),
    (f"Bearer {issue(uuid.uuid4(), Role.COACH, hours=-1)}", "the token has expired"),
    ("Bearer " + jwt.encode({"sub": str(uuid.uuid4()), "role": "coach", "iss": "coachops",
                             "iat": 1, "exp": 4102444800, "jti": str(uuid.uuid4())},
                            "a key that is not the district's, long enough",
                            algorithm=ALGORITHM), "the token is not valid"),
])
def test_no_token_or_a_bad_or_expired_one_is_a_401(platform: Platform, header: str | None,
                                                   reason: str) -> None:
    response = requests.get(f"{platform.url}/time-categories", timeout=10,
                            headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json() == {"error": "Unauthorized", "message": reason}


def test_issue_prints_a_token_and_its_id(platform: Platform) -> None:
    person = uuid.uuid4()
    issued = gateway_cli("issue", "--person", str(person), "--role", "coach")
    token = issued.stdout.strip()
    token_id = next(line.removeprefix("token id: ") for line in issued.stderr.splitlines()
                    if line.startswith("token id: "))
    assert jwt.decode(token, options={"verify_signature": False})["jti"] == token_id
    assert categories(platform.url, token).status_code == 200


def test_a_revoked_token_is_refused_at_every_gateway_and_after_a_restart(
        platform: Platform, world: World, second_gateway: str) -> None:
    person = uuid.uuid4()
    kept_token_id, revoked_token_id = uuid.uuid4(), uuid.uuid4()
    kept = issue(person, Role.COACH, token_id=kept_token_id)
    revoked = issue(person, Role.COACH, token_id=revoked_token_id)
    for url in (platform.url, second_gateway):
        assert categories(url, revoked).status_code == 200

    answer = gateway_cli("revoke", "--token-id", str(revoked_token_id))
    assert answer.stdout.strip() == f"revoked token {revoked_token_id}"

    for url in (platform.url, second_gateway):
        refused = categories(url, revoked)
        assert refused.status_code == 401
        assert refused.json()["message"] == "the token has been revoked"
        assert categories(url, kept).status_code == 200  # the person's other token

    platform["gateway"].stop()
    platform["gateway"].start()
    platform.wait_ready()
    assert categories(platform.url, revoked).status_code == 401
    assert categories(platform.url, kept).status_code == 200


def test_revoking_a_person_refuses_every_token_issued_before(platform: Platform,
                                                             second_gateway: str) -> None:
    person, other = uuid.uuid4(), uuid.uuid4()
    phone, laptop = issue(person, Role.COACH), issue(person, Role.PRINCIPAL)
    bystander = issue(other, Role.COACH)

    answer = gateway_cli("revoke", "--person", str(person))
    assert answer.stdout.startswith(f"revoked every token of {person} issued up to ")

    for url in (platform.url, second_gateway):
        for token in (phone, laptop):
            refused = categories(url, token)
            assert refused.status_code == 401
            assert refused.json()["message"] == "the token has been revoked"
        assert categories(url, bystander).status_code == 200
        # A token issued after the revocation (a new phone) is accepted.
        assert categories(url, issue(person, Role.COACH)).status_code == 200
