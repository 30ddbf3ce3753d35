"""What the gateway's routes answer, as marshmallow schemas for the OpenAPI document: each
with an example, so an integrator learns an answer's shape from the description rather
than from live answers. The services build the answers (``services/*/views.py``); these
schemas describe them and validate nothing. A row of the route table (``coachops/routes.py``)
names its answer; a row that names none answers ``Answer``, a JSON object."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import INCLUDE, Schema, fields

CYCLE = "5b0c6f1e-3a52-4c1e-9d0b-0f7c2d1a9e11"
COACH = "0d8f3c2a-7e41-4b6a-8c55-2f1e9b7a6d30"
TEACHER = "9a1e5d77-2c3b-4f08-b6e4-71c0a8d2f5b9"
SCHOOL = "3c7b9e12-5d4a-4e6f-a1b2-c3d4e5f60718"
ITEM = "e4f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
PERSON = "6f1d2c3b-4a59-4e68-b7c6-d5e4f3a2b1c0"
TOKEN = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"

class Answer(Schema):
    """A JSON object; its fields are those its service's view builds."""

    example: ClassVar[dict[str, Any]] = {}


class Progress(Schema):
    complete = fields.Integer()
    total = fields.Integer()
    label = fields.String()


class StepsProgress(Progress):
    steps = fields.List(fields.Dict())


class CycleStatus(Answer):
    """What a command on a cycle answers: where the cycle stands now, and the id of what
    the command made, if it made something (``item_id``, ``observation_id``...)."""

    cycle_id = fields.UUID()
    status = fields.String(metadata={"enum": ["proposed", "active", "closed", "declined"]})
    phase = fields.String()
    next_steps = fields.Nested(Progress)
    example = {"cycle_id": CYCLE, "status": "active", "phase": "plan",
               "next_steps": {"complete": 1, "total": 3, "label": "1 of 3"}}


class CycleSummary(CycleStatus):
    coach_id = fields.UUID()
    teacher_ids = fields.List(fields.UUID())
    awaiting_teacher_ids = fields.List(fields.UUID())
    school_id = fields.UUID()
    focus_area_ids = fields.List(fields.String())
    goal = fields.Raw(allow_none=True)
    proposed_on = fields.Date()
    proposed_by = fields.String()
    imported_by = fields.UUID(allow_none=True, metadata={
        "description": "the IT administrator who imported it (run before coachops)"})
    started_on = fields.Date(allow_none=True)
    outcome = fields.String(allow_none=True)
    withdrawn_on = fields.Date(allow_none=True, metadata={
        "description": "when a teacher withdrew it from reports"})
    example = {**CycleStatus.example, "coach_id": COACH, "teacher_ids": [TEACHER],
               "awaiting_teacher_ids": [], "school_id": SCHOOL, "focus_area_ids": ["literacy"],
               "goal": None, "proposed_on": "2026-09-08", "proposed_by": "coach",
               "imported_by": None, "started_on": "2026-09-10", "outcome": None,
               "withdrawn_on": None}


class Cycle(CycleSummary):
    """Everything in one cycle, for its coach and teachers."""

    norms = fields.Raw(allow_none=True)
    calendar = fields.List(fields.Dict())
    observations = fields.List(fields.Dict())
    debriefs = fields.List(fields.Dict())
    next_steps = fields.Nested(StepsProgress)
    closing = fields.Raw(allow_none=True)
    example = {**CycleSummary.example, "norms": None, "calendar": [{
        "item_id": ITEM, "kind": "observation", "starts_at": "2026-09-15T09:00:00-04:00",
        "minutes": 45, "status": "scheduled", "closed_on": None}], "observations": [],
        "debriefs": [],
        "next_steps": {"complete": 0, "total": 0, "label": "0 of 0", "steps": []},
        "closing": None}


class Timeline(Answer):
    cycle = fields.Nested(Cycle)
    timeline = fields.List(fields.Dict(), metadata={
        "description": "each event: event, at, by and its details"})
    example = {"cycle": Cycle.example, "timeline": [
        {"event": "started", "at": "2026-09-10T08:02:11-04:00",
         "by": {"id": COACH, "role": "coach"}}]}


