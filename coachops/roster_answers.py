"""What the roster's routes answer (the search, the listing and the import), as
``coachops.answers`` describes every other route's answer: schemas with an example each,
for the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields

from coachops.answers import COACH, PERSON, SCHOOL, Answer


class OnTheDay(Answer):
    """What the roster says on one day (``on``)."""

    on = fields.Date()
    example = {"on": "2026-09-15"}


class People(Answer):
    """District IT's search of the roster: each person found, how the query matched them,
    their roles today and where they hold them (a school, a region, or the district)."""

    people = fields.List(fields.Dict())
    more = fields.Boolean()
    example = {"people": [{
        "person_id": PERSON, "sourced_id": "t-1042", "given_name": "Ana",
        "family_name": "Ortiz", "email": "ana.ortiz@district.example", "forgotten": False,
        "matched": "name", "roles": ["coach"],
        "assignments": [{"role": "coach", "place_id": SCHOOL,
                         "place": "Lincoln Elementary"}]}], "more": False}


REGION = "8e2a4c6b-1d3f-4a5b-9c7d-0e1f2a3b4c5d"


class PersonNamed(Schema):
    person_id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "none once forgotten"})


class PlaceNamed(Schema):
    region_id = fields.UUID()
    name = fields.String(allow_none=True)


class RosterRegion(Schema):
    region_id = fields.UUID()
    code = fields.String(metadata={"description": "the region's code in regions.csv"})
    name = fields.String()
    representative = fields.Nested(PersonNamed, allow_none=True)


class RosterRegions(OnTheDay):
    """The district's regions (CLTs) on the day, each with its representative that day."""

    regions = fields.List(fields.Nested(RosterRegion))
    example = {**OnTheDay.example, "regions": [{
        "region_id": REGION, "code": "clt-north", "name": "North CLT",
        "representative": {"person_id": COACH, "name": "Ana Ortiz"}}]}


class SchoolNamed(Schema):
    school_id = fields.UUID()
    name = fields.String()


class RosterUnset(OnTheDay):
    """What the roster still lacks on the day that only the district can say (no SIS
    export does): district IT's list after a first import of the export alone."""

    schools_without_region = fields.List(fields.Nested(SchoolNamed))
    schools_without_coach = fields.List(fields.Nested(SchoolNamed))
    schools_without_principal = fields.List(fields.Nested(SchoolNamed))
    regions_without_representative = fields.List(fields.Nested(PlaceNamed))
    district_leaders = fields.Integer(metadata={"description": "how many lead coaching"})
    other_it_admins = fields.Integer(metadata={"description": "district IT besides the caller"})
    complete = fields.Boolean(metadata={"description": "nothing is left to set"})
    example = {**OnTheDay.example, "schools_without_region": [
        {"school_id": SCHOOL, "name": "Lincoln Elementary"}], "schools_without_coach": [
        {"school_id": SCHOOL, "name": "Lincoln Elementary"}], "schools_without_principal": [],
        "regions_without_representative": [], "district_leaders": 0, "other_it_admins": 0,
        "complete": False}


class RosterSetUp(Answer):
    """One fact of the district set (``POST /roster/setup``): what is now so, in words, and
    whether it changed anything (``false``: the roster said so already)."""

    kind = fields.String()
    effective_on = fields.Date()
    changed = fields.Boolean()
    said = fields.String()
    example = {"kind": "coach", "effective_on": "2026-09-15", "changed": True,
               "said": "Ana Ortiz coaches at Lincoln Elementary from 2026-09-15."}


class RosterSchool(Schema):
    school_id = fields.UUID()
    sourced_id = fields.String(metadata={"description": "its OneRoster sourcedId"})
    name = fields.String()
    region = fields.Nested(PlaceNamed, allow_none=True)
    principal = fields.Nested(PersonNamed, allow_none=True)


class RosterSchools(OnTheDay):
    """The district's schools on the day, each with its region and principal that day."""

    schools = fields.List(fields.Nested(RosterSchool))
    example = {**OnTheDay.example, "schools": [{
        "school_id": SCHOOL, "sourced_id": "org-lincoln-es", "name": "Lincoln Elementary",
        "region": {"region_id": REGION, "name": "North CLT"},
        "principal": {"person_id": PERSON, "name": "Dana Reyes"}}]}


