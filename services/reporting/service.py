"""The reporting nameko service: consumes integration events, answers report queries."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from time import monotonic as time_now
from typing import Any
from uuid import UUID

import eventlet
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer
from prometheus_client import Histogram
from psycopg2.extensions import cursor as Cursor

from coachops import clock
from coachops.bus import parked
from coachops.bus.consumer import TRANSIENT, integration_event_handler
from coachops.bus.idempotency import BatchWriter, apply_once
from coachops.commands import load
from coachops.commands.reporting import ReportQuery, SchoolQuery
from coachops.contracts import ContractError, Envelope, decode
from coachops.dependencies import Database, Readiness
from coachops.errors import Forbidden, NotFound
from coachops.identity import Actor, Role
from coachops.metrics import MetricsServer
from coachops.rpc import rpc
from services.reporting import facts, projections, views
from services.reporting.cache import ReportCache

Json = dict[str, Any]
VIEWS: dict[str, Callable[[Cursor, views.Scope], list[Json]]] = {
    "time_use": views.time_use,
    "plan_alignment": views.plan_alignment,
    "cycle_activity": views.cycle_activity,
}
# The council shows the district and its regions only: no view computes the finer levels
# (every school and coach of the district) for it.
COUNCIL = ("district", "region")
COUNCIL_VIEWS: dict[str, Callable[[Cursor, views.Scope], list[Json]]] = {
    "time_use": lambda cursor, scope: views.time_use(cursor, scope, COUNCIL),
    "plan_alignment": lambda cursor, scope: views.plan_alignment(cursor, scope, COUNCIL,
                                                                 flags=False),
    "cycle_activity": lambda cursor, scope: views.cycle_activity(cursor, scope, COUNCIL),
}
REPORT_VIEWS = (*VIEWS, "council")
log = logging.getLogger(__name__)
REPORTS = ReportCache.configured()  # finished reports, per process

# How often to look for events named as a predecessor that never arrived.
GAP_CHECK_SECONDS = float(os.environ.get("REPORTING_GAP_CHECK_SECONDS", "5"))
# How long one check may wait on the sources in all: a source that does not answer (down,
# or stopping with the platform) costs the check its wait once, not ten seconds a gap, so a
# check never holds up a clean shutdown (nameko waits for the running check).
ASK_SECONDS = 10.0
_last_seen: dict[str, int | None] = {}  # per process: each source's end at the last check
COACH_VIEWS = ("time_use", "plan_alignment")  # a coach sees their own time, not cycles


def suppression_threshold() -> int:
    """Fewest teachers a school or region cell may describe (district configuration)."""
    return max(1, int(os.environ.get("REPORTING_SUPPRESSION_THRESHOLD", "3")))


def period(query: Json, today: date) -> tuple[date, date]:
    month, day = facts.school_year_start()
    if "from_date" in query:
        return query["from_date"], query["to_date"]
    if "month" in query:
        year, number = (int(part) for part in query["month"].split("-"))
        following = date(year + number // 12, number % 12 + 1, 1)
        return date(year, number, 1), following - timedelta(days=1)
    year = query.get("school_year") or facts.school_year_of(today, month, day)
    return facts.school_year_range(year, month, day)


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in the district's zone: what "as of that date" means."""
    following = datetime.combine(day + timedelta(days=1), time(), tzinfo=clock.district_zone())
    return following - timedelta(microseconds=1)


def authorised_scope(cursor: Cursor, actor: Actor, query: Json, view: str) -> Json:
    """The scope ``actor`` may see: the district for a leader, their region for a CLT rep,
    their school for a principal, their own time for a coach; Forbidden otherwise."""
    today = clock.today()
    wanted = {k: query[k] for k in ("region_id", "school_id", "coach_id") if k in query}
    if actor.role is Role.DISTRICT_LEADER:
        return wanted
    if actor.role is Role.CLT_REP:
        mine = views.region_represented_by(cursor, actor.id, today)
        if view == "council" and mine:
            return {}
        return _own(wanted, "region_id", mine, "a CLT representative sees their own region")
    if actor.role is Role.PRINCIPAL and view != "council":
        mine = views.schools_led_by(cursor, actor.id, today)
        return _own(wanted, "school_id", mine, "a principal sees their own school")
    if actor.role is Role.COACH and view in COACH_VIEWS:
        return _own(wanted, "coach_id", [str(actor.id)], "a coach sees their own time")
    raise Forbidden(f"a {actor.role.value} cannot see this report", field="view")


def school_in_scope(cursor: Cursor, actor: Actor, school_id: UUID) -> None:
    """A school's counts: for a leader, the school's principal, its region's CLT
    representative; Forbidden otherwise."""
    today = clock.today()
    if actor.role is Role.DISTRICT_LEADER:
        return
    if actor.role is Role.PRINCIPAL and str(school_id) in views.schools_led_by(
            cursor, actor.id, today):
        return
    if actor.role is Role.CLT_REP and views.region_of(cursor, school_id, today) in (
            views.region_represented_by(cursor, actor.id, today)):
        return
    raise Forbidden("a school's counts are for its principal, its region's CLT"
                    " representative and district leaders", field="school_id")