class Reads(Answer):
    """Who read the cycle's content: ids and roles, as the roster names them."""

    cycle_id = fields.UUID()
    reads = fields.List(fields.Dict())
    example = {"cycle_id": CYCLE, "reads": [{"reader_id": TEACHER, "role": "teacher",
                                             "what": "cycle",
                                             "read_at": "2026-09-15T12:00:00+00:00"}]}


class Caseload(Answer):
    """A coach's cycles by phase and status, this week's next steps and observations."""

    coach_id = fields.UUID()
    week_start = fields.Date()
    week_end = fields.Date()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_phase = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(CycleSummary)))
    proposed = fields.List(fields.Nested(CycleSummary))
    closed = fields.List(fields.Nested(CycleSummary))
    declined = fields.List(fields.Nested(CycleSummary))
    next_steps_due_this_week = fields.List(fields.Dict())
    observations_scheduled = fields.List(fields.Dict())
    example = {"coach_id": COACH, "week_start": "2026-09-14", "week_end": "2026-09-20",
               "counts": {"plan": 1, "act": 0, "reflect": 0, "proposed": 0,
                          "closed": 0, "declined": 0},
               "by_phase": {"plan": [CycleSummary.example], "act": [], "reflect": []},
               "proposed": [], "closed": [], "declined": [], "next_steps_due_this_week": [],
               "observations_scheduled": []}


class TeacherCycles(Answer):
    teacher_id = fields.UUID()
    awaiting_your_answer = fields.List(fields.Nested(CycleSummary))
    cycles = fields.List(fields.Nested(CycleSummary))
    example = {"teacher_id": TEACHER, "awaiting_your_answer": [],
               "cycles": [CycleSummary.example]}


class Category(Answer):
    category_id = fields.String()
    label = fields.String()
    kind = fields.String(metadata={"enum": ["coaching", "other"]})
    retired = fields.Boolean()
    example = {"category_id": "co-planning", "label": "Co-planning", "kind": "coaching",
               "retired": False}


class Categories(Answer):
    categories = fields.List(fields.Nested(Category))
    example = {"categories": [Category.example]}


class EntryId(Answer):
    entry_id = fields.UUID()
    example = {"entry_id": "7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8"}


class TimeHistoryImported(Answer):
    """What a history import of time recorded, or would record (``dry_run``)."""

    dry_run = fields.Boolean()
    recorded = fields.Integer()
    already_recorded = fields.Integer(metadata={
        "description": "lines equal to entries recorded before (the file imported again)"})
    coaches = fields.Integer()
    minutes = fields.Integer()
    entry_ids = fields.List(fields.UUID())
    example = {"dry_run": False, "recorded": 2, "already_recorded": 0, "coaches": 1,
               "minutes": 150, "entry_ids": [EntryId.example["entry_id"],
                                             "8a4f3e2d-1c0b-4987-b6c5-d4e3f2a1b0c9"]}


class AgreementHistoryImported(Answer):
    """What a history import of agreements recorded, or would record (``dry_run``)."""

    dry_run = fields.Boolean()
    recorded = fields.Integer()
    already_recorded = fields.Integer(metadata={
        "description": "lines whose agreement is recorded as given (the file imported again)"})
    agreement_ids = fields.List(fields.UUID())
    example = {"dry_run": False, "recorded": 1, "already_recorded": 0,
               "agreement_ids": ["2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"]}


class CycleHistoryImported(Answer):
    """What a history import of cycles recorded, or would record (``dry_run``): the ids
    of its cycles either way (they follow from the file), for time entries to name."""

    dry_run = fields.Boolean()
    recorded = fields.Integer()
    already_recorded = fields.Integer(metadata={
        "description": "lines whose cycle is recorded already (the file imported again)"})
    cycle_ids = fields.List(fields.UUID())
    example = {"dry_run": True, "recorded": 1, "already_recorded": 0, "cycle_ids": [CYCLE]}


