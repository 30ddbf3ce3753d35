"""schemathesis against the gateway's own /openapi.json, with the district's real ids in the
URLs and each role's token of a person on its roster, so requests reach the services'
rules rather than a 404 or a 403: each operation alone (well-formed requests and malformed
ones, as each role the matrix lets call it), and chains that follow the description's
links from a create operation to those that use what it made. No answer may be a 5xx, none
may carry a stack trace, and every status answered must be one the description declares.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import status_code_conformance

from coachops import clock
from coachops.identity import Role
from gateway import openapi, policy
from gateway.service import GatewayService
from services.agreements.roster import roster_id
from tests.integration.gateway.world import World

from .commands import Sender, next_step, scheduled_item, soon, started_cycle

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 100
SCENARIOS, STEPS, SUITES = 40, 8, 5  # per family of operations
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "Error: RemoteError")
CHECKS = [not_a_server_error, status_code_conformance]
# The roles the run acts as; a route none of them may call is run as one that may.
FUZZED = (Role.COACH, Role.TEACHER, Role.PRINCIPAL, Role.DISTRICT_LEADER)
PREFERRED = (*FUZZED, Role.CLT_REP, Role.IT_ADMIN)
# Ids the create operations make (the description's links carry them to the operations
# that use them).
MADE = {name for names in openapi.CREATES.values() for name in names}

DESCRIPTION = openapi.document(GatewayService)
OPERATIONS = sorted((method.upper(), path) for path, item in DESCRIPTION["paths"].items()
                    for method in item)


def rule_of(method: str, path: str) -> str:
    """The matrix's werkzeug rule of an OpenAPI path."""
    [rule] = [r for m, r in policy.MATRIX if m == method and openapi.path_of(r) == path]
    return rule


def roles_of(method: str, path: str) -> list[Role | None]:
    rule = rule_of(method, path)
    if not policy.needs_token(method, rule):
        return [None]
    allowed = policy.allowed_roles(method, rule)
    return [r for r in FUZZED if r in allowed] or [r for r in PREFERRED if r in allowed][:1]


def real_ids(w: World, cycle: dict[str, str] | None = None) -> dict[str, list[Any]]:
    """For each id a request names (in its path, query or body), real ones of the district:
    both schools' people, so scope is tried too, and ``cycle`` (a cycle of the test's own,
    its item and next step) before the world's. ``person_id`` is left generated: it is
    the id of ``forget``."""
    teachers = [str(w.person("teacher", n)) for n in (1, 2)]
    coaches = [str(w.person("coach", n)) for n in (1, 2)]
    own = cycle or {}
    return {
        "cycle_id": [own.get("cycle", w.ids["cycle"]), w.ids["cycle"]],
        "item_id": [own.get("item", w.ids["item"])], "step_id": [own.get("step", w.ids["step"])],
        "entry_id": [w.ids["entry"]], "category_id": [w.ids["category"]],
        "agreement_id": [w.ids["coaching_agreement"], w.ids["partnership_agreement"]],
        "coach_id": coaches, "teacher_id": teachers, "owner_id": [teachers[0], coaches[0]],
        "teacher_ids": [teachers[:1], teachers[1:]],
        "school_id": [str(w.school(n)) for n in (1, 2)],
        "region_id": [str(roster_id(f"gw-{w.tag}-clt"))],
        "day": [clock.today().isoformat(), date(2026, 9, 1).isoformat()],
    }


def names_in(method: str, path: str) -> set[str]:
    """The names an operation's path, query and JSON body may carry."""
    op = DESCRIPTION["paths"][path][method.lower()]
    names = {p["name"] for p in op["parameters"]}
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    if ref:
        names |= set(DESCRIPTION["components"]["schemas"][ref.rsplit("/", 1)[-1]]
                     .get("properties", {}))
    return names


def made_by(method: str, path: str) -> tuple[str, ...]:
    """The ids a create operation makes: an app may name a new one (an offline time entry),
    and naming one that is there already is a conflict, so they stay generated."""
    return openapi.CREATES.get((method, rule_of(method, path)), ())


def bind(case: Case, ids: dict[str, Any]) -> None:
    """Put real ids where the case names them: in its path, query or body."""
    for name, value in ids.items():
        if value is None:
            continue
        for where in (case.path_parameters, case.query, case.body):
            if isinstance(where, dict) and name in where:
                where[name] = value


def own_cycle(sender: Sender) -> dict[str, str]:
    """A started cycle with a calendar item and a next step, for one operation's run: an
    operation that closes or declines it leaves the next operation's cycle as it was."""
    cycle = started_cycle(sender)
    return {"cycle": cycle, "item": scheduled_item(sender, soon(0), cycle),
            "step": next_step(sender, cycle)}


@pytest.fixture(scope="module")
def described(fuzz_url: str) -> BaseSchema:
    """The description as the running gateway serves it."""
    served = requests.get(f"{fuzz_url}/openapi.json", timeout=30)
    assert served.status_code == 200, served.text
    schema = schemathesis.openapi.from_dict(served.json())
    schema.config.update(base_url=fuzz_url)
    return schema


