"""The agreements nameko service: the roster import, coaching and partnership agreements
over RPC; roster and agreement events out (via the relay).

The agreements' commands are ones an app may queue offline, each written once, as
``_<command>(actor, data, once, unit)``: its single entrypoint calls it in a unit of work
of its own, and ``sync`` calls it for each item of a batch with its client id, in the
batch's unit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from typing import Any
from uuid import UUID

from marshmallow import Schema
from nameko.extensions import DependencyProvider

from coachops import clock, entrypoints, settings
from coachops.commands import load
from coachops.commands.agreements import (
    AgreementQuery,
    AgreePartnershipAgreement,
    DraftCoachingAgreement,
    DraftPartnershipAgreement,
    ForgetPerson,
    ImportAgreementHistory,
    ImportRoster,
    MeQuery,
    PeopleQuery,
    RecordCheckIn,
    ReviseCoachingAgreement,
    RosterImportQuery,
    RosterPeopleQuery,
    RosterPersonQuery,
    RosterRegionsQuery,
    RosterSchoolsQuery,
    RosterUnsetQuery,
    SchoolRosterQuery,
    SetUpRoster,
    SignCoachingAgreement,
)
from coachops.commands.sync import COMMANDS
from coachops.dependencies import DeliveredOnce, EventSourcedApp
from coachops.identity import Actor, Role
from coachops.json import Json
from coachops.rpc import rpc
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer
from services.agreements import views
from services.agreements.app import Agreements
from services.agreements.domain import Norms, Terms
from services.agreements.integration import to_integration
from services.agreements.roster_files import FILES as ROSTER_FILES

# A process of its own: stop here on a bad setting or a secret production refuses.
settings.start(settings.MASTER_KEY, settings.BROKER,
               settings.database_secret("agreements"))
log = logging.getLogger(__name__)

TERMS = ("focus_areas", "coach_role", "not_coach_role", "check_in_every_weeks")


def _terms(data: Json) -> Terms:
    return Terms.of(**{k: data[k] for k in TERMS})


def _norms(data: Json) -> Norms:
    return Norms.of(**{k: v for k, v in data.items() if k not in ("teacher_id", "agreement_id")})


def on_an_agreement(schema: type[Schema], decide: str, answer: Callable[[Any], Json],
                    dated: bool = True) -> Callable[..., Json]:
    """The entrypoint of a query that names an agreement and nothing more:
    ``Agreements.<decide>(actor, agreement_id, today)`` (without today where not
    ``dated``), answered as ``answer`` shows it."""

    @rpc
    def entrypoint(self: AgreementsService, actor: Json, command: Json) -> Json:
        data = load(schema, command)
        today = [clock.today()] if dated else []
        return answer(getattr(self.agreements, decide)(Actor.from_dict(actor),
                                                       data["agreement_id"], *today))

    entrypoint.__name__ = entrypoint.__qualname__ = decide
    made: Callable[..., Json] = entrypoint
    return made


class Background(DependencyProvider):
    """Roster imports run beside the workers, so their request is answered at once. At
    start, the imports a stopped process left open are failed; at a stop, those running
    are finished first (a kill leaves them to the next start, which fails them)."""

    def _app(self) -> Agreements:
        for dependency in self.container.dependencies:
            if (isinstance(dependency, EventSourcedApp)
                    and isinstance(dependency.application, Agreements)):
                return dependency.application
        raise LookupError("the agreements service has no application")

    def setup(self) -> None:
        self.running: set[Any] = set()

    def start(self) -> None:
        self.container.spawn_managed_thread(self._fail_abandoned, identifier="roster-imports")

    def _fail_abandoned(self) -> None:
        try:
            failed = self._app().fail_abandoned_imports()
            if failed:
                log.warning("%d roster imports were left open by a stopped process: failed",
                            failed)
        except Exception:  # the next look at each (roster_import_state) fails it then
            log.exception("could not look for roster imports left open")

    def wait_idle(self) -> None:
        """Until the imports running have ended (``EventSourcedApp`` waits here before it
        closes the application at a stop)."""
        for thread in list(self.running):
            thread.wait()

    def stop(self) -> None:
        self.wait_idle()

    def get_dependency(self, worker_ctx: Any) -> Background:
        return self

    def run(self, actor: Actor, files: dict[str, str], effective_on: date) -> Json:
        """Queue an import, held as running by this process, and run it beside the
        workers; its record as queued."""
        app = self._app()
        record = app.queue_roster_import(actor, effective_on)
        held = ExitStack()
        held.enter_context(app.runs.holding(record.id))
        try:
            app.save(record)
        except BaseException:
            held.close()
            raise

        def run() -> None:
            with held:
                app.run_roster_import(record, files)

        thread = self.container.spawn_managed_thread(run, identifier=f"import-{record.id}")
        self.running.add(thread)
        thread.link(lambda finished: self.running.discard(finished))
        return {"import_id": str(record.id), "state": record.state}


def shown(answer: Answer[Any], view: Callable[[Any], Json]) -> Answer[Json]:
    """A command's answer: the agreement as ``view`` shows it, and whether sent again."""
    return Answer(view(answer.result), answer.duplicate)


