"""Tokens never reach a log: after signed-in requests, refused ones and a bad token, and a
token put anywhere else in a request (the query string, any header, a cookie, the body,
the path), no service's log holds a token or any part of one."""

from __future__ import annotations

import uuid

import requests

from coachops.identity import Role
from gateway.auth import issue
from tests.support.platform import Platform
from tests.support.roster import person


def test_no_token_appears_in_any_log(platform: Platform) -> None:
    coach = uuid.UUID(person(platform, "coach"))
    token = issue(coach, Role.COACH)
    forged = token[:-6] + "AAAAAA"
    for headers in ({"Authorization": f"Bearer {token}"},
                    {"Authorization": f"Bearer {forged}"},
                    {"Authorization": f"Basic {token}"}):
        requests.get(f"{platform.url}/coaches/{coach}/caseload", headers=headers, timeout=10)
        requests.get(f"{platform.url}/coaches/{uuid.uuid4()}/caseload", headers=headers,
                     timeout=10)  # another coach's: refused, and the refusal is logged
    elsewhere = [
        {"params": {"access_token": token}}, {"params": {"token": forged, "q": token}},
        {"headers": {"X-Access-Token": token, "Cookie": f"token={token}"}},
        {"headers": {"Authorization": token}}, {"json": {"access_token": token}},
        {"data": f"token={token}", "headers": {"Content-Type": "text/plain"}},
    ]
    for where in elsewhere:
        for method in ("GET", "POST"):
            requests.request(method, f"{platform.url}/coaches/{coach}/caseload", timeout=10,
                             **where)  # type: ignore[arg-type]
    requests.get(f"{platform.url}/cycles/{token}", timeout=10)  # no such route
    _header, payload, signature = token.split(".")  # the header is the same for all
    for process in platform.processes.values():
        log = process.log()
        for secret in (token, forged, payload, signature):
            assert secret not in log, f"{process.name}'s log holds a token"
