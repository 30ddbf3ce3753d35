"""The fault-injection suite's short form, on the test platform: under load, processes are
SIGKILLed in turn, then RabbitMQ and PostgreSQL restart; nothing accepted is lost, nothing
is stored twice, and the reports equal a rebuild from scratch (``tests/reliability/
suite.py`` has the full run)."""

from __future__ import annotations

from tests.reliability import suite
from tests.support.platform import Platform


def test_under_load_kills_and_restarts_lose_and_double_nothing(platform: Platform) -> None:
    result = suite.run(platform, suite.SHORT, commands=150)
    print("\n" + result.table())
    assert result.sent >= 150
    assert result.accepted, "some commands must get through between the faults"
    assert result.duplicates == 0, result.table()
    assert result.lost == 0, result.table()
    assert result.reports_equal_rebuild, result.table()