class RosterPerson(OnTheDay):
    """A person on the roster and the roles they hold on the day, each where they hold it;
    a forgotten person has no name and no role."""

    person_id = fields.UUID()
    sourced_id = fields.String(allow_none=True, metadata={
        "description": "their OneRoster sourcedId (the roster id is derived from it)"})
    name = fields.String(allow_none=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    forgotten = fields.Boolean()
    roles = fields.List(fields.String())
    coach_at = fields.List(fields.Dict(), metadata={"description": "[{school_id, name}]"})
    teacher_at = fields.List(fields.Dict(), metadata={"description": "[{school_id, name}]"})
    principal_of = fields.List(fields.Dict(), metadata={"description": "[{school_id, name}]"})
    clt_rep_of = fields.List(fields.Dict(), metadata={"description": "[{region_id, name}]"})
    district_leader = fields.Boolean()
    it_admin = fields.Boolean()
    example = {**OnTheDay.example, "person_id": COACH, "sourced_id": "t-1042",
               "name": "Ana Ortiz", "given_name": "Ana", "family_name": "Ortiz",
               "forgotten": False, "roles": ["coach", "clt_rep"],
               "coach_at": [{"school_id": SCHOOL, "name": "Lincoln Elementary"}],
               "teacher_at": [], "principal_of": [],
               "clt_rep_of": [{"region_id": REGION, "name": "North CLT"}],
               "district_leader": False, "it_admin": False}


class RosterPeople(OnTheDay):
    """A page of the people holding a role on the day whom the caller sees, by family name;
    ``next_page`` is None on the last."""

    people = fields.List(fields.Dict(), metadata={
        "description": "each as GET /roster/people/{person_id} shows them, without on"})
    page = fields.Integer()
    limit = fields.Integer()
    total = fields.Integer()
    next_page = fields.Integer(allow_none=True)
    example = {**OnTheDay.example, "people": [
        {k: v for k, v in RosterPerson.example.items() if k != "on"}],
        "page": 1, "limit": 100, "total": 1, "next_page": None}


IMPORT = "1b2c3d4e-5f60-4a71-8b92-a3b4c5d6e7f8"
ROSTER_CHANGES = {
    "counts": {"arriving": 1, "leaving": 1, "moving": 1, "role_changes": 1,
               "schools_added": 1, "regions_added": 0},
    "arriving": [{"sourced_id": "t-2001", "name": "Ana Ortiz", "role": "teacher",
                  "places": ["Lincoln Elementary"]}],
    "leaving": [{"sourced_id": "t-1042", "name": "Ben Lee", "role": "teacher",
                 "places": ["Oak Middle"]}],
    "moving": [{"sourced_id": "c-7", "name": "Dee Park", "role": "coach",
                "from": ["Oak Middle"], "to": ["Lincoln Elementary"]}],
    "role_changes": [{"sourced_id": "t-88", "name": "Eli Moss", "role": "coach",
                      "from": "teacher", "to": "coach"}],
    "schools_added": [{"sourced_id": "s-12", "name": "Lincoln Elementary"}],
    "regions_added": [],
    "stale": {"users": [{"sourced_id": "t-1042", "name": "Ben Lee"}], "orgs": []},
    "recorded": 6, "events": {"Person.Registered": 1, "School.Defined": 1,
                              "School.TeacherAssigned": 1, "School.TeacherLeft": 1,
                              "School.CoachAssigned": 1, "School.CoachUnassigned": 1}}


class RosterChanges(Answer):
    """A dry run of the roster import (``dry_run``): what importing the files would change,
    and nothing is changed. People arriving (new on the roster, or joining a school while
    leaving none), leaving, moving from one school to another and changing role; schools and
    regions added. Each by name beside the roster's sourcedId (``places``, ``from`` and
    ``to`` are schools by name, "the district" for district-wide roles); ``counts`` are
    whole, each list shows up to 1000. ``events``: the events the import would record.
    ``stale``: the rows of a delta export (``users``, ``orgs``) that change nothing because
    their ``dateLastModified`` is no newer than what the roster already applied."""

    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    arriving = fields.List(fields.Dict())
    leaving = fields.List(fields.Dict())
    moving = fields.List(fields.Dict())
    role_changes = fields.List(fields.Dict())
    schools_added = fields.List(fields.Dict())
    regions_added = fields.List(fields.Dict())
    stale = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    recorded = fields.Integer()
    events = fields.Dict(keys=fields.String(), values=fields.Integer())
    example = ROSTER_CHANGES


class RosterImportQueued(Answer):
    """The import is queued to run in the background: follow it at
    ``GET /roster/imports/{import_id}``."""

    import_id = fields.UUID()
    state = fields.String(metadata={"enum": ["queued"]})
    example = {"import_id": IMPORT, "state": "queued"}


class RosterImport(Answer):
    """A roster import: ``queued``, ``running`` (``rows``: the rows of the files compared
    with the roster so far, of all of them), ``done`` (``changes``: what it changed, as a dry
    run shows it) or ``failed`` (nothing was imported: ``reason``, and in ``errors`` each
    problem of the files as ``{file, line, field, reason}``, the header being line 1)."""

    import_id = fields.UUID()
    state = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    requested_by = fields.String()
    effective_on = fields.Date()
    queued_at = fields.DateTime()
    updated_at = fields.DateTime()
    rows = fields.Dict(keys=fields.String(), values=fields.Integer())
    changes = fields.Nested(RosterChanges, allow_none=True)
    reason = fields.String(allow_none=True)
    errors = fields.List(fields.Dict())
    example = {"import_id": IMPORT, "state": "done", "requested_by": "Kim Diaz",
               "effective_on": "2026-08-01", "queued_at": "2026-07-28T14:02:11.120000+00:00",
               "updated_at": "2026-07-28T14:02:19.480000+00:00",
               "rows": {"done": 5120, "total": 5120}, "changes": ROSTER_CHANGES,
               "reason": None, "errors": []}