class Totals(Schema):
    by_category = fields.List(fields.Dict())
    coaching_minutes = fields.Integer()
    other_minutes = fields.Integer()
    total_minutes = fields.Integer()
    coaching_share = fields.Float(allow_none=True)


TOTALS = {"by_category": [{**Category.example, "minutes": 90}], "coaching_minutes": 90,
          "other_minutes": 30, "total_minutes": 120, "coaching_share": 0.75}


class CoachDay(Answer):
    """A coach's day: entries (voided ones last), suggestions from the calendar, totals."""

    coach_id = fields.UUID()
    date = fields.Date()
    entries = fields.List(fields.Dict())
    suggestions = fields.List(fields.Dict())
    totals = fields.Nested(Totals)
    example = {"coach_id": COACH, "date": "2026-09-15", "entries": [{
        "entry_id": EntryId.example["entry_id"], "school_id": SCHOOL, "worked_on": "2026-09-15",
        "start": "09:00", "end": "10:30", "minutes": 90, "category_id": "co-planning",
        "category_label": "Co-planning", "category_kind": "coaching", "cycle_id": CYCLE,
        "focus_area_id": None, "note": None, "voided": False, "history": []}],
        "suggestions": [], "totals": TOTALS}


class CoachWeek(Answer):
    """A coach's week by day, its totals, and the district's target for its coaching share."""

    coach_id = fields.UUID()
    week_start = fields.Date()
    week_end = fields.Date()
    days = fields.List(fields.Dict())
    totals = fields.Nested(Totals)
    target_share = fields.Float(metadata={
        "description": "the district's target for the coaching share (COACHING_SHARE_TARGET)"})
    example = {"coach_id": COACH, "week_start": "2026-09-14", "week_end": "2026-09-20",
               "days": [{"date": "2026-09-15", "entries": 1, "suggestions": [],
                         "totals": TOTALS}], "totals": TOTALS, "target_share": 0.4}


class ReportRow(Schema):
    """One cell of a report: what it is about, the names of what it is about (null where
    reporting was not told one, or the person was forgotten), then the view's own
    columns."""

    class Meta:
        unknown = INCLUDE  # the view's own columns

    level = fields.String(metadata={
        "description": "district, region, school, coach, coach_school, month, or a flag"})
    key = fields.String(metadata={"description": "the id of what the row is about"})
    name = fields.String(allow_none=True, metadata={
        "description": "the region's, school's or coach's name (a flag's: its coach's)"})
    school_name = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)


class Report(Answer):
    """A report's rows: aggregates only; a count under the suppression threshold is
    withheld (``null``). Each view's rows have their own columns."""

    view = fields.String()
    from_date = fields.Date()
    to_date = fields.Date()
    as_of = fields.Date(allow_none=True)
    suppression_threshold = fields.Integer()
    target_share = fields.Float(metadata={
        "description": "the coaching share each coach's ``below_target`` is judged against:"
                       " the district's (COACHING_SHARE_TARGET) or the query's"})
    scope = fields.Nested(ReportRow, metadata={
        "description": "what the report covers: the district, or the region, school or"
                       " coach it was asked for (a CLT representative's: their region)"})
    rows = fields.List(fields.Nested(ReportRow))
    example = {"view": "time_use", "from_date": "2026-09-01", "to_date": "2026-09-30",
               "as_of": None, "suppression_threshold": 5, "target_share": 0.4,
               "scope": {"level": "school", "key": SCHOOL, "name": "Lincoln Elementary"},
               "rows": [
                   {"level": "school", "key": SCHOOL, "name": "Lincoln Elementary",
                    "minutes": 1260, "coaching_minutes": 540, "coaching_share": 0.4286,
                    "minutes_by_category": {"co-planning": 540, "covering-classes": 720}},
                   {"level": "coach", "key": COACH, "name": "Dana Okafor", "minutes": 1260,
                    "coaching_minutes": 540, "coaching_share": 0.4286,
                    "minutes_by_category": {"co-planning": 540, "covering-classes": 720},
                    "below_target": False},
                   {"level": "coach_school", "key": f"{COACH}/{SCHOOL}",
                    "name": "Dana Okafor", "school_name": "Lincoln Elementary",
                    "coaching_minutes": 540, "aligned_minutes": 300}]}


