"""District sign-in (OpenID Connect) against a real provider run as a process
(``oidc-provider-mock``, ``tests/support/oidc.py``), driven as a browser would with
requests: the redirect to the provider, the person's choice there, the redirect back, the
session cookie. Each way a sign-in must be refused has its own test, and each refusal is a
page a person can read."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from coachops.store import PostgresDatabase
from gateway import sessions
from gateway.revocations import revoke_person
from tests.support.oidc import (
    District,
    Gateway,
    RunningProvider,
    SignIn,
    claims_changed,
    disable,
    district_people,
    gateway_signing_in,
    known_to,
    page_text,
    provider_fixture,  # noqa: F401  (the fixture ``provider``)
    signed_by_an_unknown_key,
    state_of,
)
from tests.support.platform import Platform, wait_until
from tests.support.roster import amqp_of, it_admin_headers

from .conftest import GATEWAY_DB_URL

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def district(platform: Platform, provider: RunningProvider) -> District:
    return known_to(provider, district_people(platform), claims_of)


def claims_of(district: District, name: str, **more: Any) -> dict[str, Any]:
    person = district[name]
    return {"email": person.email, "email_verified": True, "sourced_id": person.sourced_id,
            "name": name, **more}


@pytest.fixture(scope="module")
def gateway(platform: Platform, provider: RunningProvider, district: District,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """Signs people in by their email (the default)."""
    with gateway_signing_in(platform, provider, tmp_path_factory.mktemp("gw-email")) as gw:
        yield gw


@pytest.fixture(scope="module")
def by_sourced_id(platform: Platform, provider: RunningProvider, district: District,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A second instance, finding people by a claim carrying the roster's sourcedId."""
    with gateway_signing_in(platform, provider, tmp_path_factory.mktemp("gw-sourced"),
                            OIDC_ROSTER_CLAIM="sourced_id") as gw:
        yield gw


def refused(answer: requests.Response, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text[:1000]
    assert answer.headers["Content-Type"].startswith("text/html")
    assert words.casefold() in page_text(answer).casefold(), page_text(answer)
    assert "Traceback" not in answer.text and "session" not in answer.cookies


def roles_today(platform: Platform, identifier: str) -> list[str] | None:
    with ClusterRpcProxy({"AMQP_URI": amqp_of(platform)}, timeout=20) as cluster:
        answer = cluster.agreements.identify_person(identifier)
    return None if answer is None else list(answer["roles"])


# Signing in --------------------------------------------------------------------------------

def test_a_teacher_signs_in_with_their_district_account(gateway: Gateway, district: District,
                                                        provider: RunningProvider) -> None:
    signin = SignIn(gateway.url)
    authorize = signin.to_provider()
    assert authorize.startswith(f"{provider.issuer}/oauth2/authorize?")
    answer = signin.back(signin.at_provider(authorize, district["teacher"].email))
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard/"
    cookie = answer.headers["Set-Cookie"]
    assert "coachops_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain http here (GATEWAY_PUBLIC_URL unset)
    session = signin.session()
    teacher = district["teacher"].person_id
    assert (session["signed_in"], session["person_id"], session["roles"], session["role"]) == (
        True, teacher, ["teacher"], "teacher")
    assert session["csrf_token"] and session["sign_in"] is True
    # The session is the credential: no token anywhere
    mine = signin.browser.get(f"{gateway.url}/teachers/{teacher}/cycles", timeout=30)
    assert mine.status_code == 200, mine.text
    # PKCE: the verifier sent to the token endpoint is the one the challenge was made from
    method, challenge, verifier = provider.relay.last_pkce()  # type: ignore[union-attr]
    assert method == "S256" and verifier
    assert challenge == base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_district_it_returns_to_the_console(gateway: Gateway, district: District) -> None:
    signin = SignIn(gateway.url)
    answer = signin.as_(district["it_admin"].email, next_page="/admin/")
    assert answer.status_code == 303 and answer.headers["Location"] == "/admin/"
    assert signin.session()["role"] == "it_admin"
    # never another site
    elsewhere = SignIn(gateway.url).as_(district["it_admin"].email,
                                        next_page="https://evil.example/")
    assert elsewhere.headers["Location"] == "/dashboard/"


def test_a_person_with_two_roles_chooses_one_and_can_switch(gateway: Gateway,
                                                            district: District) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["coach_and_rep"].email).status_code == 303
    session = signin.session()
    assert session["roles"] == ["clt_rep", "coach"] and session["role"] is None
    me = district["coach_and_rep"].person_id
    caseload = f"{gateway.url}/coaches/{me}/caseload"
    undecided = signin.browser.get(caseload, timeout=30)
    assert undecided.status_code == 403 and "choose the role" in undecided.json()["message"]
    chosen = signin.browser.post(f"{gateway.url}/auth/role", json={"role": "coach"},
                                 headers=signin.csrf(), timeout=30)
    assert chosen.status_code == 200 and chosen.json()["role"] == "coach", chosen.text
    assert signin.browser.get(caseload, timeout=30).status_code == 200
    council = f"{gateway.url}/reports/council"
    assert signin.browser.get(council, timeout=30).status_code == 403  # not as a coach
    switched = signin.browser.post(f"{gateway.url}/auth/role", json={"role": "clt_rep"},
                                   headers=signin.csrf(), timeout=30)
    assert switched.json()["role"] == "clt_rep"
    assert signin.browser.get(council, timeout=30).status_code == 200
    assert signin.browser.get(caseload, timeout=30).status_code == 403
    not_theirs = signin.browser.post(f"{gateway.url}/auth/role", json={"role": "principal"},
                                     headers=signin.csrf(), timeout=30)
    assert not_theirs.status_code == 403


