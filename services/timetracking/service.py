"""The time-tracking nameko service: RPC commands and queries in, integration events out
(via the relay).

The entry commands a coach's app may queue offline are written once, as
``_<command>(actor, data, once)``: their single entrypoint calls it without a client id,
and ``sync`` calls it for each item of a batch with one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from coachops import clock
from coachops.bus.consumer import integration_event_handler
from coachops.commands import load
from coachops.commands.sync import Batch, Once, apply_batch
from coachops.commands.timetracking import (
    AddCategory,
    CoachDayQuery,
    CoachWeekQuery,
    ConfirmSuggestion,
    CorrectTimeEntry,
    DismissSuggestion,
    ImportTimeEntries,
    ListCategories,
    RecordTimeEntry,
    RenameCategory,
    RetireCategory,
    VoidTimeEntry,
)
from coachops.contracts import Envelope
from coachops.dependencies import DeliveredOnce, PublishedEvents, Readiness, Store
from coachops.identity import Actor
from coachops.json import Json
from coachops.metrics import MetricsServer
from coachops.rpc import rpc
from services.timetracking import views
from services.timetracking.app import TimeTracking
from services.timetracking.domain import CORRECTABLE, EntryValues, synced_entry_id
from services.timetracking.integration import to_integration


class TimeTrackingService:
    name = "timetracking"

    timetracking = Store(TimeTracking, publish=to_integration)
    metrics = MetricsServer()

    ready = Readiness()
    published = PublishedEvents("timetracking")
    once = DeliveredOnce()

    @rpc
    def ping(self) -> str:
        return "pong" if self.ready() else "starting"

    @rpc
    def published_events(self, start: int, limit: int = 100) -> list[Json]:
        """What this service published from position ``start`` on (a consumer's gap)."""
        return self.published.events(int(start), min(int(limit), 1000))

    @rpc
    def last_published_position(self) -> int:
        """Where this service's published events end, for a consumer that may have missed
        the last ones, or that reads them all."""
        return self.published.last_published()

    # Entries -----------------------------------------------------------------------------

    @rpc
    def record_time_entry(self, actor: Json, command: Json) -> Json:
        return self._record_time_entry(Actor.from_dict(actor),
                                       load(RecordTimeEntry, command),
                                       self.once(actor, "record_time_entry"))

    def _record_time_entry(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        values = EntryValues.of(**{k: v for k, v in data.items() if k in CORRECTABLE})
        entry_id = self.timetracking.record_entry(
            actor=actor, coach_id=data["coach_id"], values=values,
            today=clock.today(), entry_id=data["entry_id"], once=once,
        )
        return {"entry_id": str(entry_id)}

    @rpc
    def correct_time_entry(self, actor: Json, command: Json) -> Json:
        return self._correct_time_entry(Actor.from_dict(actor),
                                        load(CorrectTimeEntry, command),
                                        self.once(actor, "correct_time_entry"))

    def _correct_time_entry(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        self.timetracking.correct_entry(
            actor=actor, entry_id=data["entry_id"],
            changes={k: v for k, v in data.items() if k in CORRECTABLE},
            reason=data["reason"], today=clock.today(), once=once,
        )
        return {"entry_id": str(data["entry_id"])}

    @rpc
    def void_time_entry(self, actor: Json, command: Json) -> Json:
        return self._void_time_entry(Actor.from_dict(actor), load(VoidTimeEntry, command),
                                     self.once(actor, "void_time_entry"))

    def _void_time_entry(self, actor: Actor, data: Json, once: Once | None = None) -> Json:
        self.timetracking.void_entry(actor=actor, entry_id=data["entry_id"],
                                     reason=data["reason"], once=once)
        return {"entry_id": str(data["entry_id"])}

    @rpc
    def sync(self, actor: Json, items: list[Json]) -> list[Json]:
        """A coach's queued entry commands, each applied once, in batch order. The entries
        and days they name are read in one go before the first (``read_ahead``)."""

        def read_ahead(batch: Batch) -> None:
            self.timetracking.read_ahead(batch, entries_named(items), days_named(items))

        return apply_batch(Actor.from_dict(actor), items, {
            "record_time_entry": self._record_time_entry,
            "correct_time_entry": self._correct_time_entry,
            "void_time_entry": self._void_time_entry,
        }, prepare=read_ahead)

    @rpc
    def import_time_entries(self, actor: Json, command: Json) -> Json:
        data = load(ImportTimeEntries, command)
        entry_ids = self.timetracking.import_entries(
            actor=Actor.from_dict(actor), coach_id=data["coach_id"], text=data["csv"],
            school_id=data["school_id"], today=clock.today(),
        )
        return {"imported": len(entry_ids), "entry_ids": [str(e) for e in entry_ids]}

    # Forgetting a person (coachops.privacy): told by the roster, or asked again by
    # ``python -m coachops.privacy.reapply`` after a database is restored from a backup.

    @integration_event_handler("agreements", "PersonForgotten")
    def on_person_forgotten(self, event: Envelope) -> None:
        self.timetracking.erase_person(event.payload["person_id"])

    @rpc
    def erase_person(self, person_id: str) -> int:
        return self.timetracking.erase_person(UUID(person_id))

    @rpc
    def erased_people(self) -> list[str]:
        return [str(p) for p in self.timetracking.erased_people()]

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

    @rpc
    def confirm_suggestion(self, actor: Json, command: Json) -> Json:
        data = load(ConfirmSuggestion, command)
        entry_id = self.timetracking.confirm_suggestion(
            actor=Actor.from_dict(actor), coach_id=data["coach_id"], on=data["date"],
            item_id=data["item_id"],
            changes={k: v for k, v in data.items() if k not in ("coach_id", "date", "item_id")},
            today=clock.today(),
        )
        return {"entry_id": str(entry_id)}

    @rpc
    def dismiss_suggestion(self, actor: Json, command: Json) -> Json:
        data = load(DismissSuggestion, command)
        self.timetracking.dismiss_suggestion(actor=Actor.from_dict(actor),
                                             coach_id=data["coach_id"], on=data["date"],
                                             item_id=data["item_id"])
        return {"item_id": str(data["item_id"])}

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
        return views.week(days, self.timetracking.category_list())

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
