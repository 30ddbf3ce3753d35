"""The audit of reads, through the gateway: every read of a cycle's content is recorded
(who, when, what), and the cycle's coach and teachers can list who read it; nobody else
can, and a refused read is not a read."""

from __future__ import annotations

from datetime import datetime, timedelta

from coachops import clock
from tests.support.platform import Platform

from .client import Coach, Person


def test_the_coach_and_the_teacher_see_who_read_their_cycle(platform: Platform) -> None:
    coach = Coach(platform)
    teacher = coach.teacher
    cycle_id = coach.active_cycle()
    before = clock.now() - timedelta(seconds=1)
    teacher.cycle(cycle_id)
    coach.timeline(cycle_id)
    leader = Person(platform, "district_leader")
    assert leader.get(f"/cycles/{cycle_id}").status_code == 403  # refused, so not a read

    for reader in (coach, teacher):
        reads = coach.ok(reader.get(f"/cycles/{cycle_id}/reads"))["reads"]
        assert [(r["reader_id"], r["role"], r["what"]) for r in reads] == [
            (teacher.id, "teacher", "cycle"), (coach.id, "coach", "timeline")]
        assert all(before <= datetime.fromisoformat(r["read_at"]) <= clock.now()
                   for r in reads)
    assert leader.get(f"/cycles/{cycle_id}/reads").status_code == 403
    assert Person(platform, "coach").get(f"/cycles/{cycle_id}/reads").status_code == 403
