"""The district's category list through the gateway: seeded, added to, renamed and retired
by leaders, used by coaches; retired categories stay on old entries."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.support.platform import Platform
from tests.support.roster import anyone

from .client import Coach, days_ago


def categories(platform: Platform, headers: dict[str, str], **params: str) -> list[Any]:
    response = requests.get(f"{platform.url}/time-categories", params=params, headers=headers,
                            timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json()["categories"])


def post(platform: Platform, path: str, body: Any, headers: dict[str, str] | None = None,
         ) -> requests.Response:
    """As ``headers``, or as a district leader."""
    return requests.post(f"{platform.url}{path}", json=body, timeout=10,
                         headers=headers or anyone(platform, "district_leader"))


def test_the_defaults_are_there_each_coaching_or_other(platform: Platform) -> None:
    listed = {c["category_id"]: c["kind"] for c in categories(platform, Coach(platform).headers)}
    assert listed["coaching-cycle"] == listed["group-coaching"] == "coaching"
    assert listed["co-planning"] == listed["modelling"] == "coaching"
    assert listed["covering-classes"] == listed["tech-support"] == "other"
    assert listed["testing-and-data"] == listed["duties"] == listed["admin-tasks"] == "other"


def test_a_leader_adds_renames_and_retires_and_old_entries_keep_theirs(
    platform: Platform,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    response = post(platform, "/time-categories",
                    {"label": f"Lab walkthroughs {suffix}", "kind": "coaching"})
    assert response.status_code == 201, response.text
    added = response.json()
    assert added == {"category_id": f"lab-walkthroughs-{suffix}",
                     "label": f"Lab walkthroughs {suffix}", "kind": "coaching",
                     "retired": False}
    category_id = added["category_id"]

    coach, on = Coach(platform), days_ago(2)
    coach.recorded(coach.entry(on, category_id=category_id))

    response = post(platform, f"/time-categories/{category_id}/rename",
                    {"label": f"Lab classroom walkthroughs {suffix}"})
    assert response.status_code == 200, response.text
    [entry] = coach.day(on)["entries"]
    assert entry["category_label"] == f"Lab classroom walkthroughs {suffix}"

    assert post(platform, f"/time-categories/{category_id}/retire", {}).status_code == 200
    response = coach.record(coach.entry(on, "11:00", "12:00", category_id=category_id))
    assert (response.status_code, response.json()["field"]) == (422, "category_id")
    assert "is retired" in response.json()["message"]
    [entry] = coach.day(on)["entries"]
    assert (entry["category_id"], entry["category_kind"]) == (category_id, "coaching")
    assert coach.day(on)["totals"]["coaching_minutes"] == 60

    leader = anyone(platform, "district_leader")
    assert category_id not in {c["category_id"] for c in categories(platform, leader)}
    every = categories(platform, anyone(platform, "district_leader"),
                       include_retired="true")
    assert {"category_id": category_id, "label": f"Lab classroom walkthroughs {suffix}",
            "kind": "coaching", "retired": True} in every


def test_only_leaders_and_district_it_change_the_list(platform: Platform) -> None:
    body = {"label": f"Recess {uuid.uuid4().hex[:6]}", "kind": "other"}
    assert post(platform, "/time-categories", body, Coach(platform).headers).status_code == 403
    it_admin = anyone(platform, "it_admin")
    assert post(platform, "/time-categories", body, it_admin).status_code == 201


def test_bad_category_changes_name_the_field(platform: Platform) -> None:
    response = post(platform, "/time-categories", {"label": "Recess", "kind": "sometimes"})
    assert response.status_code == 400
    assert response.json()["fields"] == [{"field": "kind",
                                          "reason": "Must be one of: coaching, other."}]
    response = post(platform, "/time-categories", {"label": "CO-PLANNING", "kind": "other",
                                                   "category_id": "co-planning-again"})
    assert (response.status_code, response.json()["field"]) == (422, "label")
    # No id sent: the one its label makes is taken, and the refusal names the label.
    response = post(platform, "/time-categories", {"label": "Co-planning", "kind": "other"})
    assert (response.status_code, response.json()["field"]) == (422, "label")
    response = post(platform, "/time-categories/no-such-thing/rename", {"label": "x"})
    assert (response.status_code, response.json()["field"]) == (404, "category_id")
    response = post(platform, "/time-categories/duties/rename", {"label": ""})
    assert (response.status_code, response.json()["fields"][0]["field"]) == (400, "label")