def _own(wanted: Json, field: str, mine: list[str], why: str) -> Json:
    for other in wanted:
        if other != field:
            raise Forbidden(why, field=other)
    chosen = str(wanted.get(field) or (mine[0] if mine else ""))
    if chosen not in mine:
        raise Forbidden(why, field=field)
    return {field: UUID(chosen)}


BATCH_EVENTS = Histogram(
    "coachops_reporting_batch_events", "Events applied in one reporting transaction",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
)


class Writer(DependencyProvider):
    """The process's one ``BatchWriter``: each event handler hands it its event and waits
    for the commit, so events are applied many to a transaction.

    Batches form only from events being handled at once, so this raises the container's
    worker pool (and with it the prefetch) to ``REPORTING_MAX_WORKERS``. The database pool
    stays sized by ``max_workers`` (``coachops.dependencies.pool_size``): waiting workers
    hold no connection, the writer needs one and report queries wait for theirs."""

    def __init__(self, database: str = "db") -> None:
        self.database = database
        self.writer: BatchWriter | None = None

    def setup(self) -> None:
        container = self.container
        workers = int(container.config.get("REPORTING_MAX_WORKERS") or 0)
        if workers > container.max_workers:
            # Read by the queue consumer when it starts consuming, after every setup.
            container.max_workers = workers
            container._worker_pool.resize(workers)

    def start(self) -> None:
        [db] = [d for d in self.container.dependencies if d.attr_name == self.database]
        self.writer = BatchWriter(
            db.datastore, projections.receive_all, projections.receive,
            limit=int(self.container.config.get("REPORTING_BATCH_SIZE", 500)),
            observe=BATCH_EVENTS.observe,
        )
        self._thread = self.container.spawn_managed_thread(self.writer.run,
                                                           identifier="reporting-writer")

    def stop(self) -> None:
        # nameko stops dependencies after the last worker returned: nothing waits any more.
        if self.writer is not None:
            self.writer.stop()
            self._thread.wait()

    def get_dependency(self, worker_ctx: Any) -> Callable[[Envelope], bool]:
        assert self.writer is not None
        return self.writer.apply


class StartupHeapFrozen(DependencyProvider):
    """Once the service has started, what it holds by then (modules, nameko, its
    connections: it lives as long as the process) is moved out of the garbage collector's
    way (``gc.freeze``), so a full collection walks what was made since rather than all
    of it. In a process importing this service, the full collection that came about every
    twenty district reports took 30 to 66 ms (under 1 ms frozen): the tail of an uncached
    report's latency."""

    def start(self) -> None:
        gc.freeze()


def _handler(source: str, event_type: str) -> Callable[[Any, Envelope], None]:
    def handle(self: ReportingService, event: Envelope) -> None:
        self.write(event)

    handle.__name__ = "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", event_type).lower()
    return integration_event_handler(source, event_type)(handle)