def deciding(decide: str, view: Callable[[Any], Json],
             arguments: Callable[[Json], tuple[Any, ...]]) -> entrypoints.Handler:
    """The handler of an agreement command, ``Agreements.<decide>(actor, *arguments(data),
    once, unit)``, answered with the agreement as ``view`` shows it."""
    return entrypoints.deciding(decide, "agreements", decide, arguments,
                                lambda answer: shown(answer, view))


class AgreementsService(entrypoints.Ready, entrypoints.Publishing, entrypoints.Erasure):
    name = "agreements"

    agreements = EventSourcedApp(Agreements, publish=to_integration)
    imports = Background()
    once = DeliveredOnce()

    def _erase(self, person_id: UUID) -> int:
        """For ``coachops.privacy.reapply``, after a restore: the same erasure as
        ``forget_person``, no actor."""
        return self.agreements.forget(person_id, clock.today())

    @rpc
    def import_agreement_history(self, actor: Json, command: Json) -> Json:
        """Agreements signed on paper before coachops, entered by district IT."""
        data = load(ImportAgreementHistory, command)
        found = self.agreements.import_history(Actor.from_dict(actor), data["csv"],
                                               clock.today(), data["dry_run"])
        return {"dry_run": data["dry_run"], "recorded": len(found.agreements),
                "already_recorded": found.already,
                "agreement_ids": [] if data["dry_run"]
                else [str(a.id) for a in found.agreements]}

    # The roster ---------------------------------------------------------------------------

    @rpc
    def import_roster(self, actor: Json, command: Json) -> Json:
        """A dry run: what the import would change. Else the import, queued to run in the
        background: its id and state (``roster_import`` follows it)."""
        data = load(ImportRoster, command)
        who = Actor.from_dict(actor)
        files = {name: data[name] for name in ROSTER_FILES if data.get(name)}
        effective_on = data["effective_on"] or clock.today()
        if data["dry_run"]:
            return self.agreements.preview_roster_import(who, files, effective_on)
        return self.imports.run(who, files, effective_on)

    @rpc
    def roster_import(self, actor: Json, query: Json) -> Json:
        """Where an import stands: its state, its rows done, what it changed or why not."""
        data = load(RosterImportQuery, query)
        return self.agreements.roster_import_state(Actor.from_dict(actor), data["import_id"])

    @rpc
    def roles_on(self, person_id: str, day: str | None = None) -> list[str]:
        """The roles the roster gives a person on a day (today by default), for the
        gateway's check of every token and for sign-in; none for someone forgotten."""
        on = date.fromisoformat(day) if day else clock.today()
        return [r.value for r in self.agreements.roles_on(UUID(person_id), on)]

    @rpc
    def roles_changed_since(self, position: int | None = None) -> Json:
        """For the gateway, which keeps the roles it was told: the people whose roles may
        have changed after ``position`` of this service's log, and the position to ask from
        next (with no position, only that)."""
        now, people = self.agreements.roles_changed_since(position)
        return {"position": now, "people": sorted(str(person) for person in people)}

    @rpc
    def find_people(self, actor: Json, query: Json) -> Json:
        """District IT's search of the roster: by name, email or sourcedId."""
        data = load(PeopleQuery, query)
        return self.agreements.find_people(Actor.from_dict(actor), data["q"], clock.today())

    @rpc
    def identify_person(self, identifier: str) -> Json | None:
        """Whom a sourcedId or an email names, with their roles today (None: nobody), for
        issuing an integration token."""
        return self.agreements.identify_person(str(identifier), clock.today())

    @rpc
    def appoint_it_admin(self, person_id: str, effective_on: str | None = None) -> bool:
        """District IT's first administrator; see ``services.agreements.appoint``."""
        on = date.fromisoformat(effective_on) if effective_on else clock.today()
        return self.agreements.appoint_it_admin(UUID(person_id), on)

    @rpc
    def school_roster(self, actor: Json, query: Json) -> Json:
        data = load(SchoolRosterQuery, query)
        on = data["on"] or clock.today()
        school = self.agreements.school_roster(Actor.from_dict(actor), data["school_id"], on)
        return views.school(school, on)

    @rpc
    def roster_regions(self, actor: Json, query: Json) -> Json:
        data = load(RosterRegionsQuery, query)
        return self.agreements.roster_regions(Actor.from_dict(actor),
                                              data["on"] or clock.today())

    @rpc
    def roster_unset(self, actor: Json, query: Json) -> Json:
        data = load(RosterUnsetQuery, query)
        return self.agreements.roster_unset(Actor.from_dict(actor), data["on"] or clock.today())

    @rpc
    def set_up_roster(self, actor: Json, command: Json) -> Json:
        data = load(SetUpRoster, command)
        return self.agreements.set_up_roster(Actor.from_dict(actor), data,
                                             data["effective_on"] or clock.today())

    @rpc
    def roster_schools(self, actor: Json, query: Json) -> Json:
        data = load(RosterSchoolsQuery, query)
        return self.agreements.roster_schools(Actor.from_dict(actor),
                                              data["on"] or clock.today(), data["region_id"])

    @rpc
    def roster_people(self, actor: Json, query: Json) -> Json:
        data = load(RosterPeopleQuery, query)
        return self.agreements.roster_people(
            Actor.from_dict(actor), data["on"] or clock.today(),
            Role(data["role"]) if data["role"] else None, data["school_id"],
            data["region_id"], data["page"], data["limit"])

    @rpc
    def roster_person(self, actor: Json, query: Json) -> Json:
        data = load(RosterPersonQuery, query)
        return self.agreements.roster_person(Actor.from_dict(actor), data["person_id"],
                                             data["on"] or clock.today())

    @rpc
    def me(self, actor: Json, query: Json) -> Json:
        """The signed-in person and their schools by name, for their app."""
        load(MeQuery, query)
        today = clock.today()
        month, day = settings.current().school_year_start
        year = today.year if (today.month, today.day) >= (month, day) else today.year - 1
        return self.agreements.me(Actor.from_dict(actor), today, year)

    # Forgetting a person (coachops.privacy) ----------------------------------------------

    @rpc
    def forget_person(self, actor: Json, command: Json) -> Json:
        data = load(ForgetPerson, command)
        destroyed = self.agreements.forget_person(Actor.from_dict(actor), data["person_id"],
                                                  clock.today())
        return {"person_id": str(data["person_id"]), "forgotten": True,
                "keys_destroyed_here": destroyed}

    # Coaching agreements ------------------------------------------------------------------

    _draft_coaching_agreement = deciding(
        "draft_coaching_agreement", views.coaching_agreement,
        lambda d: (d["school_id"], d["school_year"], _terms(d), clock.today()))
    draft_coaching_agreement = entrypoints.queued(_draft_coaching_agreement,
                                                  DraftCoachingAgreement)

    _revise_coaching_agreement = deciding(
        "revise_coaching_agreement", views.coaching_agreement,
        lambda d: (d["agreement_id"], _terms(d), clock.today()))
    revise_coaching_agreement = entrypoints.queued(_revise_coaching_agreement,
                                                   ReviseCoachingAgreement)

    _sign_coaching_agreement = deciding(
        "sign_coaching_agreement", views.coaching_agreement,
        lambda d: (d["agreement_id"], d["version"], clock.today(), d["signed_on"]))
    sign_coaching_agreement = entrypoints.queued(_sign_coaching_agreement,
                                                 SignCoachingAgreement)

    _record_check_in = deciding(
        "record_check_in", views.coaching_agreement,
        lambda d: (d["agreement_id"], d["held_on"], d["notes"], d["focus_areas"],
                   clock.today(), d["attended_by"]))
    record_check_in = entrypoints.queued(_record_check_in, RecordCheckIn)

    coaching_agreement = on_an_agreement(AgreementQuery, "coaching_agreement",
                                         views.coaching_agreement)

    # Partnership agreements ---------------------------------------------------------------

    _draft_partnership_agreement = deciding(
        "draft_partnership_agreement", views.partnership_agreement,
        lambda d: (d["teacher_id"], _norms(d), clock.today(), d["agreement_id"]))
    draft_partnership_agreement = entrypoints.queued(_draft_partnership_agreement,
                                                     DraftPartnershipAgreement)

    _agree_partnership_agreement = deciding(
        "agree_partnership_agreement", views.partnership_agreement,
        lambda d: (d["agreement_id"], clock.today()))
    agree_partnership_agreement = entrypoints.queued(_agree_partnership_agreement,
                                                     AgreePartnershipAgreement)

    partnership_agreement = on_an_agreement(AgreementQuery, "partnership_agreement",
                                            views.partnership_agreement, dated=False)

    # Offline sync: what an app queued, in the order it was done ----------------------------

    @rpc
    def sync(self, actor: Json, items: list[Json]) -> list[Json]:
        """Each item applied once, in batch order, in one unit of work; each answered as its
        single entrypoint would, one refusal stopping nothing. Every synced row of the
        route table is a ``_<command>`` handler here."""
        return apply_batch(self.agreements.work(), Actor.from_dict(actor), items, {
            name: getattr(self, f"_{name}") for name, row in COMMANDS.items()
            if row.service == self.name})
