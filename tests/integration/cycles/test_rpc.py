"""The cycles service over RPC, without the gateway: what another service or a script
would call. The service loads every command itself, and its errors arrive as the same
classes, with the same field, as they were raised."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from coachops.errors import Forbidden, Invalid, NotFound
from tests.support.platform import Platform
from tests.support.roster import school

from .client import AMQP, today


@pytest.fixture
def cycles(platform: Platform) -> Iterator[Any]:
    with ClusterRpcProxy({"AMQP_URI": AMQP}, timeout=20) as cluster:
        yield cluster.cycles


def test_a_cycle_is_proposed_accepted_and_read_over_rpc(platform: Platform,
                                                        cycles: Any) -> None:
    at = school(platform, coaches=1, teachers=1)
    coach, teacher = at.coaches[0], at.teachers[0]
    as_coach = {"id": coach, "role": "coach"}
    started = cycles.start_cycle(as_coach, {
        "coach_id": coach, "teacher_ids": [teacher], "school_id": at.id,
        "focus_area_ids": ["danielson-3b"],
        "goal": {"what": "w", "measure": "m", "by": (today() + timedelta(days=9)).isoformat()},
    })
    assert started["status"] == "proposed"
    accepted = cycles.accept_cycle({"id": teacher, "role": "teacher"},
                                   {"cycle_id": started["cycle_id"]})
    assert accepted["status"] == "active"
    step = cycles.add_next_step(as_coach, {"cycle_id": started["cycle_id"], "text": "t",
                                           "owner_id": teacher,
                                           "due_on": today().isoformat()})
    assert step["next_steps"]["label"] == "0/1 next steps complete"
    caseload = cycles.caseload(as_coach, {"coach_id": coach})
    assert [c["cycle_id"] for c in caseload["by_phase"]["plan"]] == [started["cycle_id"]]


def test_errors_cross_rpc_as_themselves_naming_the_field(cycles: Any) -> None:
    as_coach = {"id": str(uuid.uuid4()), "role": "coach"}
    with pytest.raises(NotFound) as missing:
        cycles.get_cycle(as_coach, {"cycle_id": str(uuid.uuid4())})
    assert missing.value.field == "cycle_id"
    with pytest.raises(Invalid) as invalid:  # the service checks the command itself
        cycles.close_cycle(as_coach, {"cycle_id": str(uuid.uuid4()), "outcome": "great",
                                      "evidence": "e"})
    assert invalid.value.field == "outcome"
    with pytest.raises(Forbidden) as forbidden:
        cycles.caseload(as_coach, {"coach_id": str(uuid.uuid4())})
    assert forbidden.value.field == "coach_id"