def check(case: Case, response: requests.Response) -> None:
    case.validate_response(response, checks=CHECKS)
    assert not any(marker in response.text for marker in TRACE_MARKERS), (
        case.method, case.formatted_path, response.text[:1000])


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_makes_the_gateway_fail(described: BaseSchema, fuzz_world: World,
                                           sender: Sender, fuzz_url: str, method: str,
                                           path: str) -> None:
    operation = described[path][method]
    guarded = roles_of(method, path) != [None]
    # An open page's free-text name has no malformed value; an open route's body has.
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if guarded or operation.body \
        else [GenerationMode.POSITIVE]
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])
    ids = real_ids(fuzz_world, own_cycle(sender) if "{cycle_id}" in path else None)
    # Mostly real; None leaves the generated value.
    bound = st.fixed_dictionaries({name: st.sampled_from([*real * 3, None])
                                   for name, real in ids.items()
                                   if name in names_in(method, path)
                                   and name not in made_by(method, path)})
    seen: Counter[int] = Counter()

    @given(case=cases, role=st.sampled_from(roles_of(method, path)), bound=bound)
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], derandomize=True,
              suppress_health_check=list(HealthCheck))
    def send(case: Case, role: Role | None, bound: dict[str, str | None]) -> None:
        bind(case, bound)
        headers = {} if role is None else fuzz_world.headers(role)
        response = case.call(base_url=fuzz_url, headers=headers, timeout=60)
        seen[response.status_code] += 1
        check(case, response)

    send()
    print(f"\n{method} {path}: {sum(seen.values())} requests, {dict(sorted(seen.items()))}")
    # An operation with nothing to vary (no parameter, no body) has one request to send.
    varied = operation.path_parameters or operation.query or operation.body
    assert sum(seen.values()) >= (EXAMPLES_PER_OPERATION if varied else 1), seen
    if guarded:  # the real ids and tokens take requests past the gate, not only to a 401
        assert set(seen) - {401, 403, 404}, seen


# schemathesis starts its chains at the create operations whose input it can make itself;
# one that names people or schools (a cycle) starts chains only where no other can, so
# each family of operations is run on its own too.
FAMILIES = {
    "every operation": None,
    "a cycle": r"^/cycles(/\{cycle_id\}(/(accept|decline|norms|observations|debriefs|goal|close"
               r"|reopen|phase/back|withdraw-from-reporting|timeline|reads))?)?$",
    "a cycle's calendar and next steps": r"^/cycles/\{cycle_id\}/(calendar|next-steps)",
    "time": r"^/time-",
    "agreements": r"^/(coaching|partnership)-agreements",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_chains_of_operations_follow_the_links(described: BaseSchema, fuzz_world: World,
                                               sender: Sender, fuzz_url: str,
                                               family: str) -> None:
    """From a create operation on to those that use what it made, as the role that may."""
    ids = real_ids(fuzz_world, own_cycle(sender))
    regex = FAMILIES[family]
    operations = described if regex is None else described.include(path_regex=regex)
    # Chains of valid requests, so that what a create makes is there for the next steps to
    # use (malformed ones are each operation's own test, above).
    operations.config.generation.update(modes=[GenerationMode.POSITIVE])
    steps: Counter[str] = Counter()

    class Chains(operations.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            steps["scenarios"] += 1
            self.made: set[str] = set()

        def before_call(self, case: Case) -> None:
            # A linked id (one made in this scenario) stays; others are the district's.
            linked = {name for name, value in (case.path_parameters or {}).items()
                      if name in MADE and str(value) in self.made}
            steps["linked"] += bool(linked)
            bind(case, {name: real[0] for name, real in ids.items() if name not in linked
                        and name not in made_by(case.method.upper(), case.path)})

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            role = roles_of(case.method.upper(), case.path)[0]
            return {"base_url": fuzz_url, "timeout": 60,
                    "headers": {} if role is None else fuzz_world.headers(role)}

        def after_call(self, response: requests.Response, case: Case) -> None:
            super().after_call(response, case)
            steps[f"{case.method} {case.path} {response.status_code}"] += 1
            try:
                body = response.json()
            except (ValueError, json.JSONDecodeError):
                return
            if response.status_code == 201 and isinstance(body, dict):
                made = {str(body[name]) for name in MADE if name in body}
                steps["made"] += bool(made)
                self.made |= made

        def validate_response(self, response: requests.Response, case: Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            check(case, response)

    # Not replayed to shrink: the services' state has moved on, so a replay is not the same.
    # For the same reason Hypothesis may find its choices lead elsewhere than before
    # (Flaky): as schemathesis's own runner does, go on with another seed.
    for suite in range(SUITES):
        try:
            seed(suite)(Chains).run(settings=settings(
                max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                database=None, phases=[Phase.generate], report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck)))
            break
        except Flaky:
            if steps["scenarios"] >= SCENARIOS:
                break
    sent = sum(steps.values()) - steps["linked"] - steps["scenarios"] - steps["made"]
    print(f"\nchains through {family}: {sent} requests, {dict(sorted(steps.items()))}")
    assert steps["scenarios"], steps
    # Which operations Hypothesis picks varies with the schemas; whenever a chain made an id,
    # it must have gone on to an operation using it (past a create, along a link).
    if steps["made"]:
        assert steps["linked"], steps