class CoachingAgreement(Answer):
    """A coaching agreement's versions: each party's signature as the day it was signed
    (``signed``, maybe on paper) and the day it was entered here (``entered``); a version
    signed by both is in force from the later of their days (``in_force_from``)."""

    agreement_id = fields.UUID()
    coach_id = fields.UUID()
    school_id = fields.UUID()
    school_year = fields.String()
    latest_version = fields.Integer()
    version_in_force = fields.Integer(allow_none=True)
    imported_by = fields.UUID(allow_none=True, metadata={
        "description": "the IT administrator who imported it (signed before coachops)"})
    versions = fields.List(fields.Dict())
    check_ins = fields.List(fields.Dict())
    example = {"agreement_id": ITEM, "coach_id": COACH, "school_id": SCHOOL,
               "school_year": "2026-27", "latest_version": 1, "version_in_force": None,
               "imported_by": None,
               "versions": [{"version": 1, "focus_areas": [{"id": "literacy",
                                                            "label": "Literacy"}],
                             "coach_role": "partner", "not_coach_role": "evaluator",
                             "check_in_every_weeks": 6, "signed": {"coach": "2026-08-14"},
                             "entered": {"coach": "2026-09-01"}, "in_force": False,
                             "in_force_from": None}], "check_ins": []}


class PartnershipAgreement(Answer):
    agreement_id = fields.UUID()
    coach_id = fields.UUID()
    teacher_id = fields.UUID()
    agreed_on = fields.Date(allow_none=True)
    example = {"agreement_id": ITEM, "coach_id": COACH, "teacher_id": TEACHER,
               "agreed_on": None}


class SchoolRoster(Answer):
    school_id = fields.UUID()
    label = fields.String()
    on = fields.Date()
    region_id = fields.UUID(allow_none=True)
    principal_id = fields.UUID(allow_none=True)
    coach_ids = fields.List(fields.UUID())
    teacher_ids = fields.List(fields.UUID())
    example = {"school_id": SCHOOL, "label": "Lincoln Elementary", "on": "2026-09-15",
               "region_id": None, "principal_id": None, "coach_ids": [COACH],
               "teacher_ids": [TEACHER]}


class Named(Schema):
    id = fields.UUID()
    name = fields.String()


class MySchool(Schema):
    school_id = fields.UUID()
    label = fields.String()
    principal = fields.Nested(Named, allow_none=True)
    coaches = fields.List(fields.Nested(Named))
    teachers = fields.List(fields.Nested(Named), metadata={
        "description": "for its coaches and principal only"})
    agreements = fields.List(fields.Dict(), metadata={
        "description": "each coach's coaching agreement id for this school year"})


class Me(Answer):
    """The signed-in person and, for the role they signed in with, their schools: each with
    its people by name as the role needs them and its coaches' coaching agreements for this
    school year (ids to read; one not drafted yet is a 404)."""

    person_id = fields.UUID()
    given_name, family_name = fields.String(), fields.String()
    role, roles = fields.String(), fields.List(fields.String())
    today, school_year = fields.Date(), fields.Integer()
    schools = fields.List(fields.Nested(MySchool))
    example = {"person_id": COACH, "role": "coach", "given_name": "Ana", "family_name": "Ortiz",
               "roles": ["coach"], "today": "2026-09-15", "school_year": 2026, "schools": [{
                   "school_id": SCHOOL, "label": "Lincoln Elementary",
                   "principal": {"id": ITEM, "name": "Dana Reyes"},
                   "coaches": [{"id": COACH, "name": "Ana Ortiz"}],
                   "teachers": [{"id": TEACHER, "name": "Sam Lee"}],
                   "agreements": [{"coach_id": COACH, "school_year": 2026,
                                   "agreement_id": ITEM}]}]}


