"""A small, true demo district: regions, schools and coaches with cycles proposed through
the gateway exactly as coaches' apps would, and accepted (most of them) by their teachers,
since coaching is voluntary. Ids are fixed, so a second demo run sees the district is
there and loads nothing twice."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import requests

from coachops.identity import Role
from gateway.auth import issue

DEMO = uuid.UUID("0c0ac405-0000-4000-8000-000000000000")
REGIONS = ("North", "South", "East", "West", "Central", "Valley")
SCHOOLS_PER_REGION = 4
COACHES = 12
FOCUS_AREAS = ("danielson-2a", "danielson-2b", "danielson-3b", "school-goal-literacy",
               "school-goal-math")


def demo_id(kind: str, n: int) -> str:
    return str(uuid.uuid5(DEMO, f"{kind}-{n}"))


def already_loaded(gateway: str) -> bool:
    """The first demo coach has cycles: the district was loaded by an earlier demo run."""
    coach = demo_id("coach", 0)
    headers = {"Authorization": f"Bearer {issue(uuid.UUID(coach), Role.COACH)}"}
    response = requests.get(f"{gateway}/coaches/{coach}/caseload", headers=headers, timeout=10)
    response.raise_for_status()
    return sum(response.json()["counts"].values()) > 0


def load_demo_district(gateway: str, seed: int = 7) -> None:
    if already_loaded(gateway):
        print("demo district already loaded (fixed ids); not loading it twice")
        return
    rng = random.Random(seed)
    schools = [demo_id("school", i) for i in range(len(REGIONS) * SCHOOLS_PER_REGION)]
    proposed = started = 0
    for c in range(COACHES):
        coach = demo_id("coach", c)
        headers = {"Authorization": f"Bearer {issue(uuid.UUID(coach), Role.COACH)}"}
        for t in range(rng.randint(2, 5)):
            body = {
                "coach_id": coach,
                "teacher_ids": [demo_id("teacher", c * 100 + t)],
                "school_id": rng.choice(schools),
                "focus_area_ids": [rng.choice(FOCUS_AREAS)],
                "goal": {
                    "what": "Students justify answers with evidence in discussion",
                    "measure": "share of student turns that cite evidence",
                    "by": (date.today() + timedelta(days=rng.randint(20, 90))).isoformat(),
                },
            }
            response = requests.post(f"{gateway}/cycles", json=body, headers=headers,
                                     timeout=10)
            response.raise_for_status()
            proposed += 1
            if rng.random() < 0.2:
                continue  # left waiting for the teacher's answer
            teacher = body["teacher_ids"][0]
            cycle_id = response.json()["cycle_id"]
            response = requests.post(
                f"{gateway}/cycles/{cycle_id}/accept", timeout=10,
                headers={"Authorization": f"Bearer {issue(uuid.UUID(teacher), Role.TEACHER)}"},
            )
            response.raise_for_status()
            started += 1
        print(f"\rdemo data: coach {c + 1}/{COACHES}, {proposed} cycles proposed,"
              f" {started} accepted", end="", flush=True)
    print(f"\ndemo district: {len(REGIONS)} regions, {len(schools)} schools, {COACHES} coaches;"
          f" e.g. {gateway}/schools/{schools[0]}/active-cycles with a token from"
          " `.venv/bin/python -m gateway.auth issue --person <uuid> --role district_leader`;"
          f" a coach's caseload: {gateway}/coaches/{demo_id('coach', 0)}/caseload with"
          f" `--person {demo_id('coach', 0)} --role coach`")
