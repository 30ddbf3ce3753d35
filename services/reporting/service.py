"""The reporting nameko service: consumes integration events, answers report queries.

Entrypoints only: what they call is in ``projections`` (keeping the read models),
``queries`` (the reports' SQL), ``scope`` (who may see what), ``periods`` (which days a
query means) and ``providers`` (the batch writer)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import eventlet
from nameko.timer import timer

from coachops import clock, entrypoints, settings
from coachops.bus import parked
from coachops.bus.consumer import TRANSIENT, integration_event_handler
from coachops.bus.idempotency import apply_once
from coachops.commands import load
from coachops.commands.reporting import ReportQuery, SchoolQuery
from coachops.contracts import ContractError, Envelope, decode
from coachops.dependencies import Database
from coachops.errors import NotFound
from coachops.identity import Actor
from coachops.json import Json
from coachops.rpc import RpcProxy, rpc
from services.reporting import (
    facts,
    periods,
    projections,
    queries,
    received,
    replay,
    schema,
    scope,
)
from services.reporting.cache import ReportCache
from services.reporting.providers import StartupHeapFrozen, Writer
from services.reporting.suppression import suppression_threshold

# A process of its own: stop here on a bad setting or a secret production refuses.
settings.start(settings.BROKER, settings.database_secret("reporting"))
log = logging.getLogger(__name__)
REPORTS = ReportCache.configured()  # finished reports, per process

# How often to look for events named as a predecessor that never arrived.
GAP_CHECK_SECONDS = settings.current().reporting_gap_check_seconds
# How long one check may wait on the sources in all: a source that does not answer (down,
# or stopping with the platform) costs the check its wait once, not ten seconds a gap, so a
# check never holds up a clean shutdown (nameko waits for the running check).
ASK_SECONDS = 10.0
_last_seen: dict[str, int | None] = {}  # per process: each source's end at the last check


def as_objects(view: str) -> Callable[..., Json]:
    """The entrypoint that answers the report ``view`` as objects rather than as text."""

    @rpc
    def entrypoint(self: ReportingService, actor: Json, query: Json) -> Json:
        return self._objects(view, actor, query)

    entrypoint.__name__ = entrypoint.__qualname__ = view
    made: Callable[..., Json] = entrypoint
    return made


class ReportingService(entrypoints.Ready):
    name = "reporting"

    db = Database(schema=replay.ensure_current)  # read models kept while their version holds
    parked_events = parked.ParkedEvents()  # what the consumers park, the gap check skips
    write = Writer()
    # The sources' notification logs, for events missed on the bus.
    cycles = RpcProxy("cycles")
    timetracking = RpcProxy("timetracking")
    agreements = RpcProxy("agreements")
    heap = StartupHeapFrozen()

    # One consumer per event type of every source (facts.CONSUMED): each hands a message's
    # events to the writer, which keeps them and refolds what they touch in batches.

    @integration_event_handler("timetracking", "TimeEntryRecorded", many=True)
    def on_time_entry_recorded(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("timetracking", "TimeEntryCorrected", many=True)
    def on_time_entry_corrected(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("timetracking", "TimeEntryVoided", many=True)
    def on_time_entry_voided(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("timetracking", "CategoryAdded", many=True)
    def on_category_added(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("timetracking", "CategoryRenamed", many=True)
    def on_category_renamed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("timetracking", "CategoryRetired", many=True)
    def on_category_retired(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleProposed", many=True)
    def on_cycle_proposed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleStarted", many=True)
    def on_cycle_started(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleDeclined", many=True)
    def on_cycle_declined(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "PartnershipNormsAgreed", many=True)
    def on_partnership_norms_agreed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CyclePhaseChanged", many=True)
    def on_cycle_phase_changed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "GoalRevised", many=True)
    def on_goal_revised(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CalendarItemScheduled", many=True)
    def on_calendar_item_scheduled(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CalendarItemRescheduled", many=True)
    def on_calendar_item_rescheduled(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CalendarItemCancelled", many=True)
    def on_calendar_item_cancelled(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CalendarItemDone", many=True)
    def on_calendar_item_done(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "ObservationLogged", many=True)
    def on_observation_logged(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "DebriefHeld", many=True)
    def on_debrief_held(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "NextStepAdded", many=True)
    def on_next_step_added(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "NextStepCompleted", many=True)
    def on_next_step_completed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "NextStepDropped", many=True)
    def on_next_step_dropped(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleClosed", many=True)
    def on_cycle_closed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleReopened", many=True)
    def on_cycle_reopened(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("cycles", "CycleWithdrawnFromReporting", many=True)
    def on_cycle_withdrawn_from_reporting(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "RegionDefined", many=True)
    def on_region_defined(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "SchoolDefined", many=True)
    def on_school_defined(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "SchoolAssignedToRegion", many=True)
    def on_school_assigned_to_region(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CoachAssignedToSchool", many=True)
    def on_coach_assigned_to_school(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CoachUnassignedFromSchool", many=True)
    def on_coach_unassigned_from_school(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "TeacherAssignedToSchool", many=True)
    def on_teacher_assigned_to_school(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "TeacherUnassignedFromSchool", many=True)
    def on_teacher_unassigned_from_school(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "PrincipalChanged", many=True)
    def on_principal_changed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CltRepresentativeChanged", many=True)
    def on_clt_representative_changed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "DistrictLeaderAppointed", many=True)
    def on_district_leader_appointed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "DistrictLeaderLeft", many=True)
    def on_district_leader_left(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "StaffMemberNamed", many=True)
    def on_staff_member_named(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "PersonForgotten", many=True)
    def on_person_forgotten(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CoachingAgreementDrafted", many=True)
    def on_coaching_agreement_drafted(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CoachingAgreementRevised", many=True)
    def on_coaching_agreement_revised(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CoachingAgreementSigned", many=True)
    def on_coaching_agreement_signed(self, events: list[Envelope]) -> None:
        self.write(events)

    @integration_event_handler("agreements", "CheckInRecorded", many=True)
    def on_check_in_recorded(self, events: list[Envelope]) -> None:
        self.write(events)

    @rpc
    def active_cycles(self, actor: Json, query: Json) -> dict[str, object]:
        """The school's cycles active today, or ``{"suppressed": true}`` as its cell of
        today's cycle activity is: a count of cycles is suppressed alike on every route."""
        school_id: UUID = load(SchoolQuery, query)["school_id"]
        today = clock.today()
        month, day = periods.school_year_start()
        asked = queries.Scope(start=today, end=today, reference=today, school_id=school_id,
                              threshold=suppression_threshold(), year_start_month=month,
                              year_start_day=day)
        with self.db.transaction(commit=False) as cursor:
            scope.school_in_scope(cursor, Actor.from_dict(actor), school_id)
            count = queries.active_cycles(cursor, asked)
        return {"school_id": str(school_id), "active_cycles": count}

    @rpc
    def report(self, view: str, actor: Json, query: Json) -> str:
        """A report (one of ``queries.REPORT_NAMES``) as the JSON text the gateway sends on as it
        is. A district's time use is a thousand rows (400 kB): as objects, encoding them
        for RPC, decoding them in the gateway and encoding them again took about 10 ms
        of the two processes' time per answer; as text, once here (none on a cache hit)."""
        if view not in queries.REPORT_NAMES:
            raise NotFound(f"there is no report {view!r}", field="view")
        return self._report(view, actor, query)

    # The same reports as objects, for callers that want them so; the council's is every
    # region side by side, each view's region row under its name.
    time_use = as_objects("time_use")
    plan_alignment = as_objects("plan_alignment")
    cycle_activity = as_objects("cycle_activity")
    council = as_objects("council")

    @rpc
    def gaps(self) -> list[Json]:
        with self.db.transaction() as cursor:
            return received.gaps(cursor)

    @timer(interval=GAP_CHECK_SECONDS)
    def fetch_missing(self) -> None:
        """Events lost on the bus, fetched from their source's notification log and applied
        like any other (the claim makes a late delivery of the same event harmless): one
        named as a predecessor that never arrived, and a source's last events, which no
        later event names yet."""
        self._asking_until = time.monotonic() + ASK_SECONDS
        with self.db.transaction() as cursor:
            missing = received.gaps(cursor)
            marks = received.marks(cursor)
            parked.waiting(cursor, list(facts.CONSUMED))  # and the gauge of what waits
        for source in sorted({gap["source"] for gap in missing} & set(facts.CONSUMED)):
            # A run of lost events is named one at a time, each by the one after it (a
            # consumer gone for a while loses a long run): the whole run is fetched at once,
            # from the source's mark up to the last position named.
            named = max(gap["position"] for gap in missing if gap["source"] == source)
            start = marks.get(source, 0) + 1
            self._fetch(source, start, named - start + 1, "named by a later event")
        for source in facts.CONSUMED:
            last = self._ask(source, "last_published_position")
            # Only once the source is quiet, so an event still on its way is not fetched.
            if last and last == _last_seen.get(source):
                with self.db.transaction(commit=False) as cursor:
                    lost = not received.received(cursor, source, [last])
                if lost:
                    self._fetch(source, last, 1, "its source's last")
            _last_seen[source] = last

    def _ask(self, source: str, method: str, *args: int) -> Any:
        seconds = min(ASK_SECONDS, getattr(self, "_asking_until", float("inf")) - time.monotonic())
        if seconds <= 0:
            return None  # this check has waited enough: the next one asks again
        try:
            with eventlet.Timeout(seconds):
                return getattr(getattr(self, source), method)(*args)
        except (Exception, eventlet.Timeout) as error:
            log.warning("could not ask %s for %s%s: %r", source, method, args, error)
            return None

    def _fetch(self, source: str, start: int, limit: int, why: str) -> None:
        bodies = self._ask(source, "published_events", start, limit) or []
        events = []
        for body in bodies:
            try:
                events.append((decode(body), body))
            except ContractError as error:
                self._park_fetched(body, error.reason)
        with self.db.transaction(commit=False) as cursor:
            here = received.received(cursor, source, [e.position for e, _ in events])
        applied = 0
        for event, body in events:
            if event.position in here:
                continue
            try:
                applied += apply_once(self.db, event, projections.receive)
            except TRANSIENT:
                raise  # an outage: the next check fetches it again
            except Exception as error:
                self._park_fetched(body, f"handler failed: {error!r}")
        if applied:
            log.info("fetched %d events of %s from position %d (%s), missed on the bus",
                     applied, source, start, why)

    def _park_fetched(self, body: Json, reason: str) -> None:
        """A fetched event that cannot be applied is parked, as a consumer parks one: not
        fetched and failed again at every check."""
        self.parked_events.park(body, f"{self.name}.fetch_missing", reason)

    def _objects(self, view: str, actor: Json, query: Json) -> Json:
        report: Json = json.loads(self._report(view, actor, query))
        return report

    def _report(self, view: str, actor_data: Json, query_data: Json) -> str:
        actor = Actor.from_dict(actor_data)
        query = load(ReportQuery, query_data)
        as_of: date | None = query.get("as_of")
        today = clock.today()
        start, end = periods.period(query, as_of or today)
        month, day = periods.school_year_start()
        with self.db.transaction(commit=False) as cursor:
            # First: every statement after it sees these read models or newer ones, so
            # the report kept under it is never older than its key.
            version = schema.read_model_version(cursor)
            asked = queries.Scope(
                start=start, end=end, reference=min(end, as_of or today),
                threshold=suppression_threshold(),
                target_share=query.get("target_share",
                                       settings.current().coaching_share_target),
                year_start_month=month, year_start_day=day,
                **scope.authorised_scope(cursor, actor, query, view),
            )
            # The scope holds everything the queries are given (the normalised query and
            # the authorised region, school or coach): the actor is in it that way only.
            key = (view, asked, as_of, today, version)
            report = REPORTS.get(key)
            if report is not None:
                return report
            if as_of is None:
                rows = queries.report_rows(cursor, view, asked)
                covers = queries.described(cursor, asked)
            else:
                with replay.as_of(cursor, periods.end_of_day(as_of)):
                    rows = queries.report_rows(cursor, view, asked)
                    covers = queries.described(cursor, asked)
        # As the gateway encoded an answer of objects (``gateway.http.json_response``).
        report = json.dumps({"view": view, "from_date": start.isoformat(),
                             "to_date": end.isoformat(),
                             "as_of": as_of.isoformat() if as_of else None,
                             "suppression_threshold": asked.threshold,
                             # What ``below_target`` judged against, for every view to show.
                             "target_share": asked.target_share,
                             "scope": covers, "rows": rows},
                            default=str)
        REPORTS.put(key, report)
        return report
