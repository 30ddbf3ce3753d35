"""The data keys at rest, with every service a real process: a ``pg_dump`` of every database
opens none of a teacher's content (the keys in it are wrapped by the district's master key,
which is in no database); rotating the master key re-wraps them, and everything sealed
before still reads with the old key gone from the configuration; production refuses to
start without a master key of its own."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from coachops import clock
from coachops.identity import Role
from coachops.privacy import keys, master
from coachops.privacy.master import MasterKeyError
from tests.integration.gateway.world import World, build, cycle_body, partnership_body
from tests.support import dumps, erasure
from tests.support.platform import DATABASES, MASTER_KEY, Platform, ServiceProcess

pytestmark = pytest.mark.e2e

KEEPERS = keys.SERVICES  # the services that keep data keys


@dataclass
class Content:
    cycle_id: str
    partnership_id: str
    markers: list[str]
    subjects: list[uuid.UUID]  # whose keys seal the markers


def teacher_content(w: World) -> Content:
    """A goal, observation notes and partnership norms, each with a marker of its own."""
    goal, notes, norms = (f"{what}-{w.tag}" for what in ("GoalAtRest", "NotesAtRest", "Norms"))
    body = cycle_body(w)
    body["goal"]["what"] = goal
    cycle_id = w.ok(w.call(Role.COACH, "POST", "/cycles", json=body), 201)["cycle_id"]
    w.ok(w.call(Role.TEACHER, "POST", f"/cycles/{cycle_id}/accept"))
    w.ok(w.call(Role.COACH, "POST", f"/cycles/{cycle_id}/observations", json={
        "observed_on": clock.today().isoformat(), "minutes": 30, "tool": "free_notes",
        "notes": notes}), 201)
    partnership_id = w.ok(w.call(Role.COACH, "POST", "/partnership-agreements", json={
        **partnership_body(w), "entering_the_room": norms}), 201)["agreement_id"]
    return Content(cycle_id, partnership_id, [goal, notes, norms],
                   [uuid.UUID(cycle_id), w.who(Role.TEACHER), w.who(Role.COACH)])


def test_a_dump_of_every_database_decrypts_nothing(platform: Platform) -> None:
    w = build(platform)
    content = teacher_content(w)
    every_dump = {service: dumps.pg_dump(service) for service in DATABASES}
    whole = "\n".join(every_dump.values())
    ciphertexts = dumps.sealed(whole, content.subjects)
    assert len(ciphertexts) >= len(content.markers)
    assert erasure.found(content.markers, dumps.readable(whole)) == []  # sealed, not in clear

    candidates = dumps.candidate_keys(whole)
    assert erasure.found(content.markers, "\n".join(dumps.opened(ciphertexts, candidates))) == []

    # Not a blind search: with the master key beside the dump, the same search opens it all.
    district = master.parse(MASTER_KEY, "the test master key")
    unwrapped = [k for dump in every_dump.values() for k in dumps.unwrapped_keys(dump, district)]
    opened = dumps.opened(ciphertexts, candidates | set(unwrapped))
    assert erasure.found(content.markers, "\n".join(opened)) == content.markers


def rotate(platform: Platform, new_key: Path) -> str:
    """The services that keep keys stopped, their keys re-wrapped, and started again with
    only the new key configured."""
    for service in KEEPERS:
        platform[service].stop()
    run = subprocess.run([sys.executable, "-m", "coachops.privacy.rotate",
                          "--new-key-file", str(new_key)],
                         env=platform.env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    platform.env.pop("COACHOPS_MASTER_KEY", None)
    platform.env["COACHOPS_MASTER_KEY_FILE"] = str(new_key)  # the processes share this env
    for service in KEEPERS:
        platform[service].start()
    platform.wait_ready()
    return run.stdout


def test_after_a_rotation_everything_sealed_before_still_reads(platform: Platform,
                                                                 tmp_path: Path) -> None:
    w = build(platform)
    content = teacher_content(w)

    def read() -> str:
        return "\n".join(w.call(Role.COACH, "GET", path).text for path in (
            f"/cycles/{content.cycle_id}", f"/cycles/{content.cycle_id}/timeline",
            f"/partnership-agreements/{content.partnership_id}"))

    before = read()
    assert erasure.found(content.markers, before) == content.markers
    new_key, old_key = tmp_path / "new.key", tmp_path / "old.key"
    new_key.write_text(base64.b64encode(os.urandom(32)).decode())
    old_key.write_text(MASTER_KEY)
    try:
        out = rotate(platform, new_key)
        for service in KEEPERS:
            assert f"_{service}: " in out, out
        assert read() == before
        with pytest.raises(MasterKeyError):  # the old key opens none of the keys now
            dumps.unwrapped_keys(dumps.pg_dump("cycles"), master.parse(MASTER_KEY, "old"))
    finally:
        rotate(platform, old_key)  # the rest of the session runs with the test key
        platform.env.pop("COACHOPS_MASTER_KEY_FILE")
        platform.env["COACHOPS_MASTER_KEY"] = MASTER_KEY
    assert read() == before


def test_production_refuses_to_start_without_a_master_key(platform: Platform,
                                                          tmp_path: Path) -> None:
    env = {k: v for k, v in platform.env.items() if k != "COACHOPS_MASTER_KEY"}
    cycles = ServiceProcess("cycles", {**env, "COACHOPS_ENV": "production"}, tmp_path)
    cycles.start()
    assert cycles.wait_exit(timeout=60) == 2
    assert "coachops: COACHOPS_MASTER_KEY: must be set" in cycles.log()
