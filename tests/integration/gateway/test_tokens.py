"""Tokens at the running gateway: no token, a bad, expired, revoked or too long-lived one
is a 401 with a JSON body; a role the roster does not give the person today is a 403, and
``python -m gateway.auth issue`` refuses to issue it; district IT revokes with
``python -m gateway.auth revoke``, and a revocation holds after the gateway restarts and at
every gateway instance."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import jwt
import pytest
import requests

from coachops.identity import Role
from deploy.local import ROOT
from gateway.auth import ALGORITHM, TooLong, issue, secret
from tests.support import roster
from tests.support.auth import bearer
from tests.support.bus import AMQP
from tests.support.platform import Platform, wait_until

from .conftest import GATEWAY_DB_URL
from .world import World

pytestmark = pytest.mark.e2e


def categories(url: str, token: str) -> requests.Response:
    return requests.get(f"{url}/time-categories", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def gateway_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": GATEWAY_DB_URL, "AMQP_URI": AMQP,
           "PYTHONWARNINGS": "ignore"}  # eventlet's deprecation notice, at import
    return subprocess.run([sys.executable, "-m", "gateway.auth", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=check)


def refused_issue(*args: str) -> str:
    """The one line ``issue`` answers a refusal with."""
    answer = gateway_cli("issue", *args, check=False)
    assert answer.returncode == 1, answer
    assert answer.stdout == "" and "Traceback" not in answer.stderr, answer.stderr
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1, answer.stderr
    return lines[0]


@pytest.mark.parametrize(("header", "reason"), [
    (None, "sign in: send 'Authorization: Bearer <token>'"),
    ("Bearer not-a-token", "the token is not valid"),
    ("Basic Y29hY2g6cGFzc3dvcmQ=", "sign in: send 'Authorization: Bearer <token>'"),
    (f"Bearer {issue(uuid.uuid4(), Role.COACH, hours=-1)}", "the token has expired"),
    ("Bearer " + jwt.encode({"sub": str(uuid.uuid4()), "role": "coach", "iss": "coachops",
                             "iat": time.time(), "exp": time.time() + 100 * 365 * 86400,
                             "jti": str(uuid.uuid4())}, secret(), algorithm=ALGORITHM),
     "the token lives longer than the district allows (COACHOPS_TOKEN_MAX_HOURS)"),
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
    person = roster.person(platform, "coach")
    issued = gateway_cli("issue", "--person", person, "--role", "coach")
    token = issued.stdout.strip()
    token_id = next(line.removeprefix("token id: ") for line in issued.stderr.splitlines()
                    if line.startswith("token id: "))
    assert jwt.decode(token, options={"verify_signature": False})["jti"] == token_id
    assert categories(platform.url, token).status_code == 200


def test_a_revoked_token_is_refused_at_every_gateway_and_after_a_restart(
        platform: Platform, world: World, second_gateway: str) -> None:
    person = uuid.UUID(roster.person(platform, "coach"))
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
    at = roster.school(platform, coaches=2)
    person, other = uuid.UUID(at.coaches[0]), uuid.UUID(at.coaches[1])
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


# The roster decides every role of every token, on every request -------------------------

def test_a_role_the_roster_does_not_give_is_a_403(platform: Platform, world: World) -> None:
    teacher, coach = world.who(Role.TEACHER), world.who(Role.COACH)
    for person, role, path in [
            (teacher, Role.DISTRICT_LEADER, "/reports/time-use"),  # a teacher as a leader
            (uuid.uuid4(), Role.DISTRICT_LEADER, "/reports/time-use"),  # nobody at all
            (coach, Role.IT_ADMIN, f"/schools/{world.school(2)}/roster"),  # a coach as IT
            (world.who(Role.PRINCIPAL), Role.COACH, "/time-categories")]:  # principal, coach
        response = requests.get(f"{platform.url}{path}", headers=bearer(person, role),
                                timeout=10)
        assert response.status_code == 403, (person, role, response.text)
        assert response.json()["field"] == "role"
        assert response.json()["message"].startswith(
            f"the roster does not make you a {role.value} today")
    for role, path in [(Role.DISTRICT_LEADER, "/reports/time-use"),
                       (Role.IT_ADMIN, f"/schools/{world.school(2)}/roster")]:
        assert world.call(role, "GET", path).status_code == 200  # the real ones


def test_issue_refuses_a_role_the_person_does_not_hold(platform: Platform,
                                                       world: World) -> None:
    teacher = str(world.who(Role.TEACHER))
    line = refused_issue("--person", teacher, "--role", "district_leader")
    assert line == (f"refused: the roster does not make {teacher} a district_leader today; "
                    "they hold teacher")
    nobody = str(uuid.uuid4())
    assert refused_issue("--person", nobody, "--role", "coach") == (
        f"refused: the roster does not make {nobody} a coach today; they hold no role (or "
        "they were forgotten)")
    leader = gateway_cli("issue", "--person", str(world.who(Role.DISTRICT_LEADER)),
                         "--role", "district_leader").stdout.strip()
    assert requests.get(f"{platform.url}/reports/time-use", timeout=10,
                        headers={"Authorization": f"Bearer {leader}"}).status_code == 200


def test_a_change_in_the_roster_is_seen_within_seconds(platform: Platform) -> None:
    at = roster.school(platform, coaches=2)
    leaving = at.coaches[0]
    headers = bearer(leaving, Role.COACH)
    assert requests.get(f"{platform.url}/time-categories", headers=headers,
                        timeout=10).status_code == 200
    at.remove(platform, leaving)  # district IT's next import no longer lists them
    wait_until(lambda: requests.get(f"{platform.url}/time-categories", headers=headers,
                                    timeout=10).status_code == 403,
               timeout=30, what="the gateway to see the coach leave")
    stayed = bearer(at.coaches[0], Role.COACH)
    assert requests.get(f"{platform.url}/time-categories", headers=stayed,
                        timeout=10).status_code == 200


def test_a_forgotten_person_gets_no_token_and_no_answer(platform: Platform) -> None:
    teacher = roster.person(platform, "teacher")
    headers = bearer(teacher, Role.TEACHER)
    assert requests.get(f"{platform.url}/teachers/{teacher}/cycles", headers=headers,
                        timeout=10).status_code == 200
    forgotten = requests.post(f"{platform.url}/people/{teacher}/forget", timeout=30,
                              headers=roster.it_admin_headers(platform))
    assert forgotten.status_code == 200, forgotten.text
    wait_until(lambda: requests.get(f"{platform.url}/teachers/{teacher}/cycles",
                                    headers=bearer(teacher, Role.TEACHER),
                                    timeout=10).status_code == 403,
               timeout=30, what="the gateway to refuse the forgotten teacher")
    assert refused_issue("--person", teacher, "--role", "teacher").endswith(
        "they hold no role (or they were forgotten)")


def test_no_token_lives_longer_than_the_district_allows(platform: Platform) -> None:
    coach = roster.person(platform, "coach")
    assert refused_issue("--person", coach, "--role", "coach", "--hours", "876000") == (
        "refused: a token lives at most 12 hours here (COACHOPS_TOKEN_MAX_HOURS)")
    with pytest.raises(TooLong):
        issue(uuid.UUID(coach), Role.COACH, hours=12.5)
    assert categories(platform.url, issue(uuid.UUID(coach), Role.COACH, hours=12)
                      ).status_code == 200


def test_without_the_roster_no_role_is_let_through(platform: Platform) -> None:
    coach = roster.person(platform, "coach")
    platform["agreements"].stop()
    try:
        response = requests.get(f"{platform.url}/time-categories", timeout=30,
                                headers=bearer(coach, Role.COACH))
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        assert response.json()["message"].startswith("the roster does not answer")
    finally:
        platform["agreements"].start()
        platform.wait_ready()
