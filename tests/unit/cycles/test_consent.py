"""Consent: a teacher may take their cycle out of aggregate reports; nobody else may."""

from __future__ import annotations

import pytest

from coachops.errors import Forbidden, Invalid
from tests.unit.cycles.helpers import AS_COACH, AS_SECOND_TEACHER, AS_TEACHER, TODAY, active


def test_a_teacher_of_the_cycle_withdraws_it_from_reporting_once() -> None:
    cycle = active()
    cycle.withdraw_from_reporting(AS_TEACHER, TODAY)
    assert cycle.withdrawn_on == TODAY
    with pytest.raises(Invalid, match="withdrawn from reports on"):
        cycle.withdraw_from_reporting(AS_TEACHER, TODAY)


@pytest.mark.parametrize("who", [AS_COACH, AS_SECOND_TEACHER])
def test_nobody_else_withdraws_it(who: object) -> None:
    cycle = active()
    with pytest.raises(Forbidden):
        cycle.withdraw_from_reporting(who, TODAY)  # type: ignore[arg-type]
    assert cycle.withdrawn_on is None
