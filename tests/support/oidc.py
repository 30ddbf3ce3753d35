"""A real OpenID Connect provider for the sign-in tests: ``oidc-provider-mock`` (from the
package registry) run as a process of its own, and the district's people on the roster
with the emails it will vouch for.

The provider is reached through a small relay of the test's own (``Relay``) that passes
every request and answer through unchanged, except that a test may have it alter the ID
token of the provider's next token answer, as an attacker between the two would
(``tamper``): change its claims without re-signing, or re-sign it with a key the provider
never published. What the provider itself decides (a wrong audience, an expiry, a nonce)
is set as the person's claims there (``set_user``), which it signs over its own. Its keys
rotate when it restarts (``rotate_keys``: a new process, a new key, on the same port).

    with running_provider(tmp_path) as provider:
        provider.set_user("ana@district.example", {"email": "ana@district.example"})
        provider.issuer            # what OIDC_ISSUER is set to
"""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug import Request, Response
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support.platform import free_port, wait_until

CLIENT_ID = "coachops-test"
CLIENT_SECRET = "coachops-test-secret"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
              "content-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
              "proxy-authorization"}
MOCK = str(Path(sys.executable).with_name("oidc-provider-mock"))


@dataclass
class Relay:
    """Passes requests to the provider (keeping the Host, so the provider names the relay
    as its issuer), and lets a test alter the ID token of the next token answer."""

    backend: str
    tamper: Callable[[str], str] | None = None
    seen: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    id_tokens: list[str] = field(default_factory=list)  # as the provider gave them

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        form = parse_qs(body.decode(errors="replace")) if request.mimetype == \
            "application/x-www-form-urlencoded" else {}
        self.seen.append((request.method, request.path, {**parse_qs(
            request.query_string.decode()), **form}))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        answer = requests.request(request.method, self.backend + request.full_path.rstrip("?"),
                                  data=body, headers=headers, allow_redirects=False,
                                  timeout=30)
        content = answer.content
        if request.path == "/oauth2/token" and answer.ok:
            self.id_tokens.append(str(answer.json().get("id_token")))
        if request.path == "/oauth2/token" and answer.ok and self.tamper is not None:
            tamper, self.tamper = self.tamper, None  # once
            token = answer.json()
            token["id_token"] = tamper(token["id_token"])
            content = json.dumps(token).encode()
        out = Response(content, status=answer.status_code, headers=[
            (k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP])
        return out(environ, start_response)

    def last_pkce(self) -> tuple[str, str, str]:
        """The last sign-in's PKCE: (challenge method, challenge) as the gateway sent the
        browser to the provider, and the verifier it then sent the token endpoint."""
        authorize = [v for _, path, v in self.seen if path == "/oauth2/authorize"][-1]
        token = [v for _, path, v in self.seen if path == "/oauth2/token"][-1]
        return (authorize.get("code_challenge_method", [""])[0],
                authorize.get("code_challenge", [""])[0], token.get("code_verifier", [""])[0])


@dataclass
class RunningProvider:
    log_dir: Path
    port: int = field(default_factory=free_port)  # the provider's own
    relay_port: int = field(default_factory=free_port)  # the issuer's
    process: subprocess.Popen[bytes] | None = None
    relay: Relay | None = None
    server: BaseWSGIServer | None = None
    starts: int = 0
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.relay_port}"

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"oidc-provider.{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [MOCK, "--port", str(self.port), "--host", "127.0.0.1", "--require-nonce"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(lambda: requests.get(f"http://127.0.0.1:{self.port}/jwks",
                                        timeout=2).ok, timeout=30, what="the OIDC provider")
        for sub, claims in self.users.items():  # it keeps them in memory only
            self._put_user(sub, claims)

    def start_relay(self) -> None:
        self.relay = Relay(f"http://127.0.0.1:{self.port}")
        self.server = make_server("127.0.0.1", self.relay_port, self.relay, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        if self.server is not None:
            self.server.shutdown()

    def rotate_keys(self) -> None:
        """The provider signs with a new key from now on (and publishes only it)."""
        before = self.key_ids()
        self.stop()
        self.start()
        assert self.key_ids().isdisjoint(before)

    def key_ids(self) -> set[str]:
        keys = requests.get(f"{self.issuer}/jwks", timeout=10).json()["keys"]
        return {str(k["kid"]) for k in keys}

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        self.users[sub] = claims
        self._put_user(sub, claims)

    def _put_user(self, sub: str, claims: dict[str, Any]) -> None:
        answer = requests.put(f"http://127.0.0.1:{self.port}/users/{sub}", json=claims,
                              timeout=10)
        assert answer.status_code == 204, answer.text

    def tamper_next(self, how: Callable[[str], str]) -> None:
        assert self.relay is not None
        self.relay.tamper = how


@contextmanager
def running_provider(log_dir: Path) -> Iterator[RunningProvider]:
    provider = RunningProvider(log_dir)
    try:
        provider.start_relay()
        provider.start()
        yield provider
    finally:
        provider.close()


@pytest.fixture(scope="module", name="provider")
def provider_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """``provider``, the provider of a test module (a fixture: the module or its conftest
    imports it)."""
    with running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running


# What an attacker between the provider and the gateway might do to an ID token ----------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload)
                                                                                  % 4)))
    return claims