class ReportingService:
    name = "reporting"

    db = Database(schema=projections.SCHEMA)
    parked_events = parked.ParkedEvents()  # what the consumers park, the gap check skips
    write = Writer()
    metrics = MetricsServer()
    # The sources' notification logs, for events missed on the bus.
    cycles = RpcProxy("cycles")
    timetracking = RpcProxy("timetracking")
    agreements = RpcProxy("agreements")

    # One consumer per event type of every source: each hands the event to the writer,
    # which keeps it and refolds what it touches (projections.receive_all) in batches.
    for _source, _types in facts.CONSUMED.items():
        for _type in _types:
            _method = _handler(_source, _type)
            locals()[_method.__name__] = _method
    del _source, _types, _type, _method

    ready = Readiness()
    heap = StartupHeapFrozen()

    @rpc
    def ping(self) -> str:
        return "pong" if self.ready() else "starting"

    @rpc
    def active_cycles(self, actor: Json, query: Json) -> dict[str, object]:
        """The school's cycles active today, or ``{"suppressed": true}`` as its cell of
        today's cycle activity is: a count of cycles is suppressed alike on every route."""
        school_id: UUID = load(SchoolQuery, query)["school_id"]
        today = clock.today()
        month, day = facts.school_year_start()
        scope = views.Scope(start=today, end=today, reference=today, school_id=school_id,
                            threshold=suppression_threshold(), year_start_month=month,
                            year_start_day=day)
        with self.db.transaction(commit=False) as cursor:
            school_in_scope(cursor, Actor.from_dict(actor), school_id)
            count = views.active_cycles(cursor, scope)
        return {"school_id": str(school_id), "active_cycles": count}

    @rpc
    def report(self, view: str, actor: Json, query: Json) -> str:
        """A report (one of ``REPORT_VIEWS``) as the JSON text the gateway sends on as it
        is. A district's time use is a thousand rows (400 kB): as objects, encoding them
        for RPC, decoding them in the gateway and encoding them again took about 10 ms
        of the two processes' time per answer; as text, once here (none on a cache hit)."""
        if view not in REPORT_VIEWS:
            raise NotFound(f"there is no report {view!r}", field="view")
        return self._report(view, actor, query)

    # The same reports as objects, for callers that want them so.
    @rpc
    def time_use(self, actor: Json, query: Json) -> Json:
        return self._objects("time_use", actor, query)

    @rpc
    def plan_alignment(self, actor: Json, query: Json) -> Json:
        return self._objects("plan_alignment", actor, query)

    @rpc
    def cycle_activity(self, actor: Json, query: Json) -> Json:
        return self._objects("cycle_activity", actor, query)

    @rpc
    def council(self, actor: Json, query: Json) -> Json:
        """Every region side by side, each view's region row under its name."""
        return self._objects("council", actor, query)

    @rpc
    def gaps(self) -> list[Json]:
        with self.db.transaction() as cursor:
            return projections.gaps(cursor)

    @timer(interval=GAP_CHECK_SECONDS)
    def fetch_missing(self) -> None:
        """Events lost on the bus, fetched from their source's notification log and applied
        like any other (the claim makes a late delivery of the same event harmless): one
        named as a predecessor that never arrived, and a source's last events, which no
        later event names yet."""
        self._asking_until = time_now() + ASK_SECONDS
        with self.db.transaction() as cursor:
            missing = projections.gaps(cursor)
            parked.waiting(cursor, list(facts.CONSUMED))  # and the gauge of what waits
        for gap in missing:
            if gap["source"] in facts.CONSUMED:
                self._fetch(gap["source"], gap["position"], 1, "named by a later event")
        for source in facts.CONSUMED:
            last = self._ask(source, "last_published_position")
            # Only once the source is quiet, so an event still on its way is not fetched.
            if last and last == _last_seen.get(source):
                with self.db.transaction(commit=False) as cursor:
                    lost = not projections.received(cursor, source, [last])
                if lost:
                    self._fetch(source, last, 1, "its source's last")
            _last_seen[source] = last

    def _ask(self, source: str, method: str, *args: int) -> Any:
        seconds = min(ASK_SECONDS, getattr(self, "_asking_until", float("inf")) - time_now())
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
            received = projections.received(cursor, source, [e.position for e, _ in events])
        for event, body in events:
            if event.position in received:
                continue
            try:
                applied = apply_once(self.db, event, projections.receive)
            except TRANSIENT:
                raise  # an outage: the next check fetches it again
            except Exception as error:
                self._park_fetched(body, f"handler failed: {error!r}")
                continue
            if applied:
                log.info("fetched %s %s at position %d (%s), missed on the bus",
                         event.source, event.event_type, event.position, why)

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
        start, end = period(query, as_of or today)
        month, day = facts.school_year_start()
        with self.db.transaction(commit=False) as cursor:
            # First: every statement after it sees these read models or newer ones, so
            # the report kept under it is never older than its key.
            version = projections.read_model_version(cursor)
            scope = views.Scope(
                start=start, end=end, reference=min(end, as_of or today),
                threshold=suppression_threshold(),
                target_share=query.get("target_share", 0.4),
                year_start_month=month, year_start_day=day,
                **authorised_scope(cursor, actor, query, view),
            )
            # The scope holds everything the views are given (the normalised query and
            # the authorised region, school or coach): the actor is in it that way only.
            key = (view, scope, as_of, today, version)
            report = REPORTS.get(key)
            if report is not None:
                return report
            if as_of is None:
                rows = self._rows(cursor, view, scope)
            else:
                with projections.as_of(cursor, end_of_day(as_of)):
                    rows = self._rows(cursor, view, scope)
        # As the gateway encoded an answer of objects (``gateway.http.json_response``).
        report = json.dumps({"view": view, "from_date": start.isoformat(),
                             "to_date": end.isoformat(),
                             "as_of": as_of.isoformat() if as_of else None,
                             "suppression_threshold": scope.threshold, "rows": rows},
                            default=str)
        REPORTS.put(key, report)
        return report

    @staticmethod
    def _rows(cursor: Cursor, view: str, scope: views.Scope) -> list[Json]:
        if view != "council":
            return VIEWS[view](cursor, scope)
        side_by_side: dict[str, Json] = {}
        for name, compute in COUNCIL_VIEWS.items():
            for row in compute(cursor, scope):
                if row["level"] in ("region", "district"):
                    cell = side_by_side.setdefault(
                        row["key"], {"level": row["level"], "key": row["key"]})
                    cell[name] = {k: v for k, v in row.items() if k not in ("level", "key")}
        return sorted(side_by_side.values(), key=lambda r: (r["level"] != "district", r["key"]))