def test_a_person_found_by_a_claim_carrying_their_sourced_id(by_sourced_id: Gateway,
                                                             district: District) -> None:
    signin = SignIn(by_sourced_id.url)
    assert signin.as_(district["principal"].email).status_code == 303
    assert signin.session()["role"] == "principal"


# Refused, each its own way -------------------------------------------------------------------

def test_an_email_not_on_the_roster_is_refused(gateway: Gateway,
                                               provider: RunningProvider) -> None:
    provider.set_user("stranger@elsewhere.example", {"email": "stranger@elsewhere.example",
                                                     "email_verified": True})
    answer = SignIn(gateway.url).as_("stranger@elsewhere.example")
    refused(answer, 403, "nobody on the district's roster has the email "
                         "stranger@elsewhere.example")


def test_a_person_disabled_in_the_roster_is_refused(platform: Platform, gateway: Gateway,
                                                    district: District) -> None:
    assert SignIn(gateway.url).as_(district["to_disable"].email).status_code == 303
    disable(platform, district, "to_disable")
    wait_until(lambda: roles_today(platform, district["to_disable"].email) == [],
               what="the roster to take their roles away")
    answer = SignIn(gateway.url).as_(district["to_disable"].email)
    refused(answer, 403, "gives you no role in coachops today: your account may be disabled")


def test_a_forgotten_person_is_refused(platform: Platform, gateway: Gateway,
                                       by_sourced_id: Gateway, district: District) -> None:
    forgotten = district["to_forget"]
    signin = SignIn(gateway.url)
    assert signin.as_(forgotten.email).status_code == 303
    answer = requests.post(f"{platform.url}/people/{forgotten.person_id}/forget",
                           headers=it_admin_headers(platform), timeout=60)
    assert answer.status_code == 200, answer.text
    # their session ends with them, at this instance as at every other
    wait_until(lambda: signin.browser.get(f"{gateway.url}/teachers/{forgotten.person_id}"
                                          "/cycles", timeout=30).status_code == 401,
               what="the forgotten person's session to end")
    # by sourcedId the roster still knows whom it forgot
    refused(SignIn(by_sourced_id.url).as_(forgotten.email), 403,
            "your account was removed from coachops at the district's request")
    # by email it no longer knows them at all
    refused(SignIn(gateway.url).as_(forgotten.email), 403, "nobody on the district's roster")


def for_another_app(gateway: Gateway, email: str, provider: RunningProvider) -> dict[str, Any]:
    return {"aud": "another-districts-app"}


def expired_an_hour_ago(gateway: Gateway, email: str, provider: RunningProvider) -> dict[str, Any]:
    an_hour_ago = int(time.time()) - 3600
    return {"iat": an_hour_ago - 600, "exp": an_hour_ago}


