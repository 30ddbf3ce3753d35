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
from coachops.commands import Command
from coachops.commands import agreements as ag
from coachops.commands import cycles as cy
from coachops.commands import reporting as rp
from coachops.commands import timetracking as tt
from coachops.commands.types import Text
from coachops.identity import Role

COACH, TEACHER, PRINCIPAL = Role.COACH, Role.TEACHER, Role.PRINCIPAL
CLT_REP, LEADER, IT_ADMIN = Role.CLT_REP, Role.DISTRICT_LEADER, Role.IT_ADMIN
OPEN: Final = "open"  # no token needed: health, the API description, static pages
AGGREGATES = frozenset({PRINCIPAL, CLT_REP, LEADER})
JSON = "application/json"

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
    path_fields: dict[str, str] = field(default_factory=dict)  # a segment named otherwise

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
DAY = {"day": "date"}
SUGGESTION = "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>"

SERVICE_ROUTES: Final[tuple[Route, ...]] = (
    # Cycles: proposed by a coach (or started by a teacher), written by the coach
    cycles("POST", "/cycles", CT, "start_cycle", cy.StartCycle, status=201, synced=True,
           creates=("cycle_id",)),
    cycles("POST", "/cycles/<cycle_id>/accept", T, "accept_cycle", cy.AcceptCycle, "optional"),
    cycles("POST", "/cycles/<cycle_id>/decline", T, "decline_cycle", cy.DeclineCycle,
           "optional"),
    cycles("POST", "/cycles/<cycle_id>/withdraw-from-reporting", T, "withdraw_from_reporting",
           cy.WithdrawFromReporting, "optional"),
    cycles("PUT", "/cycles/<cycle_id>/norms", C, "agree_norms", cy.AgreeNorms),
    cycles("POST", "/cycles/<cycle_id>/calendar", C, "schedule_item", cy.ScheduleItem,
           status=201, synced=True, creates=("item_id",)),
    cycles("POST", "/cycles/<cycle_id>/calendar/<item_id>/reschedule", C, "reschedule_item",
           cy.RescheduleItem),
    cycles("POST", "/cycles/<cycle_id>/calendar/<item_id>/cancel", C, "cancel_item",
           cy.CancelItem, "optional"),
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
           cy.DropNextStep, "optional"),
    cycles("POST", "/cycles/<cycle_id>/phase/back", C, "move_phase_back", cy.MovePhaseBack,
           "optional"),
    cycles("POST", "/cycles/<cycle_id>/goal", C, "revise_goal", cy.ReviseGoal),
    cycles("POST", "/cycles/<cycle_id>/close", C, "close_cycle", cy.CloseCycle),
    cycles("POST", "/cycles/<cycle_id>/reopen", C, "reopen_cycle", cy.ReopenCycle, "optional"),
    cycles("GET", "/cycles/<cycle_id>", CT, "get_cycle", cy.CycleQuery, "path",
           answer=an.Cycle),
    cycles("GET", "/cycles/<cycle_id>/timeline", CT, "cycle_timeline", cy.CycleQuery, "path",
           answer=an.Timeline),
    cycles("GET", "/cycles/<cycle_id>/reads", CT, "cycle_reads", cy.CycleQuery, "path",
           answer=an.Reads),
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
    time("GET", "/coaches/<coach_id>/time/days/<day>", C, "coach_day", tt.CoachDayQuery, "path",
         name="coach_time_day", path_fields=DAY, answer=an.CoachDay),
    time("GET", "/coaches/<coach_id>/time/weeks/<day>", C, "coach_week", tt.CoachWeekQuery, "path",
         name="coach_time_week", path_fields=DAY, answer=an.CoachWeek),
    time("POST", f"{SUGGESTION}/confirm", C, "confirm_suggestion", tt.ConfirmSuggestion,
         "optional", status=201, name="confirm_time_suggestion", path_fields=DAY,
         answer=an.EntryId),
    time("POST", f"{SUGGESTION}/dismiss", C, "dismiss_suggestion", tt.DismissSuggestion, "path",
         name="dismiss_time_suggestion", path_fields=DAY),
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
    agreements("POST", "/roster/import", frozenset({IT_ADMIN}), "import_roster",
               ag.ImportRoster, long=True, written=True,
               media=(JSON, "multipart/form-data")),
    agreements("GET", "/schools/<school_id>/roster",
               frozenset({COACH, PRINCIPAL, LEADER, IT_ADMIN}), "school_roster",
               ag.SchoolRosterQuery, "query", answer=an.SchoolRoster),
    # Erasing a person (a request under student-privacy law or district policy): district IT
    agreements("POST", "/people/<person_id>/forget", frozenset({IT_ADMIN}), "forget_person",
               ag.ForgetPerson, "path", written=True),
    # Coaching agreements: between a coach and a principal
    agreements("POST", "/coaching-agreements", C, "draft_coaching_agreement",
               ag.DraftCoachingAgreement, status=201, creates=("agreement_id",),
               answer=an.CoachingAgreement),
    agreements("POST", "/coaching-agreements/<agreement_id>/revisions", C,
               "revise_coaching_agreement", ag.ReviseCoachingAgreement, status=201,
               answer=an.CoachingAgreement),
    agreements("POST", "/coaching-agreements/<agreement_id>/sign",
               frozenset({COACH, PRINCIPAL}), "sign_coaching_agreement",
               ag.SignCoachingAgreement, answer=an.CoachingAgreement),
    agreements("POST", "/coaching-agreements/<agreement_id>/check-ins",
               frozenset({COACH, PRINCIPAL}), "record_check_in", ag.RecordCheckIn, status=201,
               answer=an.CoachingAgreement),
    agreements("GET", "/coaching-agreements/<agreement_id>", frozenset({COACH, PRINCIPAL}),
               "coaching_agreement", ag.AgreementQuery, "path", answer=an.CoachingAgreement),
    # Partnership agreements: between a coach and a teacher
    agreements("POST", "/partnership-agreements", C, "draft_partnership_agreement",
               ag.DraftPartnershipAgreement, status=201, creates=("agreement_id",),
               answer=an.PartnershipAgreement),
    agreements("POST", "/partnership-agreements/<agreement_id>/agree", T,
               "agree_partnership_agreement", ag.AgreePartnershipAgreement, "path",
               answer=an.PartnershipAgreement),
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

# The commands an app may queue offline and send in /sync, named as their RPC methods.
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
    *SERVICE_ROUTES,
    # A coach's app sending what it queued offline (each item is checked as its own route)
    Route("POST", "/sync", C, schema=SyncBatch, source="body", long=True, written=True,
          name="sync", answer=an.SyncAnswer),
)
