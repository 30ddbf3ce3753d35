"""District sign-in's decisions that need no provider and no roster: who the roster's
answer is, the refusals and their words, where a sign-in may return to, the CSRF check,
and the settings that turn it on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from werkzeug.exceptions import Forbidden
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from coachops import settings
from coachops.identity import Role
from coachops.settings import SettingError
from gateway import sessions
from gateway.oidc import Refused
from gateway.signin import matched, person_of, return_to
from tests.support.settings import configure

PERSON = str(uuid.uuid4())


def roster(**answer: Any) -> Any:
    found = {"person_id": PERSON, "sourced_id": "T-1001", "email": "Ana@District.example",
             "given_name": "Ana", "family_name": "Abbott", "forgotten": False,
             "roles": ["coach", "clt_rep"], **answer}
    return lambda identifier: found


def nobody(identifier: str) -> None:
    return None


def test_found_by_email_in_any_case_with_the_roles_of_today() -> None:
    answer, roles = person_of({"email": "ana@district.example"}, roster())
    assert answer["person_id"] == PERSON and roles == (Role.CLT_REP, Role.COACH)


def refusal(claims: dict[str, Any], answer_for: Any) -> str:
    with pytest.raises(Refused) as refused:
        person_of(claims, answer_for)
    assert refused.value.status == 403
    return refused.value.reason


def test_refused_when_the_roster_knows_no_such_email() -> None:
    assert "nobody on the district's roster has the email x@y.example" in refusal(
        {"email": "x@y.example"}, nobody)


def test_refused_when_the_email_found_a_sourced_id_instead() -> None:
    # identify_person also answers to a sourcedId: an email claim must match an email
    assert "nobody on the district's roster" in refusal({"email": "T-1001"}, roster())


def test_refused_when_the_provider_says_the_email_is_not_verified() -> None:
    assert "not verified" in refusal({"email": "ana@district.example",
                                      "email_verified": False}, roster())


def test_refused_when_forgotten_or_holding_no_role_today() -> None:
    assert "removed from coachops" in refusal({"email": "ana@district.example"},
                                              roster(forgotten=True))
    assert "may be disabled" in refusal({"email": "ana@district.example"}, roster(roles=[]))


def test_refused_when_the_id_token_does_not_say_who() -> None:
    assert "did not say who you are" in refusal({"sub": "x"}, roster())


def test_found_by_a_claim_carrying_the_sourced_id(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, OIDC_ROSTER_CLAIM="employee_id")
    answer, _ = person_of({"employee_id": "T-1001"}, roster())
    assert answer["sourced_id"] == "T-1001"
    assert not matched({"sourced_id": "T-1001", "email": "t-1001"}, "employee_id", "t-1001")


def test_a_sign_in_returns_only_to_the_dashboard_or_the_console() -> None:
    assert return_to("/admin/") == "/admin/"
    for elsewhere in ("https://evil.example/", "//evil.example", "/auth/signout", None):
        assert return_to(elsewhere) == "/dashboard/"


def request(method: str, csrf: str | None = None) -> Request:
    headers = {sessions.CSRF_HEADER: csrf} if csrf is not None else {}
    return Request(EnvironBuilder(method=method, headers=headers).get_environ())


def test_a_change_needs_the_sessions_csrf_token() -> None:
    session = sessions.Session(uuid.uuid4(), uuid.uuid4(), "Ana", (Role.COACH,), Role.COACH,
                               "the-csrf-token", None, datetime.now(UTC), datetime.now(UTC))
    sessions.require_csrf(request("GET"), session)  # a read needs none
    sessions.require_csrf(request("POST", "the-csrf-token"), session)
    for wrong in (None, "", "another-token"):
        with pytest.raises(Forbidden):
            sessions.require_csrf(request("POST", wrong), session)
    with pytest.raises(Forbidden):
        sessions.require_csrf(request("DELETE"), session)


def test_sign_in_is_on_with_an_issuer_and_needs_its_client_id() -> None:
    assert not settings.load({}).sign_in
    on = settings.load({"OIDC_ISSUER": "https://accounts.google.com",
                        "OIDC_CLIENT_ID": "1234.apps.googleusercontent.com"})
    assert on.sign_in and on.oidc_roster_claim == "email"
    with pytest.raises(SettingError) as refused:
        settings.load({"OIDC_ISSUER": "https://accounts.google.com"})
    assert refused.value.name == "OIDC_CLIENT_ID"
    with pytest.raises(SettingError) as refused:  # a test's own provider, not production's
        settings.load({"OIDC_ISSUER": "http://127.0.0.1:9400", "OIDC_CLIENT_ID": "x",
                       "COACHOPS_ENV": "production"})
    assert refused.value.name == "OIDC_ISSUER"


def test_pasting_a_token_is_for_development_only() -> None:
    production = {"COACHOPS_ENV": "production"}
    assert settings.load({}).pasted_tokens
    assert not settings.load(production).pasted_tokens
    assert not settings.load({"COACHOPS_TOKEN_PASTE": "off"}).pasted_tokens
    with pytest.raises(SettingError) as refused:
        settings.load({**production, "COACHOPS_TOKEN_PASTE": "on"})
    assert refused.value.name == "COACHOPS_TOKEN_PASTE"


def test_the_cookie_is_secure_when_the_gateway_is_served_over_tls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, GATEWAY_PUBLIC_URL="http://127.0.0.1:8000")
    assert not sessions.secure()
    configure(monkeypatch, GATEWAY_PUBLIC_URL="https://coaching.district.example")
    assert sessions.secure()


def test_the_client_secret_may_come_from_a_file(tmp_path: Any) -> None:
    secret = tmp_path / "oidc-secret"
    secret.write_text("from-a-file\n")
    assert settings.load({"OIDC_CLIENT_SECRET_FILE": str(secret)}).oidc_client_secret == \
        "from-a-file"