def with_an_earlier_nonce(gateway: Gateway, email: str,
                          provider: RunningProvider) -> dict[str, Any]:
    """The nonce of a sign-in that already ended: a replayed ID token."""
    assert SignIn(gateway.url).as_(email).status_code == 303
    assert provider.relay is not None
    return {"nonce": [v["nonce"][0] for _, path, v in provider.relay.seen
                      if path == "/oauth2/authorize" and "nonce" in v][-1]}


@pytest.mark.parametrize(("wrong", "shown", "logged"), [
    (for_another_app, "was not a valid sign-in", "claim is wrong: aud"),
    (expired_an_hour_ago, "expired", "the ID token has expired"),
    (with_an_earlier_nonce, "was not a valid sign-in", "claim is wrong: nonce"),
], ids=["audience", "expired", "replayed-nonce"])
def test_an_id_token_with_a_wrong_claim_is_refused(
        gateway: Gateway, district: District, provider: RunningProvider,
        wrong: Callable[[Gateway, str, RunningProvider], dict[str, Any]], shown: str,
        logged: str) -> None:
    email = district["coach"].email
    provider.set_user(email, claims_of(district, "coach", **wrong(gateway, email, provider)))
    try:
        refused(SignIn(gateway.url).as_(email), 403, shown)
    finally:
        provider.set_user(email, claims_of(district, "coach"))
    assert logged in gateway.log()


def test_a_replayed_state_is_refused(gateway: Gateway, district: District) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["principal"].email).status_code == 303
    again = SignIn(gateway.url).back(signin.callback)  # the same code and state, once more
    refused(again, 400, "this sign-in link was already used")
    forged = signin.callback.replace(state_of(signin.callback), "a-state-nobody-began")
    refused(SignIn(gateway.url).back(forged), 400, "already used or is too old")


def test_a_sign_in_link_opened_in_another_browser_is_refused(gateway: Gateway,
                                                             district: District) -> None:
    # Someone begins a sign-in as themselves and lures another person to its callback link
    theirs = SignIn(gateway.url)
    link = theirs.at_provider(theirs.to_provider(), district["teacher"].email)
    lured = SignIn(gateway.url)
    refused(lured.back(link), 400, "this sign-in was begun in another browser")
    assert lured.session()["signed_in"] is False


def test_a_tampered_id_token_is_refused(gateway: Gateway, district: District,
                                        provider: RunningProvider) -> None:
    # Signed in as the teacher, presented as district IT: the signature no longer matches
    provider.tamper_next(claims_changed(email=district["it_admin"].email))
    refused(SignIn(gateway.url).as_(district["teacher"].email), 403, "was not a valid sign-in")
    assert "the ID token's signature is not the provider's" in gateway.log()


def test_an_id_token_signed_by_an_unknown_key_is_refused(gateway: Gateway, district: District,
                                                         provider: RunningProvider) -> None:
    provider.tamper_next(signed_by_an_unknown_key)
    refused(SignIn(gateway.url).as_(district["teacher"].email), 403, "was not a valid sign-in")
    assert "signed with a key the provider does not publish" in gateway.log()


def test_signing_in_still_works_after_the_provider_rotates_its_keys(
        gateway: Gateway, district: District, provider: RunningProvider) -> None:
    email = district["principal"].email
    assert SignIn(gateway.url).as_(email).status_code == 303  # the old key, cached
    provider.rotate_keys()
    signin = SignIn(gateway.url)
    answer = signin.as_(email)
    assert answer.status_code == 303, page_text(answer)
    assert signin.session()["role"] == "principal"


# The session -------------------------------------------------------------------------------

def test_a_forged_cross_site_post_is_refused(gateway: Gateway, district: District) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["coach"].email).status_code == 303
    coach = district["coach"].person_id
    forged = signin.browser.post(
        f"{gateway.url}/time-entries", timeout=30,
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
        json={"coach_id": coach, "school_id": coach, "day": "2026-09-01", "minutes": 30,
              "category_id": coach})
    assert forged.status_code == 403 and "CSRF" in forged.json()["message"]
    wrong = signin.browser.post(f"{gateway.url}/auth/signout", timeout=30,
                                headers={"X-CSRF-Token": "guessed"})
    assert wrong.status_code == 403
    assert signin.session()["signed_in"] is True  # neither did anything
    role = signin.browser.post(f"{gateway.url}/auth/role", json={"role": "coach"}, timeout=30)
    assert role.status_code == 403


