"""Forgetting a teacher, with every service a real process: district IT erases them at the
gateway, and then their name, their email and what their cycle and partnership hold are
nowhere: not in any database's text, not in what a copy of a database could decrypt with
its own keys, not in any log, not in any export. The reports still count their cycle. A
backup taken before the erasure holds the keys: restored with ``deploy/backup.py``, they
are destroyed again at once; a database restored by hand is erased again by
``python -m coachops.privacy.reapply`` from the registers the other services kept.

Each search is first shown to find the markers while the teacher is remembered, so an
empty result afterwards means the data is gone, not that the search is blind."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coachops import clock
from coachops.identity import Role
from coachops.privacy import ERASED
from tests.integration.gateway.world import (
    World,
    build,
    cycle_body,
    entry_body,
    partnership_body,
)
from tests.integration.gateway.world import small_district as gateway_district
from tests.integration.operations.test_backup import run_backup
from tests.support import erasure
from tests.support.platform import DATABASES, Platform, wait_until

pytestmark = pytest.mark.e2e

STORES = ("agreements", "cycles")  # where the teacher's own data is kept


def settled(read: Callable[[], Any]) -> Any:
    """A report once two reads a second apart agree (the projection has caught up)."""
    def same() -> Any:
        first = read()
        time.sleep(1)
        return first if first == read() else None
    return wait_until(same, timeout=60, interval=0.2, what="the reports to settle")


def exports(w: World, cycle_id: str, partnership_id: str) -> str:
    """Everything the teacher's people and the district can download about them."""
    # The coach's reads: the teacher can no longer sign in once forgotten.
    texts = [w.ok(w.call(Role.COACH, "GET", f"/cycles/{cycle_id}"), 200),
             w.ok(w.call(Role.COACH, "GET", f"/cycles/{cycle_id}/timeline")),
             w.ok(w.call(Role.COACH, "GET", f"/coaches/{w.who(Role.COACH)}/caseload")),
             w.ok(w.call(Role.COACH, "GET", f"/partnership-agreements/{partnership_id}")),
             w.ok(w.call(Role.IT_ADMIN, "GET", f"/schools/{w.school()}/roster"))]
    for report in ("time-use", "plan-alignment", "cycle-activity", "council"):
        csv = w.call(Role.DISTRICT_LEADER, "GET", f"/reports/{report}", params={"format": "csv"})
        assert csv.status_code == 200, csv.text
        texts.append(csv.text)
    return "\n".join(map(str, texts))


def cycle_activity(w: World) -> Any:
    return w.ok(w.call(Role.DISTRICT_LEADER, "GET", "/reports/cycle-activity"))


