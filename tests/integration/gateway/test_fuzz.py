"""A fuzz run against the gateway's own /openapi.json (schemathesis): requests built from the
described schemas, well formed and not, each sent with a token of a role the matrix allows
on that route so it reaches validation and the services. No answer may be a 5xx, and no
body may carry a stack trace. Bounded: a few examples per operation."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import Case
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation

from coachops.identity import Role
from gateway import openapi, policy
from gateway.openapi import document
from gateway.service import GatewayService
from tests.support.platform import Platform
from tests.support.roster import anyone

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 5
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "Error: RemoteError")


DESCRIPTION = document(GatewayService)


def cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with well-formed requests, and the guarded ones (all of which take
    typed input) with malformed ones too; an open page's free-text name has no malformed
    value."""
    out = []
    for path, item in sorted(DESCRIPTION["paths"].items()):
        for method, op in sorted(item.items()):
            out.append((method.upper(), path, GenerationMode.POSITIVE))
            if op["security"]:
                out.append((method.upper(), path, GenerationMode.NEGATIVE))
    return out


@pytest.fixture(scope="session")
def served(platform: Platform) -> dict[tuple[str, str], APIOperation]:
    """The operations of the description the running gateway serves at /openapi.json."""
    served = requests.get(f"{platform.url}/openapi.json", timeout=30)
    assert served.status_code == 200, served.text
    described = schemathesis.openapi.from_dict(served.json())
    found = [result.ok() for result in described.get_all_operations()]
    return {(op.method.upper(), op.path): op for op in found}


def rule_of(method: str, path: str) -> str:
    """The matrix's werkzeug rule of an OpenAPI path."""
    [rule] = [r for m, r in policy.MATRIX if m == method and openapi.path_of(r) == path]
    return rule


def caller(platform: Platform, method: str, path: str) -> dict[str, str]:
    rule = rule_of(method, path)
    if not policy.needs_token(method, rule):
        return {}
    role = sorted(policy.allowed_roles(method, rule))[0]
    return anyone(platform, Role(role).value)


@pytest.mark.parametrize(("method", "path", "mode"), cases(),
                         ids=[f"{m} {p} {mode.value}" for m, p, mode in cases()])
def test_no_request_makes_the_gateway_fail(served: dict[tuple[str, str], APIOperation],
                                           platform: Platform, method: str, path: str,
                                           mode: GenerationMode) -> None:
    headers = caller(platform, method, path)
    seen: list[int] = []

    @given(case=served[(method, path)].as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck))
    def send(case: Case) -> None:
        response = case.call(base_url=platform.url, headers=headers, timeout=30)
        seen.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, case.query,
                                            case.body, response.status_code, response.text[:1000])
        assert not any(marker in response.text for marker in TRACE_MARKERS), response.text[:1000]

    send()
    assert seen  # requests were sent
