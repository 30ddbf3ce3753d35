"""The description declares every status the gateway may answer on each operation, so a
client (and schemathesis's status-code conformance check) knows them all; and its links
lead from each create operation to those that use the id it made."""

from __future__ import annotations

from gateway import openapi, policy
from gateway.service import GatewayService

DOCUMENT = openapi.document(GatewayService)
OPERATIONS = [(method.upper(), path, op) for path, item in DOCUMENT["paths"].items()
              for method, op in item.items()]


def test_every_operation_declares_what_any_request_may_be_answered() -> None:
    for method, path, op in OPERATIONS:
        assert {"414", "431", "500", "503"} <= set(op["responses"]), (method, path)


def test_every_guarded_operation_declares_the_gate_and_the_limiter() -> None:
    guarded = [(m, p, op) for m, p, op in OPERATIONS if op["security"]]
    assert len(guarded) > 40
    for method, path, op in guarded:
        declared = set(op["responses"])
        assert {"400", "401", "403", "404", "409", "422", "429"} <= declared, (method, path)
        if "requestBody" in op:
            assert {"413", "415"} <= declared, (method, path)


def test_answers_to_retry_say_when() -> None:
    responses = DOCUMENT["components"]["responses"]
    for status in ("429", "503"):
        assert "Retry-After" in responses[status]["headers"], status


def test_each_create_operation_links_to_the_operations_that_use_its_id() -> None:
    by_id = {op["operationId"]: (m, p) for m, p, op in OPERATIONS}
    for (method, rule), made in openapi.CREATES.items():
        op = DOCUMENT["paths"][openapi.path_of(rule)][method.lower()]
        done = op["responses"][str(openapi.DESCRIBED[(method, rule)].status)]
        users = {by_id[link["operationId"]] for link in done["links"].values()}
        for name in made:
            wanted = {(m, openapi.path_of(r)) for m, r in policy.MATRIX
                      if name in openapi.path_names(r)
                      and set(openapi.path_names(r)) <= {*made, *openapi.path_names(rule)}}
            assert wanted - {(method, openapi.path_of(rule))} <= users, (rule, name)
