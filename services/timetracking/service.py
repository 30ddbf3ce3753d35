"""The time-tracking nameko service: RPC commands and queries in, integration events out
(via the relay).

The entry commands a coach's app may queue offline are written once, as
``_<command>(actor, data, once, unit)``: their single entrypoint calls it in a unit of work
of its own, and ``sync`` calls it for each item of a batch with its client id, in the
batch's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from coachops import clock, entrypoints, settings
from coachops.bus.consumer import integration_event_handler
from coachops.commands import load
from coachops.commands.sync import COMMANDS
from coachops.commands.timetracking import (
    AddCategory,
    CoachDayQuery,
    CoachWeekQuery,
    ConfirmSuggestion,
    CorrectTimeEntry,
    DismissSuggestion,
    ImportTimeEntries,
    ImportTimeHistory,
    ListCategories,
    RecordTimeEntry,
    RenameCategory,
    RetireCategory,
    VoidTimeEntry,
)
from coachops.contracts import Envelope
from coachops.dependencies import DeliveredOnce, EventSourcedApp
from coachops.identity import Actor
from coachops.json import Json
from coachops.rpc import rpc
from coachops.sync_batch import apply_batch
from coachops.unit_of_work import Answer, Once, UnitOfWork
from services.timetracking import views
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CORRECTABLE, EntryValues, synced_entry_id
from services.timetracking.integration import to_integration

# A process of its own: stop here on a bad setting or a secret production refuses.
settings.start(settings.MASTER_KEY, settings.BROKER,
               settings.database_secret("timetracking"))


class TimeTrackingService(entrypoints.Ready, entrypoints.Publishing, entrypoints.ToldToForget):
    name = "timetracking"

    timetracking = EventSourcedApp(TimeTracking, publish=to_integration)
    once = DeliveredOnce()

    # Entries -----------------------------------------------------------------------------

    def _record_time_entry(self, actor: Actor, data: Json, once: Once | None = None,
                           unit: UnitOfWork | None = None) -> Answer[Json]:
        values = EntryValues.of(**{k: v for k, v in data.items() if k in CORRECTABLE})
        answer = self.timetracking.record_entry(
            actor=actor, coach_id=data["coach_id"], values=values,
            today=clock.today(), entry_id=data["entry_id"], once=once, unit=unit,
        )
        return Answer({"entry_id": str(answer.result)}, answer.duplicate)

    record_time_entry = entrypoints.queued(_record_time_entry, RecordTimeEntry)

    def _correct_time_entry(self, actor: Actor, data: Json, once: Once | None = None,
                            unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.timetracking.correct_entry(
            actor=actor, entry_id=data["entry_id"],
            changes={k: v for k, v in data.items() if k in CORRECTABLE},
            reason=data["reason"], today=clock.today(), once=once, unit=unit,
        )
        return Answer({"entry_id": str(data["entry_id"])}, answer.duplicate)

    correct_time_entry = entrypoints.queued(_correct_time_entry, CorrectTimeEntry)

    def _void_time_entry(self, actor: Actor, data: Json, once: Once | None = None,
                         unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.timetracking.void_entry(actor=actor, entry_id=data["entry_id"],
                                              reason=data["reason"], once=once, unit=unit)
        return Answer({"entry_id": str(data["entry_id"])}, answer.duplicate)

    void_time_entry = entrypoints.queued(_void_time_entry, VoidTimeEntry)

    @rpc
    def sync(self, actor: Json, items: list[Json]) -> list[Json]:
        """A coach's queued entry commands, each applied once, in batch order. The entries
        and days they name are read in one go before the first (``read_ahead``)."""

        def read_ahead(unit: UnitOfWork) -> None:
            self.timetracking.read_ahead(unit, entries_named(items), days_named(items))

        # Every synced row of the route table is a ``_<command>`` handler here.
        return apply_batch(self.timetracking.work(), Actor.from_dict(actor), items, {
            name: getattr(self, f"_{name}") for name, row in COMMANDS.items()
            if row.service == self.name}, prepare=read_ahead)

    @rpc
    def import_time_entries(self, actor: Json, command: Json) -> Json:
        data = load(ImportTimeEntries, command)
        entry_ids = self.timetracking.import_entries(
            actor=Actor.from_dict(actor), coach_id=data["coach_id"], text=data["csv"],
            school_id=data["school_id"], today=clock.today(),
        )
        return {"imported": len(entry_ids), "entry_ids": [str(e) for e in entry_ids]}

    @rpc
    def import_time_history(self, actor: Json, command: Json) -> Json:
        data = load(ImportTimeHistory, command)
        plan = self.timetracking.import_history(Actor.from_dict(actor), data["csv"],
                                                clock.today(), data["dry_run"])
        return views.history_imported(plan, data["dry_run"])

    # Suggested entries: calendar items done in cycles ------------------------------------

    @integration_event_handler("agreements", "CoachAssignedToSchool")
    def on_coach_assigned_to_school(self, event: Envelope) -> None:
        fact = event.payload
        self.timetracking.learn_assignment(fact["coach_id"], fact["school_id"],
                                           fact["effective_on"], assigned=True)

    @integration_event_handler("agreements", "CoachUnassignedFromSchool")
    def on_coach_unassigned_from_school(self, event: Envelope) -> None:
        fact = event.payload
        self.timetracking.learn_assignment(fact["coach_id"], fact["school_id"],
                                           fact["effective_on"], assigned=False)

    @rpc
    def roster_knows(self, person_id: str, school_id: str, role: str, on: str) -> bool:
        """Whether this service has learnt that the coach is assigned to the school on that
        day (for a test or an operator waiting on the bus)."""
        assignments = self.timetracking.assignments_of(UUID(person_id))
        return (role == "coach" and assignments is not None
                and assignments.assigned(UUID(school_id), date.fromisoformat(on)))

    @integration_event_handler("cycles", "CalendarItemDone")
    def on_calendar_item_done(self, event: Envelope) -> None:
        item = event.payload
        self.timetracking.suggest_from_calendar(
            coach_id=item["coach_id"], item_id=item["item_id"], cycle_id=item["cycle_id"],
            school_id=item["school_id"], kind=item["kind"], done_on=item["done_on"],
            minutes=item["duration_minutes"],
        )

    def _confirm_time_suggestion(self, actor: Actor, data: Json, once: Once | None = None,
                                 unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.timetracking.confirm_suggestion(
            actor=actor, coach_id=data["coach_id"], on=data["date"], item_id=data["item_id"],
            changes={k: v for k, v in data.items() if k not in ("coach_id", "date", "item_id")},
            today=clock.today(), once=once, unit=unit,
        )
        return Answer({"entry_id": str(answer.result)}, answer.duplicate)

    confirm_suggestion = entrypoints.queued(_confirm_time_suggestion, ConfirmSuggestion)

    def _dismiss_time_suggestion(self, actor: Actor, data: Json, once: Once | None = None,
                                 unit: UnitOfWork | None = None) -> Answer[Json]:
        answer = self.timetracking.dismiss_suggestion(
            actor=actor, coach_id=data["coach_id"], on=data["date"], item_id=data["item_id"],
            once=once, unit=unit)
        return Answer({"item_id": str(data["item_id"])}, answer.duplicate)

    dismiss_suggestion = entrypoints.queued(_dismiss_time_suggestion, DismissSuggestion)

    @rpc
    def coach_day(self, actor: Json, query: Json) -> Json:
        data = load(CoachDayQuery, query)
        day = self.timetracking.coach_day(Actor.from_dict(actor), data["coach_id"], data["date"])
        return views.day(day, self.timetracking.category_list())

    @rpc
    def coach_week(self, actor: Json, query: Json) -> Json:
        data = load(CoachWeekQuery, query)
        days = self.timetracking.coach_week(Actor.from_dict(actor), data["coach_id"],
                                            data["date"])
        return views.week(days, self.timetracking.category_list(),
                          settings.current().coaching_share_target)

    # Categories --------------------------------------------------------------------------

    @rpc
    def categories(self, actor: Json, query: Json) -> Json:
        data = load(ListCategories, query)
        categories = self.timetracking.category_list().categories.values()
        return {"categories": [views.category(c) for c in categories
                               if data["include_retired"] or not c.retired]}

    @rpc
    def add_category(self, actor: Json, command: Json) -> Json:
        data = load(AddCategory, command)
        return views.category(self.timetracking.add_category(
            actor=Actor.from_dict(actor), label=data["label"], kind=data["kind"],
            category_id=data["category_id"],
        ))

    @rpc
    def rename_category(self, actor: Json, command: Json) -> Json:
        data = load(RenameCategory, command)
        return views.category(self.timetracking.rename_category(
            actor=Actor.from_dict(actor), category_id=data["category_id"], label=data["label"],
        ))

    @rpc
    def retire_category(self, actor: Json, command: Json) -> Json:
        data = load(RetireCategory, command)
        return views.category(self.timetracking.retire_category(
            actor=Actor.from_dict(actor), category_id=data["category_id"],
        ))


# What a batch's items name, read from their bodies before they are checked: an item whose
# ids do not parse names nothing here, and reads for itself when it is applied.


def entries_named(items: list[Json]) -> Iterator[UUID]:
    """The entry each item records, corrects or voids (recorded from an app without an
    id: the one its client id makes, ``synced_entry_id``)."""
    for item in items:
        try:
            body = item.get("body") or {}
            if body.get("entry_id") is not None:
                yield UUID(str(body["entry_id"]))
            elif item.get("command") == "record_time_entry":
                yield synced_entry_id(UUID(str(body["coach_id"])),
                                      UUID(str(item["client_id"])))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue


def days_named(items: list[Json]) -> Iterator[tuple[UUID, date]]:
    """The coach's day each record item goes on (a correction's is where its entry is)."""
    for item in items:
        if item.get("command") != "record_time_entry":
            continue
        try:
            body = item.get("body") or {}
            yield UUID(str(body["coach_id"])), date.fromisoformat(str(body["worked_on"]))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
