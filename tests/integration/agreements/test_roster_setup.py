"""District IT sets what no SIS export says, one fact at a time (``POST /roster/setup``),
after importing an export alone: the facts hold on the roster by name, a teacher made a coach
teaches no more, and the same export imported again keeps them. Refusals name the field."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from services.agreements.roster import roster_id
from tests.support.platform import Platform
from tests.support.roster import anyone, it_admin_headers
from tests.support.sis import Export

from .test_oneroster_export import imported, send

ON = "2026-08-10"


def set_up(platform: Platform, headers: dict[str, str] | None = None,
           **fact: str) -> requests.Response:
    return requests.post(f"{platform.url}/roster/setup", json={"effective_on": ON, **fact},
                         headers=headers or it_admin_headers(platform), timeout=30)


def person(platform: Platform, sourced_id: str) -> dict[str, Any]:
    response = requests.get(f"{platform.url}/roster/people/{roster_id(sourced_id)}",
                            params={"on": ON}, headers=it_admin_headers(platform), timeout=30)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_set_a_coach_a_region_its_representative_and_a_leader(platform: Platform) -> None:
    tag = f"su{uuid.uuid4().hex[:6]}"
    export = Export.generate(tag, schools=2, teachers=2, students=1)
    imported(platform, export, "2026-08-03")
    school, coach = str(roster_id(f"{tag}-school-1")), f"{tag}-t-1-1"
    name = f"{tag.upper()} School 1"

    made = set_up(platform, kind="coach", person_id=str(roster_id(coach)), school_id=school)
    assert made.status_code == 200, made.text
    assert made.json() == {"kind": "coach", "effective_on": ON, "changed": True,
                           "said": f"Teri Teach1x1 coaches at {name} from {ON}."}
    again = set_up(platform, kind="coach", person_id=str(roster_id(coach)), school_id=school)
    assert again.json()["changed"] is False, again.text
    assert again.json()["said"] == f"Already so: Teri Teach1x1 coaches at {name}."
    held = person(platform, coach)
    assert (held["roles"], held["teacher_at"]) == (["coach"], [])  # a coach teaches nowhere
    assert held["coach_at"] == [{"school_id": school, "name": name}]

    region = f"{tag} North"
    put = set_up(platform, kind="school_region", school_id=school, region=region)
    assert put.json()["said"] == f"{name} is in {region} from {ON}.", put.text
    rep = set_up(platform, kind="clt_rep", person_id=str(roster_id(f"{tag}-admin-1")),
                 region=region.upper())  # a region's name in any case
    assert rep.json()["said"] == f"Pat Head1 represents {region} from {ON}.", rep.text
    lead = set_up(platform, kind="district_leader", person_id=str(roster_id(f"{tag}-dadmin")))
    assert lead.status_code == 200, lead.text
    assert person(platform, f"{tag}-dadmin")["district_leader"] is True
    for kind, fact in (("school_region", {"school_id": school, "region": region}),
                       ("clt_rep", {"person_id": str(roster_id(f"{tag}-admin-1")),
                                    "region": region}),
                       ("district_leader", {"person_id": str(roster_id(f"{tag}-dadmin"))})):
        said_again = set_up(platform, kind=kind, **fact).json()
        assert (said_again["changed"], said_again["said"][:11]) == (False, "Already so:"), kind
    regions = requests.get(f"{platform.url}/roster/regions", params={"on": ON}, timeout=30,
                           headers=it_admin_headers(platform)).json()["regions"]
    assert [(r["code"], r["representative"]["name"]) for r in regions
            if r["name"] == region] == [(f"{tag}-north", "Pat Head1")]

    # The same SIS export again would change nothing the district set.
    preview = send(platform, export, "2026-08-20", dry_run=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["recorded"] == 0, preview.json()


def test_refusals_name_the_field(platform: Platform) -> None:
    tag = f"sr{uuid.uuid4().hex[:6]}"
    imported(platform, Export.generate(tag, schools=1, teachers=1, students=1), "2026-08-03")
    school, teacher = str(roster_id(f"{tag}-school-1")), str(roster_id(f"{tag}-t-1-1"))
    nobody = str(uuid.uuid4())
    cases = [
        ({"kind": "coach", "school_id": school}, 422, "person_id"),
        ({"kind": "coach", "person_id": nobody, "school_id": school}, 404, "person_id"),
        ({"kind": "coach", "person_id": teacher, "school_id": nobody}, 404, "school_id"),
        ({"kind": "clt_rep", "person_id": teacher, "region": f"{tag} none"}, 404, "region"),
        ({"kind": "principal", "person_id": teacher, "school_id": school}, 400, "kind"),
    ]
    for fact, status, field in cases:
        response = set_up(platform, **fact)
        assert response.status_code == status, (fact, response.text)
        body = response.json()
        assert field in (body.get("field"), *(f["field"] for f in body.get("fields", []))), body
    refused = set_up(platform, anyone(platform, "district_leader"), kind="coach",
                     person_id=teacher, school_id=school)
    assert refused.status_code == 403, refused.text
