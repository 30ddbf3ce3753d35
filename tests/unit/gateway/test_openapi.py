"""The OpenAPI description, built from the gateway class without running it: every route is
in it, it is valid OpenAPI 3, and it is built from the schemas the routes validate with."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import pytest
from openapi_spec_validator import validate

from gateway import openapi, policy
from gateway.service import GatewayService
from tests.unit.gateway.test_policy import ROUTES

SPEC = openapi.document(GatewayService)


def operation(method: str, rule: str) -> dict[str, Any]:
    return SPEC["paths"][openapi.path_of(rule)][method.lower()]


def test_the_description_is_valid_openapi_3() -> None:
    assert SPEC["openapi"].startswith("3.")
    validate(SPEC)


def test_every_route_of_the_gateway_is_described_and_nothing_else() -> None:
    described = {(method.upper(), path) for path, item in SPEC["paths"].items()
                 for method in item}
    assert described == {(m, openapi.path_of(r)) for m, r in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=" ".join)
def test_each_operation_says_who_may_call_it_and_how_it_can_fail(route: tuple[str, str]) -> None:
    op = operation(*route)
    names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
    assert names == set(openapi.path_names(route[1]))
    if policy.needs_token(*route):
        assert op["security"] == [{"bearer": []}, {"session": []}]
        roles = ", ".join(sorted(r.value for r in policy.allowed_roles(*route)))
        assert op["description"] == f"Roles: {roles}."
        assert {"400", "401", "403", "503"} <= set(op["responses"])
    else:
        assert op["security"] == []
    if "requestBody" in op:
        assert {"413", "415"} <= set(op["responses"])


def test_the_body_is_the_commands_schema_without_the_urls_ids() -> None:
    body = operation("POST", "/cycles/<cycle_id>/observations")["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "cycle_id" not in schema["properties"]
    assert set(schema["required"]) == {"observed_on", "minutes", "tool"}
    assert schema["additionalProperties"] is False  # unknown fields are refused
    assert schema["properties"]["minutes"] == {"type": "integer", "minimum": 1,
                                               "maximum": 720}
    path_id = operation("POST", "/cycles/<cycle_id>/observations")["parameters"][0]
    assert path_id["schema"] == {"type": "string", "format": "uuid"}


def test_a_report_takes_its_query_and_a_format() -> None:
    params = {p["name"]: p for p in operation("GET", "/reports/time-use")["parameters"]}
    assert {"school_year", "month", "from_date", "to_date", "as_of", "region_id",
            "school_id", "coach_id", "format"} <= set(params)
    assert params["format"]["schema"]["enum"] == ["json", "csv"]


def schemas_validated_by(function: Any) -> set[str]:
    """The names of the schemas a route's function passes to ``validated(...)``: its row's
    when the route table made it, else read from its source."""
    if row := getattr(function, "route", None):
        return {row.schema.__name__}
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {call.args[0].id for call in ast.walk(tree)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "validated" and call.args
            and isinstance(call.args[0], ast.Name)}


def test_each_route_is_described_with_the_schema_it_validates_with() -> None:
    checked = 0
    for route in openapi.routes(GatewayService):
        used = schemas_validated_by(getattr(GatewayService, route.function))
        described = openapi.REQUESTS.get((route.method, route.rule))
        if not used:
            continue
        assert described is not None, f"{route.method} {route.rule}: add it to REQUESTS"
        schemas = {s.__name__ for s in (described.body, described.query, described.ids) if s}
        assert schemas & used, (route, used, schemas)
        checked += 1
    assert checked >= 40


def test_every_description_is_of_a_route() -> None:
    assert set(openapi.REQUESTS) <= set(ROUTES)


def test_the_docs_page_loads_nothing_from_another_origin() -> None:
    for name in openapi.DOC_FILES:
        text = (openapi.DOCS / name).read_text()
        assert "://" not in text, name  # no CDN, no font service, no analytics
    page = (openapi.DOCS / "index.html").read_text()
    assert '<script src="/docs/docs.js"' in page and 'href="/docs/docs.css"' in page
