"""Every answer the gateway documents has its schema and an example the schema accepts."""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import INCLUDE

from coachops import answers, roster_answers
from coachops.routes import ROUTES
from gateway import openapi
from gateway.service import GatewayService

DOCUMENT = openapi.document(GatewayService)
JSON_ANSWERS = [(method, rule) for method, rule in ((r.method, r.rule) for r in ROUTES)
                if "application/json" in openapi.DESCRIBED[(method, rule)].answers]


def success(method: str, rule: str) -> dict[str, Any]:
    """The route's success answer (its row's status; a row may document others too)."""
    responses = DOCUMENT["paths"][openapi.path_of(rule)][method.lower()]["responses"]
    done: dict[str, Any] = responses[str(openapi.DESCRIBED[(method, rule)].status)]
    return done


@pytest.mark.parametrize(("method", "rule"), JSON_ANSWERS)
def test_a_json_answer_has_a_schema_and_an_example(method: str, rule: str) -> None:
    responses = DOCUMENT["paths"][openapi.path_of(rule)][method.lower()]["responses"]
    for status in [openapi.DESCRIBED[(method, rule)].status,
                   *(s for s, _ in openapi.DESCRIBED[(method, rule)].also)]:
        content = responses[str(status)]["content"]["application/json"]
        assert content["schema"], (method, rule, status)
        assert "example" in content, (method, rule, status)


def test_a_dry_run_of_the_roster_import_is_documented_beside_the_import() -> None:
    operation = DOCUMENT["paths"]["/roster/import"]["post"]
    assert {"200", "202"} <= set(operation["responses"])
    assert "dry_run" in [p.get("name") for p in operation["parameters"]]
    assert "import_id" in success("POST", "/roster/import")["links"]["roster_import"][
        "parameters"]["path.import_id"]


@pytest.mark.parametrize("answer", [
    a for module in (answers, roster_answers) for a in vars(module).values()
    if isinstance(a, type) and issubclass(a, answers.Answer) and a.example])
def test_each_example_is_accepted_by_its_schema(answer: type[answers.Answer]) -> None:
    assert answer(unknown=INCLUDE).validate(answer.example) == {}


def test_a_report_may_be_answered_as_csv() -> None:
    content = success("GET", "/reports/time-use")["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    assert content["text/csv"]["example"].startswith("school_id,")


def test_the_roster_is_uploaded_as_a_zip_or_as_its_files() -> None:
    content = DOCUMENT["paths"]["/roster/import"]["post"]["requestBody"]["content"]
    assert content["application/zip"]["schema"] == {"type": "string", "format": "binary"}
    form = content["multipart/form-data"]["schema"]
    for name in ("export", "users", "orgs", "manifest", "roles"):
        assert {k: form["properties"][name][k] for k in ("type", "format")} == \
            {"type": "string", "format": "binary"}
    assert "required" not in form  # orgs and users, or the zip that holds them
    assert "orgs, users then required" in form["properties"]["export"]["description"]
