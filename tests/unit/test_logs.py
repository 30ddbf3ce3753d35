"""What the logs' filters take out (``coachops.logs``): a token wherever a request put it,
and nothing that is not a secret."""

from __future__ import annotations

import logging
import sys
import uuid

import pytest

from coachops.identity import Role
from coachops.logs import REDACTED, Redact, redact
from gateway.auth import issue

TOKEN = issue(uuid.uuid4(), Role.COACH)
PAYLOAD, SIGNATURE = TOKEN.split(".")[1:]


@pytest.mark.parametrize("line", [
    f'"GET /cycles?access_token={TOKEN} HTTP/1.1" 401',
    f'"GET /cycles?from=2026-01-01&token={SIGNATURE}&x=1 HTTP/1.1" 401',
    f"Authorization: Bearer {TOKEN}", f"Authorization: Basic {SIGNATURE}",
    f'{{"access_token": "{SIGNATURE}"}}', f"password={SIGNATURE}", f"/cycles/{TOKEN}/timeline",
    f"claims {PAYLOAD}",
])
def test_no_part_of_a_token_is_left(line: str) -> None:
    redacted = redact(line)
    assert REDACTED in redacted
    assert PAYLOAD not in redacted and SIGNATURE not in redacted


def test_what_is_not_a_secret_stays() -> None:
    line = ("refused: person 1 as coach on GET /cycles/<cycle_id> (/cycles/abc): 401 the token"
            " is not valid; sign in: send 'Authorization: Bearer <token>'")
    assert redact(line) == line


def test_a_traceback_is_redacted_too() -> None:
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed with %s",
                                   (TOKEN,), sys.exc_info())
    assert Redact().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text and SIGNATURE not in text and PAYLOAD not in text


def test_every_brokers_password_in_a_clusters_uri_is_redacted() -> None:
    # As nameko logs a lost broker: the first password hidden, the others not.
    line = ("Error connecting to broker at amqp://coachops:********@rabbit1:5672/district;"
            "amqp://coachops:s3cr%3Bet@rabbit2:5672/district;"
            "amqp://coachops:s3cr%3Bet@rabbit3:5672/district (ECONNREFUSED)")
    redacted = redact(line)
    assert "s3cr" not in redacted
    assert redacted.count(f"coachops:{REDACTED}@") == 3
    assert "rabbit2:5672/district" in redacted