def test_a_session_ended_at_one_gateway_is_refused_at_another(
        gateway: Gateway, by_sourced_id: Gateway, district: District,
        provider: RunningProvider) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["principal"].email).status_code == 303
    school_report = "/time-categories"
    for url in (gateway.url, by_sourced_id.url):  # the session is good at both
        assert signin.browser.get(url + school_report, timeout=30).status_code == 200
    cookie = signin.browser.cookies.get("coachops_session")
    out = signin.browser.post(f"{gateway.url}/auth/signout", headers=signin.csrf(), timeout=30)
    assert out.status_code == 200 and out.json()["signed_in"] is False
    assert out.json()["provider_signout"].startswith(f"{provider.issuer}/oauth2/end_session?")
    replayed = requests.get(by_sourced_id.url + school_report, timeout=30,
                            cookies={"coachops_session": str(cookie)})
    assert replayed.status_code == 401


def test_revoking_a_person_ends_their_sessions_at_every_gateway(
        gateway: Gateway, by_sourced_id: Gateway, district: District) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["district_leader"].email).status_code == 303
    report = "/time-categories"
    assert signin.browser.get(by_sourced_id.url + report, timeout=30).status_code == 200
    datastore = PostgresDatabase(GATEWAY_DB_URL, pool_size=1)
    try:  # as `python -m gateway.auth revoke --person` does
        revoke_person(datastore, uuid.UUID(district["district_leader"].person_id),
                      datetime.now(UTC))
    finally:
        datastore.close()
    for url in (by_sourced_id.url, gateway.url):
        assert signin.browser.get(url + report, timeout=30).status_code == 401


def test_without_a_provider_there_is_no_district_sign_in(platform: Platform) -> None:
    session = requests.get(f"{platform.url}/auth/session", timeout=30).json()
    assert session == {"signed_in": False, "sign_in": False, "token_paste": True}
    refused(requests.get(f"{platform.url}/auth/signin", timeout=30), 404,
            "District sign-in is not set up")


def test_the_bearer_token_still_works_beside_the_session(
        gateway: Gateway, district: District) -> None:
    from tests.support.auth import bearer

    teacher = district["teacher"].person_id
    answer = requests.get(f"{gateway.url}/teachers/{teacher}/cycles", timeout=30,
                          headers=bearer(teacher, "teacher"))
    assert answer.status_code == 200



def test_a_session_ends_when_left_idle_or_when_it_is_too_old(gateway: Gateway,
                                                            district: District) -> None:
    categories = f"{gateway.url}/time-categories"
    datastore = PostgresDatabase(GATEWAY_DB_URL, pool_size=1)
    try:
        for change in (  # as if SESSION_IDLE_MINUTES (60) had passed since its last request,
                "last_seen = now() - interval '61 minutes'",
                "expires_at = now() - interval '1 second'"):  # or SESSION_MAX_HOURS since sign-in
            signin = SignIn(gateway.url)
            assert signin.as_(district["principal"].email).status_code == 303
            assert signin.browser.get(categories, timeout=30).status_code == 200
            key = str(signin.browser.cookies.get("coachops_session"))
            with datastore.transaction() as cursor:
                cursor.execute(f"UPDATE browser_sessions SET {change} WHERE key_hash = %s",
                               (sessions.digest(key),))
            ended = signin.browser.get(categories, timeout=30)
            assert ended.status_code == 401 and "sign in again" in ended.json()["message"]
            assert signin.session()["signed_in"] is False
    finally:
        datastore.close()


def test_no_session_key_or_id_token_reaches_the_log(gateway: Gateway, district: District,
                                                     provider: RunningProvider) -> None:
    signin = SignIn(gateway.url)
    assert signin.as_(district["coach"].email).status_code == 303
    assert signin.browser.get(f"{gateway.url}/time-categories", timeout=30).status_code == 200
    key = str(signin.browser.cookies.get("coachops_session"))
    assert provider.relay is not None and provider.relay.id_tokens
    log = gateway.log()
    assert "signed in: person" in log  # the log was read
    for secret in (key, signin.session()["csrf_token"], *provider.relay.id_tokens):
        assert secret not in log
