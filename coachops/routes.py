"""The gateway's one route table: each route written once, as a row.

From these rows come the gateway's nameko routes (``gateway/routes/table.py`` makes a
handler named for the row's RPC method for every row without a hand-written one), the
authorisation table (``gateway/policy.py``), the OpenAPI document (``gateway/openapi.py``),
the commands an app may queue offline (``coachops.commands.sync.COMMANDS``) and the routes
that may take long (``gateway/http.py``). It lives here, not in the gateway, because the
services apply /sync batches with the same command table.

Coaching is confidential: cycle content is for its coach and teachers, so no other role
appears on a cycle row; district IT runs operations and reads no coaching content; a
district leader reads aggregates, never a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from marshmallow import fields, validate

from coachops import answers as an
from coachops import roster_answers as ra
from coachops.commands import Command
from coachops.commands import agreements as ag
from coachops.commands import cycles as cy
from coachops.commands import gateway as gw
from coachops.commands import reporting as rp
from coachops.commands import timetracking as tt
from coachops.commands.types import Text
from coachops.identity import Role

COACH, TEACHER, PRINCIPAL = Role.COACH, Role.TEACHER, Role.PRINCIPAL
CLT_REP, LEADER, IT_ADMIN = Role.CLT_REP, Role.DISTRICT_LEADER, Role.IT_ADMIN
OPEN: Final = "open"  # no token needed: health, the API description, static pages
AGGREGATES = frozenset({PRINCIPAL, CLT_REP, LEADER})
JSON = "application/json"
ZIP = "application/zip"

# Where a command's or query's fields come from besides the URL's ids: the JSON body, a
# body that may be left out (a command that needs nothing but its URL), the query string,
# or nothing (the ids are the whole of it).
Source = Literal["body", "optional", "query", "path"]


def path_names(rule: str) -> list[str]:
    """The ids a werkzeug rule carries: ``/cycles/<cycle_id>`` (or ``<path:name>``)."""
    return re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", rule)


@dataclass(frozen=True)
class Route:
    """One route. ``rpc`` names the backend's method and, unless ``name`` says otherwise,
    the gateway's handler (so a grep for either finds the row). ``written`` when the
    handler is hand-written (files, CSV, uploads, /sync): the row still gives its roles
    and its description."""

    method: str
    rule: str
    roles: frozenset[Role] | str
    service: str | None = None
    rpc: str | None = None
    schema: type[Command] | None = None  # the command's or the query's
    source: Source = "path"
    status: int = 200
    long: bool = False  # a district's roster, a CSV of time, an offline batch
    synced: bool = False  # an app may queue it offline and send it in /sync, as ``rpc``
    written: bool = False
    name: str | None = None
    media: tuple[str, ...] = (JSON,)  # of its body
    answers: tuple[str, ...] = (JSON,)  # of its answer
    extra_query: tuple[tuple[str, dict[str, Any]], ...] = ()
    creates: tuple[str, ...] = ()  # the ids its answer names (for the OpenAPI links)
    answer: type[an.Answer] = an.Answer  # the schema of its success answer, with an example
    also: tuple[tuple[int, type[an.Answer]], ...] = ()  # other success answers: status, schema
    path_fields: dict[str, str] = field(default_factory=dict)  # a segment named otherwise
    # What else an open route may answer (one that checks its own callers: the sign-in's)
    refusals: tuple[str, ...] = ()

    @property
    def handler(self) -> str:
        return self.name or self.rpc or ""

    @property
    def command_schema(self) -> type[Command]:
        """The schema of a row that takes a command or a query (every synced row does)."""
        if self.schema is None:
            raise TypeError(f"{self.method} {self.rule} takes no command")
        return self.schema


def cycles(method: str, rule: str, roles: frozenset[Role], rpc: str,
           schema: type[Command], source: Source = "body", **more: Any) -> Route:
    more.setdefault("answer", an.CycleStatus)  # a command's: where the cycle stands now
    return Route(method, rule, roles, "cycles", rpc, schema, source, **more)


def time(method: str, rule: str, roles: frozenset[Role] | str, rpc: str,
         schema: type[Command], source: Source = "body", **more: Any) -> Route:
    return Route(method, rule, roles, "timetracking", rpc, schema, source, **more)


def agreements(method: str, rule: str, roles: frozenset[Role], rpc: str,
               schema: type[Command], source: Source = "body", **more: Any) -> Route:
    return Route(method, rule, roles, "agreements", rpc, schema, source, **more)


def report(rule: str, roles: frozenset[Role], name: str) -> Route:
    return Route("GET", rule, roles, "reporting", "report", rp.ReportQuery, "query",
                 answer=an.Report, written=True, name=name, answers=(JSON, "text/csv"),
                 extra_query=(
                     ("format", {"type": "string", "enum": ["json", "csv"],
                                 "default": "json"}),))


def open_route(rule: str, name: str, answers: tuple[str, ...] = ("text/html",),
               answer: type[an.Answer] = an.Answer) -> Route:
    return Route("GET", rule, OPEN, written=True, name=name, answers=answers, answer=answer)


C, T, CT = frozenset({COACH}), frozenset({TEACHER}), frozenset({COACH, TEACHER})
ROSTER_READERS = frozenset({COACH, PRINCIPAL, CLT_REP, LEADER, IT_ADMIN})
DAY = {"day": "date"}
SUGGESTION = "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>"

SERVICE_ROUTES: Final[tuple[Route, ...]] = (
    # Cycles: proposed by a coach (or started by a teacher), written by the coach
    cycles("POST", "/cycles", CT, "start_cycle", cy.StartCycle, status=201, synced=True,
           creates=("cycle_id",)),
    cycles("POST", "/cycles/<cycle_id>/accept", T, "accept_cycle", cy.AcceptCycle, "optional",
           synced=True),
    cycles("POST", "/cycles/<cycle_id>/decline", T, "decline_cycle", cy.DeclineCycle,
           "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/withdraw-from-reporting", T, "withdraw_from_reporting",
           cy.WithdrawFromReporting, "optional", synced=True),
    cycles("PUT", "/cycles/<cycle_id>/norms", C, "agree_norms", cy.AgreeNorms,
           synced=True),
    cycles("POST", "/cycles/<cycle_id>/calendar", C, "schedule_item", cy.ScheduleItem,
           status=201, synced=True, creates=("item_id",)),
    cycles("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule", C, "reschedule_item",
           cy.RescheduleItem, synced=True),
    cycles("POST", "/cycles/<cycle_id>/calendar/<item_id>/cancel", C, "cancel_item",
           cy.CancelItem, "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/calendar/<item_id>/done", C, "mark_item_done",
           cy.MarkItemDone, "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/observations", C, "log_observation", cy.LogObservation,
           status=201, synced=True),
    cycles("POST", "/cycles/<cycle_id>/debriefs", C, "hold_debrief", cy.HoldDebrief,
           status=201, synced=True),
    cycles("POST", "/cycles/<cycle_id>/next-steps", C, "add_next_step", cy.AddNextStep,
           status=201, synced=True, creates=("step_id",)),
    # a teacher completes the next steps they own
    cycles("POST", "/cycles/<cycle_id>/next-steps/<step_id>/complete", CT,
           "complete_next_step", cy.CompleteNextStep, "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/next-steps/<step_id>/drop", C, "drop_next_step",
           cy.DropNextStep, "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/phase/back", C, "move_phase_back", cy.MovePhaseBack,
           "optional", synced=True),
    cycles("POST", "/cycles/<cycle_id>/goal", C, "revise_goal", cy.ReviseGoal, synced=True),
    cycles("POST", "/cycles/<cycle_id>/close", C, "close_cycle", cy.CloseCycle, synced=True),
    cycles("POST", "/cycles/<cycle_id>/reopen", C, "reopen_cycle", cy.ReopenCycle, "optional",
           synced=True),
    cycles("GET", "/cycles/<cycle_id>", CT, "get_cycle", cy.CycleQuery, "path",
           answer=an.Cycle),
    cycles("GET", "/cycles/<cycle_id>/timeline", CT, "cycle_timeline", cy.CycleQuery, "path",
           answer=an.Timeline),
    cycles("GET", "/cycles/<cycle_id>/reads", CT, "cycle_reads", cy.CycleQuery, "path",
           answer=an.Reads),
    # Cycles run before the district used coachops, imported by district IT (a dry run
    # records nothing); like the agreements and time of /history/*
    cycles("POST", "/history/cycles", frozenset({IT_ADMIN}), "import_cycle_history",
           cy.ImportCycleHistory, long=True, answer=an.CycleHistoryImported),
    cycles("GET", "/coaches/<coach_id>/caseload", C, "caseload", cy.CaseloadQuery, "query",
           answer=an.Caseload),
    cycles("GET", "/teachers/<teacher_id>/cycles", T, "teacher_cycles", cy.TeacherCyclesQuery,
           "query", answer=an.TeacherCycles),
    # A coach's time: their own, and nobody else writes it
    time("POST", "/time-entries", C, "record_time_entry", tt.RecordTimeEntry, status=201,
         synced=True, creates=("entry_id",), answer=an.EntryId),
    time("POST", "/time-entries/<entry_id>/corrections", C, "correct_time_entry",
         tt.CorrectTimeEntry, synced=True, answer=an.EntryId),
    time("POST", "/time-entries/<entry_id>/void", C, "void_time_entry", tt.VoidTimeEntry,
         synced=True, answer=an.EntryId),
    time("POST", "/coaches/<coach_id>/time-entries/import", C, "import_time_entries",
         tt.ImportTimeEntries, status=201, long=True, written=True,
         media=("text/csv", JSON)),
    # History kept before the district used coachops, imported by district IT: checked by
    # the coach's rules, recorded by IT and marked imported; a dry run records nothing
    time("POST", "/history/time-entries", frozenset({IT_ADMIN}), "import_time_history",
         tt.ImportTimeHistory, long=True, answer=an.TimeHistoryImported),
    time("GET", "/coaches/<coach_id>/time/days/<day>", C, "coach_day", tt.CoachDayQuery, "path",
         name="coach_time_day", path_fields=DAY, answer=an.CoachDay),
    time("GET", "/coaches/<coach_id>/time/weeks/<day>", C, "coach_week", tt.CoachWeekQuery, "path",
         name="coach_time_week", path_fields=DAY, answer=an.CoachWeek),
    time("POST", f"{SUGGESTION}/confirm", C, "confirm_suggestion", tt.ConfirmSuggestion,
         "optional", status=201, name="confirm_time_suggestion", path_fields=DAY,
         answer=an.EntryId, synced=True),
    time("POST", f"{SUGGESTION}/dismiss", C, "dismiss_suggestion", tt.DismissSuggestion, "path",
         name="dismiss_time_suggestion", path_fields=DAY, synced=True),
    # The district's time categories: read by those who log or report time, kept by the
    # district (its coaching leader or IT)
    time("GET", "/time-categories", frozenset({COACH, PRINCIPAL, CLT_REP, LEADER, IT_ADMIN}),
         "categories", tt.ListCategories, "query", name="time_categories", answer=an.Categories),
    time("POST", "/time-categories", frozenset({LEADER, IT_ADMIN}), "add_category",
         tt.AddCategory, status=201, name="add_time_category", creates=("category_id",),
         answer=an.Category),
    time("POST", "/time-categories/<category_id>/rename", frozenset({LEADER, IT_ADMIN}),
         "rename_category", tt.RenameCategory, name="rename_time_category", answer=an.Category),
    time("POST", "/time-categories/<category_id>/retire", frozenset({LEADER, IT_ADMIN}),
         "retire_category", tt.RetireCategory, "path", name="retire_time_category",
         answer=an.Category),
    # The roster: imported by district IT; a school's roster for its people and the district
    # 202: it runs in the background (follow it at /roster/imports/<id>); a dry run (the
    # field or query parameter dry_run) answers at once what it would change
    agreements("POST", "/roster/import", frozenset({IT_ADMIN}), "import_roster",
               ag.ImportRoster, long=True, written=True, status=202,
               media=(JSON, "multipart/form-data", ZIP), answer=ra.RosterImportQueued,
               also=((200, ra.RosterChanges),), creates=("import_id",),
               extra_query=(("dry_run", {"type": "boolean", "default": False,
                                         "description": "as the body's dry_run"}),)),
    # Agreements signed on paper before the district used coachops, imported by district IT
    # (a dry run records nothing); the time kept before, at /history/time-entries
    agreements("POST", "/history/agreements", frozenset({IT_ADMIN}), "import_agreement_history",
               ag.ImportAgreementHistory, long=True, answer=an.AgreementHistoryImported),
    agreements("GET", "/roster/imports/<import_id>", frozenset({IT_ADMIN}), "roster_import",
               ag.RosterImportQuery, "path", answer=ra.RosterImport),
    agreements("GET", "/schools/<school_id>/roster",
               frozenset({COACH, PRINCIPAL, LEADER, IT_ADMIN}), "school_roster",
               ag.SchoolRosterQuery, "query", answer=an.SchoolRoster),
    # What the roster holds on a day (``on``, today by default), with ids and sourcedIds,
    # so no client derives an id. Regions and schools, with who represents and heads
    # each: the district's structure, on every school's website; not for a teacher, whose
    # app names their school. People, by name: whom each role sees is
    # ``services/agreements/listing.py``'s (IT and leaders everyone, a principal their
    # school's, a CLT representative their region's coaches and principals); a coach and a
    # teacher no listing, only themselves at /roster/people/<their id>.
    agreements("GET", "/roster/regions", ROSTER_READERS, "roster_regions",
               ag.RosterRegionsQuery, "query", answer=ra.RosterRegions),
    agreements("GET", "/roster/schools", ROSTER_READERS, "roster_schools",
               ag.RosterSchoolsQuery, "query", answer=ra.RosterSchools),
    # What no SIS export says and the district has still to set: district IT's to-do list.
    agreements("GET", "/roster/unset", frozenset({IT_ADMIN}), "roster_unset",
               ag.RosterUnsetQuery, "query", answer=ra.RosterUnset),
    # District IT sets in its console, one fact at a time, what the district's own
    # assignments.csv would say: a coach at a school, a school's region, a representative
    agreements("POST", "/roster/setup", frozenset({IT_ADMIN}), "set_up_roster",
               ag.SetUpRoster, answer=ra.RosterSetUp),
    agreements("GET", "/roster/people", frozenset({PRINCIPAL, CLT_REP, LEADER, IT_ADMIN}),
               "roster_people", ag.RosterPeopleQuery, "query", answer=ra.RosterPeople),
    agreements("GET", "/roster/people/<person_id>", frozenset(Role), "roster_person",
               ag.RosterPersonQuery, "query", answer=ra.RosterPerson),
    # The signed-in person's app: who they are, their schools and their people by name
    agreements("GET", "/me", frozenset({COACH, TEACHER, PRINCIPAL}), "me", ag.MeQuery,
               "query", answer=an.Me),
    # Erasing a person (a request under student-privacy law or district policy): district IT
    agreements("POST", "/people/<person_id>/forget", frozenset({IT_ADMIN}), "forget_person",
               ag.ForgetPerson, "path", written=True),
    # District IT finds people on the roster: their roles and where they hold them
    agreements("GET", "/people", frozenset({IT_ADMIN}), "find_people", ag.PeopleQuery, "query",
               answer=ra.People),
    # Coaching agreements: between a coach and a principal
    agreements("POST", "/coaching-agreements", C, "draft_coaching_agreement",
               ag.DraftCoachingAgreement, status=201, creates=("agreement_id",),
               answer=an.CoachingAgreement, synced=True),
    agreements("POST", "/coaching-agreements/<agreement_id>/revisions", C,
               "revise_coaching_agreement", ag.ReviseCoachingAgreement, status=201,
               answer=an.CoachingAgreement, synced=True),
    agreements("POST", "/coaching-agreements/<agreement_id>/sign",
               frozenset({COACH, PRINCIPAL}), "sign_coaching_agreement",
               ag.SignCoachingAgreement, answer=an.CoachingAgreement, synced=True),
    agreements("POST", "/coaching-agreements/<agreement_id>/check-ins",
               frozenset({COACH, PRINCIPAL}), "record_check_in", ag.RecordCheckIn, status=201,
               answer=an.CoachingAgreement, synced=True),
    agreements("GET", "/coaching-agreements/<agreement_id>", frozenset({COACH, PRINCIPAL}),
               "coaching_agreement", ag.AgreementQuery, "path", answer=an.CoachingAgreement),
    # Partnership agreements: between a coach and a teacher
    agreements("POST", "/partnership-agreements", C, "draft_partnership_agreement",
               ag.DraftPartnershipAgreement, status=201, creates=("agreement_id",),
               answer=an.PartnershipAgreement, synced=True),
    agreements("POST", "/partnership-agreements/<agreement_id>/agree", T,
               "agree_partnership_agreement", ag.AgreePartnershipAgreement, "path",
               answer=an.PartnershipAgreement, synced=True),
    agreements("GET", "/partnership-agreements/<agreement_id>", CT, "partnership_agreement",
               ag.AgreementQuery, "path", answer=an.PartnershipAgreement),
    # Reports: aggregates only; a coach sees their own time
    report("/reports/time-use", AGGREGATES | {COACH}, "time_use_report"),
    report("/reports/plan-alignment", AGGREGATES | {COACH}, "plan_alignment_report"),
    report("/reports/cycle-activity", AGGREGATES, "cycle_activity_report"),
    report("/reports/council", frozenset({CLT_REP, LEADER}), "council_report"),
    Route("GET", "/schools/<school_id>/active-cycles", AGGREGATES, "reporting",
          "active_cycles", rp.SchoolQuery),
)

# The commands an app may queue offline and send in /sync, named as their RPC methods (or
# their handler's ``name``): every write of the coach's, teacher's and principal's app.
SYNCED: Final[dict[str, Route]] = {r.handler: r for r in SERVICE_ROUTES if r.synced}
MAX_SYNC_ITEMS = 500


class SyncItem(Command):
    """One queued command; ``body`` is checked afterwards with the command's own schema."""

    client_id = fields.UUID(required=True)
    command = Text(50, required=True, validate=validate.OneOf(sorted(SYNCED)))
    body = fields.Dict(keys=Text(100), load_default=dict)
    # Left as sent: the command's schema checks them, with the body.
    cycle_id = fields.Raw()
    item_id = fields.Raw()
    step_id = fields.Raw()
    entry_id = fields.Raw()
    agreement_id = fields.Raw()


