"""``LOG_FORMAT=json`` (``coachops.logs.Json``): each record one JSON object with the
request's id when inside one, the exception's text, and no token; and the check that lets
only a safe caller's ``X-Request-Id`` into the logs."""

from __future__ import annotations

import json
import logging
import sys
import uuid

import pytest

from coachops import logs
from coachops.identity import Role
from gateway.auth import issue


def record(message: str, *args: object, exc_info: object = None) -> logging.LogRecord:
    return logging.LogRecord("coachops.test", logging.WARNING, __file__, 1, message, args,
                             exc_info)  # type: ignore[arg-type]


def formatted(entry: logging.LogRecord) -> dict[str, object]:
    logs.Redact().filter(entry)  # as deploy/nameko.yml puts them: filters, then the format
    line = logs.Json().format(entry)
    assert "\n" not in line  # one line a record, whatever the message holds
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_record_is_one_json_object_with_its_request_id() -> None:
    logs.bind("req-42")
    try:
        line = formatted(record("answered %s in %d ms", "GET /cycles", 12))
    finally:
        logs.bind(None)
    assert line["level"] == "WARNING" and line["logger"] == "coachops.test"
    assert line["message"] == "answered GET /cycles in 12 ms"
    assert line["request_id"] == "req-42"
    assert str(line["time"]).endswith("+00:00") and "service" in line
    assert "exception" not in line


def test_outside_a_request_there_is_no_request_id() -> None:
    assert "request_id" not in formatted(record("started"))


def test_an_exception_is_in_its_line_without_the_token() -> None:
    token = issue(uuid.uuid4(), Role.COACH)
    try:
        raise RuntimeError(f"multi\nline failure with Bearer {token}")
    except RuntimeError:
        line = formatted(record("failed:\n%s", token, exc_info=sys.exc_info()))
    exception = str(line["exception"])
    assert "Traceback" in exception and "RuntimeError" in exception
    assert token not in json.dumps(line)
    assert token.split(".")[2] not in json.dumps(line)


@pytest.mark.parametrize("offered", ["abc", "0f3c-11.x:y_Z", "a" * 64,
                                     "3fa85f64-5717-4562-b3fc-2c963f66afa6"])
def test_a_safe_request_id_is_kept(offered: str) -> None:
    assert logs.request_id(offered) == offered


@pytest.mark.parametrize("offered", [None, "", "a" * 65, "a b", "a\nfake line", "x\"}",
                                     "é", "id;drop", "<script>"])
def test_anything_else_gets_a_new_id(offered: str | None) -> None:
    made = logs.request_id(offered)
    assert made != offered and len(made) == 32 and made.isalnum()
    assert logs.request_id(offered) != made  # a new one each time
