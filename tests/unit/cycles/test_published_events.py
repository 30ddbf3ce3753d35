"""Reading published events back from the store (for a consumer's gap) gives exactly what
the relay published: same ids, positions and predecessors, from any starting point."""

from __future__ import annotations

from typing import Any

import pytest

from coachops.bus.relay import published_events, to_envelopes
from coachops.contracts import encode
from services.cycles.app import Cycles
from services.cycles.integration import to_integration
from tests.unit.cycles.test_privacy import work_a_whole_cycle


def test_any_position_reads_back_as_the_relay_published_it(app: Cycles) -> None:
    work_a_whole_cycle(app)
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    relayed, _ = to_envelopes("cycles", app, to_integration, notifications, None)
    bodies = {e.position: encode(e) for e in relayed}
    assert len(bodies) > 5
    for position in bodies:
        [fetched] = published_events("cycles", app, to_integration, position, 1)
        assert fetched == bodies[position]
    # A position that published nothing reads back as nothing.
    silent = next(n.id for n in notifications if n.id not in bodies)
    assert published_events("cycles", app, to_integration, silent, 1) == []


def test_a_position_far_past_the_end_is_answered_at_once(
    app: Cycles, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A consumer may name a position this store never reached (another source's test
    events, a store restored from an older backup): one look, not a walk through every
    number below it."""
    work_a_whole_cycle(app)
    end = app.recorder.max_notification_id() or 0
    select = app.recorder.select_notifications
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 20:
            raise AssertionError("walked through the empty positions")
        return select(*args, **kwargs)

    monkeypatch.setattr(app.recorder, "select_notifications", counted)
    assert published_events("cycles", app, to_integration, 10**12, 1) == []
    assert published_events("cycles", app, to_integration, end + 1, 50) == []
    assert len(calls) <= 2