class SyncBatch(Command):
    """Checked as a whole for its size only, so that one bad item never refuses the rest."""

    items = fields.List(fields.Raw(), required=True,
                        validate=validate.Length(min=1, max=MAX_SYNC_ITEMS))


ROUTES: Final[tuple[Route, ...]] = (
    # Operations and the description of the API
    open_route("/healthz", "healthz", (JSON,), an.Health),
    open_route("/readyz", "readyz", (JSON,), an.Readiness),
    open_route("/openapi.json", "openapi", (JSON,)),
    open_route("/docs", "api_docs"),
    open_route("/docs/<name>", "api_docs_file", ("text/javascript", "text/css")),
    # The dashboard's static files hold no data: its pages call the report routes with
    # the person's own token
    open_route("/", "home"),
    open_route("/dashboard", "dashboard_without_slash"),
    open_route("/dashboard/", "dashboard"),
    open_route("/dashboard/<path:name>", "dashboard_file",
               ("text/html", "text/javascript", "text/css")),
    # The app of coaches, teachers and principals: files with no data, like the dashboard's
    open_route("/app", "app_without_slash"),
    open_route("/app/", "app"),
    open_route("/app/<path:name>", "app_file",
               ("text/html", "text/javascript", "text/css", "application/manifest+json")),
    # District IT's console, beside the dashboard: files with no data, like its
    open_route("/admin", "admin_without_slash"),
    open_route("/admin/", "admin_console"),
    open_route("/admin/<path:name>", "admin_file", ("text/html", "text/javascript", "text/css")),
    # District sign-in (OpenID Connect, ``gateway.signin``): how a browser gets a session,
    # so open; each answers only about the session its cookie names, and the POSTs need
    # that session's CSRF token
    Route("GET", "/auth/signin", OPEN, written=True, name="sign_in", answers=("text/html",),
          status=302, refusals=("404",), extra_query=(
              ("next", {"type": "string", "description": "where to return: /admin/, or "
                        "else /dashboard/"}),)),
    Route("GET", "/auth/callback", OPEN, written=True, name="sign_in_callback",
          answers=("text/html",), status=303, refusals=("400", "403", "404"),
          extra_query=tuple((name, {"type": "string"}) for name in (
              "code", "state", "error", "error_description"))),
    open_route("/auth/session", "signed_in", (JSON,), an.SignedIn),
    Route("POST", "/auth/role", OPEN, schema=gw.ChooseRole, source="body", written=True,
          name="choose_role", answer=an.SignedIn, refusals=("401", "403")),
    Route("POST", "/auth/signout", OPEN, written=True, name="sign_out", answer=an.SignedOut,
          refusals=("403",)),
    *SERVICE_ROUTES,
    # District IT: tokens for the district's own apps and scripts (the gateway's database),
    # and the messages a service parked
    Route("GET", "/integration-tokens", frozenset({IT_ADMIN}), schema=gw.IntegrationTokensQuery,
          source="query", written=True, name="integration_tokens", answer=an.IntegrationTokens),
    Route("POST", "/integration-tokens", frozenset({IT_ADMIN}), schema=gw.IssueIntegrationToken,
          source="body", status=201, written=True, name="issue_integration_token",
          creates=("token_id",), answer=an.IssuedIntegrationToken),
    Route("POST", "/integration-tokens/<token_id>/revoke", frozenset({IT_ADMIN}),
          schema=gw.RevokeIntegrationToken, written=True, name="revoke_integration_token",
          answer=an.IntegrationToken),
    Route("GET", "/dead-letters", frozenset({IT_ADMIN}), written=True, name="dead_letters",
          answer=an.DeadLetters),
    # The app sending what its person queued offline: each item is checked as its own
    # route, its roles too (a teacher's accept only from a teacher)
    Route("POST", "/sync", frozenset({COACH, TEACHER, PRINCIPAL}), schema=SyncBatch,
          source="body", long=True, written=True, name="sync", answer=an.SyncAnswer),
)