def test_a_forgotten_teacher_is_nowhere_and_still_counted(platform: Platform,
                                                          tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    district = gateway_district(tag)
    teacher = district.people[f"gw-{tag}-teacher-1"]
    teacher.given_name, teacher.family_name = f"Philippa{tag}", f"Quarrington{tag}"
    w = build(platform, tag, district)
    goal_text, notes, norms = (f"{what}-{tag}" for what in
                               ("GoalMarker", "ObservationMarker", "NormsMarker"))
    markers = [teacher.given_name, teacher.family_name, goal_text, notes, norms]

    body = cycle_body(w)
    body["goal"]["what"] = f"{goal_text}: more students explain their reasoning"
    cycle_id = w.ok(w.call(Role.COACH, "POST", "/cycles", json=body), 201)["cycle_id"]
    w.ok(w.call(Role.TEACHER, "POST", f"/cycles/{cycle_id}/accept"))
    w.ok(w.call(Role.COACH, "POST", f"/cycles/{cycle_id}/observations", json={
        "observed_on": clock.today().isoformat(), "minutes": 30,
        "tool": "free_notes", "notes": f"{notes}: {teacher.given_name} paused well"}), 201)
    partnership_id = w.ok(w.call(Role.COACH, "POST", "/partnership-agreements", json={
        **partnership_body(w), "entering_the_room": f"{norms}, quietly"}), 201)["agreement_id"]
    counted = settled(lambda: cycle_activity(w))

    # Remembered: the markers are readable where they belong and sealed everywhere else.
    # (the notes name the teacher; no route shows a name)
    assert erasure.found(markers, exports(w, cycle_id, partnership_id)) == [
        teacher.given_name, goal_text, notes, norms]
    assert f"gw-{tag}-teacher-1" in erasure.database_text("agreements")  # events are read
    sealed = "\n".join(erasure.opened_with_own_keys(s) for s in STORES)
    assert erasure.found(markers, sealed) == markers
    run_backup("backup", tmp_path)  # last night's, from before the erasure

    signed_in = w.headers(Role.TEACHER)  # a token the teacher holds
    answer = w.ok(w.call(Role.IT_ADMIN, "POST", f"/people/{w.who(Role.TEACHER)}/forget"))
    assert answer == {"person_id": str(w.who(Role.TEACHER)), "forgotten": True,
                      "keys_destroyed_here": 1, "tokens_revoked": True}
    wait_until(lambda: w.call(None, "GET", f"/cycles/{cycle_id}",
                              headers=signed_in).status_code == 401,
               timeout=10, what="the teacher's tokens to stop")

    wait_until(lambda: w.ok(w.call(Role.COACH, "GET", f"/cycles/{cycle_id}"))["goal"]["what"]
               == ERASED, timeout=30, what="the cycles service to forget the teacher")
    nowhere = {
        "databases": "\n".join(erasure.database_text(s) for s in DATABASES),
        "decryptable": "\n".join(erasure.opened_with_own_keys(s) for s in DATABASES),
        "logs": erasure.logs_text(platform.log_dir),
        "exports": exports(w, cycle_id, partnership_id),
    }
    assert {where: erasure.found(markers, text) for where, text in nowhere.items()} == {
        where: [] for where in nowhere}
    assert settled(lambda: cycle_activity(w)) == counted  # counted, anonymously

    # One database restored by hand from that backup holds the keys again...
    for service in STORES:
        platform[service].stop()
        erasure.restore_one(service, tmp_path)
        platform[service].start()
    platform.wait_ready()
    restored = "\n".join(erasure.opened_with_own_keys(s) for s in STORES)
    assert erasure.found(markers, restored) == markers

    # ...until the registers the other services kept are applied to it again.
    run = subprocess.run([sys.executable, "-m", "coachops.privacy.reapply",
                          "--amqp-uri", platform.env["AMQP_URI"]],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # The teacher's two cycles (the world's and this one), their key in agreements.
    assert "cycles: 2 keys destroyed" in run.stdout
    assert "agreements: 1 keys destroyed" in run.stdout
    again = "\n".join(erasure.opened_with_own_keys(s) for s in DATABASES)
    assert erasure.found(markers, again) == []
    assert erasure.found(markers, exports(w, cycle_id, partnership_id)) == []
    assert settled(lambda: cycle_activity(w)) == counted

    # Every database restored from the backup with district IT's tool: whoever the
    # databases it replaces had forgotten stays forgotten, with no step of its own.
    # The count of people covers everyone this shared platform's earlier tests forgot too;
    # the keys destroyed again are only those the backup still held: this teacher's two.
    platform.stop()
    try:
        out = run_backup("restore", tmp_path)
    finally:  # a failure here must not leave the next tests without a platform
        for process in platform.processes.values():
            process.start()
        platform.wait_ready()
    assert re.search(r"_cycles \(.*\); [1-9]\d* people forgotten since stay forgotten"
                     r" \(2 keys the backup held destroyed again\)", out), out
    everything = "\n".join(erasure.opened_with_own_keys(s) for s in DATABASES)
    assert erasure.found(markers, everything) == []
    assert erasure.found(markers, exports(w, cycle_id, partnership_id)) == []


def coach_rows(w: World) -> list[dict[str, Any]]:
    report = w.ok(w.call(Role.DISTRICT_LEADER, "GET", "/reports/time-use"))
    return [r for r in report["rows"] if r["level"] == "coach" and r["key"] == str(
        w.who(Role.COACH))]


def test_a_forgotten_coach_is_named_in_reports_and_then_nowhere(platform: Platform) -> None:
    """Reports name district staff: a coach's name is in reporting's names (from the
    roster's ``StaffMemberNamed``) and its exports until the coach is forgotten, and then
    in no database, log or export, while their time is still counted."""
    tag = uuid.uuid4().hex[:8]
    district = gateway_district(tag)
    coach = district.people[f"gw-{tag}-coach-1"]
    coach.given_name, coach.family_name = f"Marguerite{tag}", f"Ossington{tag}"
    markers = [coach.given_name, coach.family_name]
    w = build(platform, tag, district)
    w.ok(w.call(Role.COACH, "POST", "/time-entries", json=entry_body(w, "09:00")), 201)

    wait_until(lambda: [r for r in coach_rows(w) if r.get("name") == " ".join(markers)],
               timeout=30, what="the coach's time to be reported by name")
    [named] = settled(lambda: coach_rows(w))  # all the world's time counted
    csv = w.call(Role.DISTRICT_LEADER, "GET", "/reports/time-use", params={"format": "csv"})
    assert erasure.found(markers, csv.text) == markers
    assert erasure.found(markers, erasure.database_text("reporting")) == markers

    w.ok(w.call(Role.IT_ADMIN, "POST", f"/people/{w.who(Role.COACH)}/forget"))
    wait_until(lambda: [r for r in coach_rows(w) if r.get("name") is None],
               timeout=30, what="reporting to forget the coach's name")
    csv = w.call(Role.DISTRICT_LEADER, "GET", "/reports/time-use", params={"format": "csv"})
    nowhere = {
        "databases": "\n".join(erasure.database_text(s) for s in DATABASES),
        "decryptable": "\n".join(erasure.opened_with_own_keys(s) for s in DATABASES),
        "logs": erasure.logs_text(platform.log_dir),
        "exports": csv.text,
    }
    assert {where: erasure.found(markers, text) for where, text in nowhere.items()} == {
        where: [] for where in nowhere}
    [counted] = coach_rows(w)  # still counted, by id
    assert counted["minutes"] == named["minutes"]
