"""Integration tokens at the running gateway: district IT issues one to a person named by
the roster's sourcedId (the command line) or email (the console's route), lists them,
revokes one (refused at every gateway within seconds), and a route outside a token's scope
is a 403 naming ``scope``. District IT finds people on the roster by name, email or
sourcedId."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
import requests
from kombu import Connection

from coachops.bus import dead_letters
from coachops.bus.topology import dead_letter_queue
from coachops.identity import Role
from services.agreements.roster import roster_id
from tests.support import roster
from tests.support.auth import bearer
from tests.support.bus import AMQP
from tests.support.people import NamedSchool, named_school
from tests.support.platform import Platform, wait_until

from .test_tokens import gateway_cli, refused_issue

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def school(platform: Platform) -> NamedSchool:
    return named_school(platform)


def it(platform: Platform, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{platform.url}{path}", timeout=30,
                            headers=roster.it_admin_headers(platform), **kwargs)


def with_token(url: str, token: str, method: str, path: str,
               **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{url}{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def issued_id(stderr: str) -> str:
    return next(line.removeprefix("token id: ") for line in stderr.splitlines()
                if line.startswith("token id: "))


def test_issued_by_sourced_id_on_the_command_line_within_its_scope(
        platform: Platform, school: NamedSchool) -> None:
    answer = gateway_cli("issue", "--integration", "--person", school.coach.sourced_id,
                         "--scope", "reports:read", "--label", "Coaching log export")
    token, token_id = answer.stdout.strip(), issued_id(answer.stderr)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["scope"], claims["jti"]) == (
        school.coach.id, "coach", "reports:read", token_id)

    assert with_token(platform.url, token, "GET", "/reports/time-use").status_code == 200
    # The coach's role may read the categories and log time; this token may not.
    for method, path in (("GET", "/time-categories"), ("POST", "/time-entries")):
        refused = with_token(platform.url, token, method, path, json={})
        assert refused.status_code == 403, refused.text
        assert refused.json()["field"] == "scope"
        assert refused.json()["message"] == (
            f"this integration token's scope (reports:read) does not cover {method} {path}")

    listed = gateway_cli("list", "--person", school.coach.email).stdout.splitlines()
    assert [line.split()[:5] for line in listed] == [
        [token_id, "active", school.coach.sourced_id, "coach", "reports:read"]]
    assert listed[0].endswith("Coaching log export")


def test_issued_by_email_in_the_console_listed_and_revoked_within_seconds(
        platform: Platform, school: NamedSchool, second_gateway: str) -> None:
    issued = it(platform, "POST", "/integration-tokens", json={
        "person": school.leader.email.upper(), "scopes": ["reports:read"],
        "label": "Board dashboard", "days": 30})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    token, token_id = body.pop("token"), body["token_id"]
    assert body["person_id"] == school.leader.id
    assert (body["sourced_id"], body["role"], body["scopes"], body["label"], body["status"]) == (
        school.leader.sourced_id, "district_leader", ["reports:read"], "Board dashboard",
        "active")
    assert body["issued_by"] == str(roster_id(roster.ADMIN))
    for url in (platform.url, second_gateway):
        assert with_token(url, token, "GET", "/reports/time-use").status_code == 200

    listed = it(platform, "GET", "/integration-tokens",
                params={"person_id": school.leader.id}).json()["tokens"]
    assert listed == [body]  # never the token itself
    assert body in it(platform, "GET", "/integration-tokens").json()["tokens"]

    revoked = it(platform, "POST", f"/integration-tokens/{token_id}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    for url in (platform.url, second_gateway):
        wait_until(lambda url=url: with_token(url, token, "GET", "/reports/time-use"
                                              ).status_code == 401,
                   timeout=10, what="every gateway to refuse the revoked token")
        refused = with_token(url, token, "GET", "/reports/time-use")
        assert refused.json()["message"] == "the token has been revoked"
    assert it(platform, "GET", "/integration-tokens", params={
        "person_id": school.leader.id}).json()["tokens"][0]["status"] == "revoked"


def test_revoked_on_the_command_line_shows_as_revoked(platform: Platform,
                                                       school: NamedSchool) -> None:
    answer = gateway_cli("issue", "--integration", "--person", school.principal.sourced_id,
                         "--scope", "reports:read", "--label", "Weekly principal digest",
                         "--days", "7")
    token, token_id = answer.stdout.strip(), issued_id(answer.stderr)
    assert with_token(platform.url, token, "GET", "/reports/time-use").status_code == 200
    gateway_cli("revoke", "--token-id", token_id)
    wait_until(lambda: with_token(platform.url, token, "GET", "/reports/time-use"
                                  ).status_code == 401, timeout=10, what="the revocation")
    listed = gateway_cli("list", "--person", school.principal.sourced_id).stdout.split()
    assert listed[:2] == [token_id, "revoked"]


def test_a_sync_token_is_a_coachs_own_and_sends_only_their_queue(
        platform: Platform, school: NamedSchool) -> None:
    issued = it(platform, "POST", "/integration-tokens", json={
        "person": school.coach.sourced_id, "scopes": ["sync"], "label": "Tablet app"})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    sent = with_token(platform.url, token, "POST", "/sync", json={"items": [{
        "client_id": str(uuid.uuid4()), "command": "record_time_entry", "body": {}}]})
    assert sent.status_code == 200, sent.text  # the item itself is refused, on its own
    refused = with_token(platform.url, token, "GET", "/reports/time-use")
    assert (refused.status_code, refused.json()["field"]) == (403, "scope")

    not_a_coach = it(platform, "POST", "/integration-tokens", json={
        "person": school.teacher.email, "scopes": ["sync"], "label": "Tablet app"})
    assert not_a_coach.status_code == 422
    assert not_a_coach.json()["field"] == "scope"
    assert not_a_coach.json()["message"] == (
        "sync needs a coach and the roster does not make them one today; they hold teacher")


def test_no_token_for_someone_the_roster_does_not_name(platform: Platform,
                                                       school: NamedSchool) -> None:
    nobody = it(platform, "POST", "/integration-tokens", json={
        "person": "nobody@district.example", "scopes": ["reports:read"], "label": "x"})
    assert nobody.status_code == 404
    assert nobody.json()["field"] == "person"
    assert refused_issue("--integration", "--person", "no-such-sourced-id", "--scope",
                         "reports:read", "--label", "x") == (
        "refused: nobody on the roster has the sourcedId or email 'no-such-sourced-id'")
    too_long = it(platform, "POST", "/integration-tokens", json={
        "person": school.leader.sourced_id, "scopes": ["reports:read"], "label": "x",
        "days": 365})
    assert too_long.status_code == 422
    assert too_long.json()["field"] == "days"
    for someone, role in ((school.coach, Role.COACH), (school.leader, Role.DISTRICT_LEADER)):
        refused = requests.post(f"{platform.url}/integration-tokens", timeout=30, json={
            "person": someone.sourced_id, "scopes": ["reports:read"], "label": "mine"},
            headers=bearer(someone.id, role))
        assert refused.status_code == 403  # district IT's alone
        assert refused.json()["field"] == "role"


def test_district_it_finds_people_by_name_email_or_sourced_id(
        platform: Platform, school: NamedSchool) -> None:
    def found(q: str) -> list[dict[str, Any]]:
        answer = it(platform, "GET", "/people", params={"q": q})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["people"])

    coach = {"person_id": school.coach.id, "sourced_id": school.coach.sourced_id,
             "given_name": "Rosalind", "family_name": school.coach.family_name,
             "email": school.coach.email, "forgotten": False, "roles": ["coach"],
             "assignments": [{"role": "coach", "place_id": school.id, "place": school.name}]}
    assert found(school.coach.sourced_id) == [{**coach, "matched": "sourced_id"}]
    assert found(school.coach.email.upper()) == [{**coach, "matched": "email"}]
    assert found(f"rosalind okonkwo{school.tag}") == [{**coach, "matched": "name"}]
    by_tag = found(school.tag)
    assert [p["sourced_id"] for p in by_tag] == [  # by family name
        school.leader.sourced_id, school.teacher.sourced_id, school.coach.sourced_id,
        school.principal.sourced_id]
    leader = next(p for p in by_tag if p["sourced_id"] == school.leader.sourced_id)
    assert leader["assignments"] == [{"role": "district_leader", "place_id": None,
                                      "place": "the district"}]
    assert found(f"nobody-{uuid.uuid4().hex}") == []


def test_district_it_sees_the_parked_messages(platform: Platform) -> None:
    consumer = f"test.parked_{uuid.uuid4().hex[:8]}"
    dead_letters.park_body(AMQP, b'{"source": "timetracking", "position": 7}', consumer,
                           "a test parked it", "coachops.events", "timetracking.TimeLogged")
    try:
        answer = it(platform, "GET", "/dead-letters")
        assert answer.status_code == 200, answer.text
        mine = [m for m in answer.json()["messages"] if m["consumer"] == consumer]
        assert [{k: v for k, v in m.items() if k != "parked_at"} for m in mine] == [{
            "consumer": consumer, "routing_key": "timetracking.TimeLogged",
            "event": "timetracking at 7", "reason": "a test parked it"}]
        assert answer.json()["count"] >= 1
    finally:
        drop_parked(consumer)


def drop_parked(consumer: str) -> None:
    with Connection(AMQP) as connection:
        queue = dead_letter_queue()(connection.channel())
        while (message := queue.get(no_ack=False)) is not None:
            if (message.headers or {}).get("x-consumer") == consumer:
                message.ack()