class SyncAnswer(Answer):
    """Each item's outcome in batch order, and how many of each."""

    results = fields.List(fields.Dict())
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    example = {"results": [{"client_id": "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081",
                            "command": "log_observation", "outcome": "accepted",
                            "status": 201, "body": CycleStatus.example}],
               "counts": {"accepted": 1, "duplicate": 0, "rejected": 0}}


class Health(Answer):
    status = fields.String()
    example = {"status": "up"}


class Readiness(Answer):
    """Whether every service answers, and the gateway's own database (503 when not)."""

    ready = fields.Boolean()
    services = fields.Dict(keys=fields.String(), values=fields.Boolean())
    gateway_database = fields.Boolean()
    example = {"ready": True, "services": {"agreements": True, "cycles": True,
                                           "reporting": True, "timetracking": True},
               "gateway_database": True}


class IntegrationToken(Answer):
    """An integration token as recorded (never the token itself): whom it acts as, in
    which role, what it may do and what it is for; ``status`` active, revoked or expired."""

    token_id = fields.UUID()
    person_id = fields.UUID()
    sourced_id = fields.String()
    role = fields.String()
    scopes = fields.List(fields.String())
    label = fields.String()
    issued_by = fields.UUID(allow_none=True)
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": ["active", "revoked", "expired"]})
    example = {"token_id": TOKEN, "person_id": PERSON, "sourced_id": "t-1042",
               "role": "district_leader", "scopes": ["reports:read"],
               "label": "Nightly export to the district's data warehouse",
               "issued_by": COACH, "issued_at": "2026-09-01T12:00:00+00:00",
               "expires_at": "2026-11-30T12:00:00+00:00", "revoked_at": None,
               "status": "active"}


class IssuedIntegrationToken(IntegrationToken):
    """The token itself, shown this once: it is kept nowhere."""

    token = fields.String()
    example = {"token": "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InJlcG9ydHM6cmVhZCJ9.c2ln",
               **IntegrationToken.example}


class IntegrationTokens(Answer):
    tokens = fields.List(fields.Nested(IntegrationToken))
    example = {"tokens": [IntegrationToken.example]}


class DeadLetters(Answer):
    """The messages a consumer could not take and parked, the first ones described."""

    count = fields.Integer()
    messages = fields.List(fields.Dict())
    example = {"count": 1, "messages": [{
        "parked_at": "2026-09-01T12:00:00+00:00", "consumer": "reporting.on_time_logged",
        "routing_key": "timetracking.TimeLogged", "event": "timetracking at 1042",
        "reason": "the event does not match its contract"}]}


class SignedIn(Answer):
    """Who the browser's session is for (``signed_in`` false without one): the roles the
    roster gives them today, the one they act in (null until they choose), and the CSRF
    token every state-changing request of the session sends as ``X-CSRF-Token``. Without
    a session: whether district sign-in is on and whether a token may be pasted instead
    (developer mode)."""

    signed_in = fields.Boolean()
    person_id = fields.UUID(allow_none=True)
    name = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    role = fields.String(allow_none=True)
    csrf_token = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    sign_in = fields.Boolean()
    token_paste = fields.Boolean()
    example = {"signed_in": True, "person_id": COACH, "name": "Ana Abbott",
               "roles": ["clt_rep", "coach"], "role": "coach",
               "csrf_token": "q0pN3v6oJ8kQ2m1rX4tY7uZ9wB5cD0eF", "expires_at":
               "2026-09-01T20:00:00+00:00", "sign_in": True, "token_paste": False}


class SignedOut(Answer):
    """The session has ended; ``provider_signout`` is where to end it at the district's
    provider too (null when the provider does not say)."""

    signed_in = fields.Boolean()
    provider_signout = fields.String(allow_none=True)
    example = {"signed_in": False,
               "provider_signout": "https://login.example.org/oauth2/end_session"}