def claims_changed(**changes: Any) -> Callable[[str], str]:
    """The same header and signature over changed claims (someone else's email...)."""
    def tamper(id_token: str) -> str:
        header, _, signature = id_token.split(".")
        payload = _b64(json.dumps({**_claims(id_token), **changes}).encode())
        return f"{header}.{payload}.{signature}"
    return tamper


def signed_by_an_unknown_key(id_token: str) -> str:
    """The same claims, signed by a key the provider never published."""
    key = RSAKey.generate_key(2048, {"kid": f"not-the-providers-{uuid.uuid4().hex[:8]}"})
    return jwt.encode({"alg": "RS256", "kid": key.kid}, _claims(id_token), key)


# The browser's side, with requests ---------------------------------------------------------

@dataclass
class SignIn:
    """One sign-in driven as a browser would: the gateway's redirect to the provider, the
    person's choice there, the provider's redirect back."""

    gateway: str
    browser: requests.Session = field(default_factory=requests.Session)
    callback: str = ""  # the URL the provider sent the browser back to

    def to_provider(self, next_page: str | None = None) -> str:
        answer = self.browser.get(f"{self.gateway}/auth/signin",
                                  params={"next": next_page} if next_page else None,
                                  allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text[:500]
        return str(answer.headers["Location"])

    def at_provider(self, authorize_url: str, sub: str) -> str:
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False,
                               timeout=30)
        assert answer.status_code == 302, answer.text[:500]
        self.callback = str(answer.headers["Location"])
        return self.callback

    def back(self, callback: str | None = None) -> requests.Response:
        return self.browser.get(callback or self.callback, allow_redirects=False, timeout=60)

    def as_(self, sub: str, next_page: str | None = None) -> requests.Response:
        """The whole flow for ``sub``: the gateway's answer to the callback."""
        return self.back(self.at_provider(self.to_provider(next_page), sub))

    def session(self) -> dict[str, Any]:
        answer = self.browser.get(f"{self.gateway}/auth/session", timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def csrf(self) -> dict[str, str]:
        return {"X-CSRF-Token": str(self.session()["csrf_token"])}


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def page_text(answer: requests.Response) -> str:
    """A refusal page's words, without its markup."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


def wait_for(check: Callable[[], Any], what: str) -> Any:
    return wait_until(check, timeout=30, what=what)



# The district's people, on the roster with their emails ------------------------------------

DOMAIN = "district.example"


@dataclass
class Staff:
    """One person on the test roster: their roster id, sourcedId and email."""

    person_id: str
    sourced_id: str
    email: str


@dataclass
class District:
    """Two schools, each in a region of its own, and one person in each role: a coach, a
    teacher, a principal and a CLT representative at school A; at school B a coach who
    also represents its region (two roles); a district leader and district IT. Plus
    teachers for a test to disable or forget."""

    people: dict[str, Staff]
    files: dict[str, Any]

    def __getitem__(self, who: str) -> Staff:
        return self.people[who]


def district_people(platform: Any) -> District:
    """The district's people, imported through the gateway as district IT would."""
    from services.agreements.roster import roster_id
    from tests.support.roster import DISTRICT_ORG, RosterSchool, _files, _post, _row, _user

    tag = uuid.uuid4().hex[:8]
    school_a, school_b = f"school-a-{tag}", f"school-b-{tag}"
    who = {"coach": (school_a, "teacher"), "teacher": (school_a, "teacher"),
           "principal": (school_a, "administrator"), "clt_rep": (school_a, "administrator"),
           "coach_and_rep": (school_b, "teacher"),
           "district_leader": (DISTRICT_ORG, "administrator"),
           "it_admin": (DISTRICT_ORG, "administrator"),
           "to_disable": (school_a, "teacher"), "to_forget": (school_a, "teacher")}
    people = {name: Staff(str(roster_id(f"{name}-{tag}")), f"{name}-{tag}",
                          f"{name.replace('_', '.')}.{tag}@{DOMAIN}") for name in who}
    users = [{**_user(p.sourced_id, who[name][1], who[name][0]), "email": p.email,
              "givenName": name.replace("_", " ").title(), "familyName": tag}
             for name, p in people.items()]
    regions = [{"region_code": f"r-{school_a}", "label": f"Region A {tag}",
                "clt_representative_sourced_id": people["clt_rep"].sourced_id},
               {"region_code": f"r-{school_b}", "label": f"Region B {tag}",
                "clt_representative_sourced_id": people["coach_and_rep"].sourced_id}]
    rows = [_row("school_region", school=school_a, region=f"r-{school_a}"),
            _row("school_region", school=school_b, region=f"r-{school_b}"),
            _row("coach", people["coach"].sourced_id, school_a),
            _row("coach", people["coach_and_rep"].sourced_id, school_b),
            _row("principal", people["principal"].sourced_id, school_a),
            _row("district_leader", people["district_leader"].sourced_id),
            _row("it_admin", people["it_admin"].sourced_id)]
    files = _files(users, [RosterSchool(school_a), RosterSchool(school_b)], regions, rows)
    _post(platform, files)
    return District(people, {"users": users, "schools": (school_a, school_b),
                             "regions": regions, "rows": rows})


def known_to(provider: RunningProvider, district: District,
             claims_of: Callable[[District, str], dict[str, Any]]) -> District:
    """The district's people, each known to the provider with the claims it will send."""
    for name, person in district.people.items():
        provider.set_user(person.email, claims_of(district, name))
    return district


def disable(platform: Any, district: District, who: str) -> None:
    """The SIS turns their account off: the next import says ``enabledUser`` false."""
    from tests.support.roster import RosterSchool, _files, _post

    users = [{**u, "enabledUser": "false"} if u["sourcedId"] == district[who].sourced_id
             else u for u in district.files["users"]]
    _post(platform, _files(users, [RosterSchool(s) for s in district.files["schools"]],
                           district.files["regions"], district.files["rows"]))


@dataclass
class Gateway:
    url: str
    process: Any  # deploy.local.ServiceProcess

    def log(self) -> str:
        return str(self.process.log())


@contextmanager
def gateway_signing_in(platform: Any, provider: RunningProvider, log_dir: Path,
                       **settings: str) -> Iterator[Gateway]:
    """One more gateway process on the platform's broker and databases, signing people in
    with ``provider``; stopped at the end."""
    from deploy.local import ServiceProcess

    port = free_port()
    process = ServiceProcess("gateway", {
        **platform.env, "GATEWAY_ADDRESS": f"127.0.0.1:{port}", "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET, **settings},
        log_dir / f"gateway-{port}")
    process.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200,
                   timeout=60, what="a gateway signing people in")
        yield Gateway(url, process)
    finally:
        process.stop()
