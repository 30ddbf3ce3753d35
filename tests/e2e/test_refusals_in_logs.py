"""A refused request is one line in the gateway's log (who, the route, the status, why) and
no traceback in any log: a probe of thousands of refusals must not bury the logs."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import requests

from coachops import clock
from coachops.identity import Role
from tests.integration.gateway.world import World, agreement_terms, build
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


def refusals(w: World) -> dict[int, Callable[[], requests.Response]]:
    """One request for each kind of refusal, answered by the gateway (400, 401, 403) or by
    the service behind it (404, 409, 422)."""
    cycle = w.ids["cycle"]
    return {
        400: lambda: w.call(Role.COACH, "POST", "/cycles", json={"goal": 7}),
        401: lambda: w.call(None, "GET", f"/cycles/{cycle}",
                            headers={"Authorization": "Bearer not-a-token"}),
        403: lambda: w.call(Role.DISTRICT_LEADER, "GET", f"/cycles/{cycle}/timeline"),
        404: lambda: w.call(Role.COACH, "GET", f"/cycles/{uuid.uuid4()}"),
        409: lambda: w.call(Role.COACH, "POST", "/coaching-agreements", json={
            "school_id": str(w.school()), "school_year": clock.today().year,
            **agreement_terms()}),
        422: lambda: w.call(Role.TEACHER, "POST", f"/cycles/{cycle}/accept"),
    }


def test_each_refusal_is_one_line_and_no_log_has_a_traceback(platform: Platform) -> None:
    w = build(platform)
    for status, send in refusals(w).items():
        before = {name: len(p.log()) for name, p in platform.processes.items()}
        response = send()
        assert response.status_code == status, response.text
        written = {name: p.log()[before[name]:] for name, p in platform.processes.items()}
        lines = [line for line in written["gateway"].splitlines() if "refused:" in line]
        assert len(lines) == 1, (status, written["gateway"])
        assert f"): {status} " in lines[0] and " on " in lines[0], lines[0]
        for name, text in written.items():
            assert "Traceback" not in text, (status, name, text)
            assert len([line for line in text.splitlines() if "refused" in line]) <= 1, text
