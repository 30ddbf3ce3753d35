"""Reading published events back from the store (for a consumer's gap) gives exactly what
the relay published: same ids, positions and predecessors, from any starting point."""

from __future__ import annotations

from coachops.bus.relay import published_events, to_envelopes
from coachops.contracts import encode
from services.cycles.app import Cycles
from services.cycles.integration import to_integration
from tests.unit.cycles.test_privacy import app, work_a_whole_cycle  # noqa: F401  (fixture)


def test_any_position_reads_back_as_the_relay_published_it(app: Cycles) -> None:  # noqa: F811
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
