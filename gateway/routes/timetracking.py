"""Time-tracking routes: a coach's entries, days and weeks, and the district's categories."""

from __future__ import annotations

from typing import Any

from werkzeug import Request
from werkzeug.exceptions import UnsupportedMediaType

# Importing the commands also teaches this process ImportRejected, so a refused CSV file
# arrives from the service with its line-numbered list intact.
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
from gateway.auth import actor_of
from gateway.http import MAX_BODY_BYTES, Backend, http, json_body, optional_json_body
from gateway.routes import validated, with_path

Json = dict[str, Any]


def csv_upload(request: Request) -> Json:
    """``text/csv`` (the file itself, ``?school_id=`` for rows without one) or JSON
    ``{"csv": "...", "school_id": ...}``."""
    if request.mimetype == "text/csv":
        request.max_content_length = MAX_BODY_BYTES
        body: Json = {"csv": request.get_data(as_text=True)}
        if "school_id" in request.args:
            body["school_id"] = request.args["school_id"]
        return body
    if request.mimetype == "application/json":
        return json_body(request)
    raise UnsupportedMediaType("send the file as text/csv, or JSON with the text in 'csv'")


class TimeRoutes:
    timetracking = Backend("timetracking")
    time_imports = Backend("timetracking", long=True)

    # A coach's entries --------------------------------------------------------------------

    @http("POST", "/time-entries")
    def record_time_entry(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(RecordTimeEntry, json_body(request))
        return 201, self.timetracking.record_time_entry(actor.to_dict(), command)

    @http("POST", "/time-entries/<entry_id>/corrections")
    def correct_time_entry(self, request: Request, entry_id: str) -> Json:
        actor = actor_of(request)
        command = validated(CorrectTimeEntry, with_path(json_body(request), entry_id=entry_id))
        return self.timetracking.correct_time_entry(actor.to_dict(), command)

    @http("POST", "/time-entries/<entry_id>/void")
    def void_time_entry(self, request: Request, entry_id: str) -> Json:
        actor = actor_of(request)
        command = validated(VoidTimeEntry, with_path(json_body(request), entry_id=entry_id))
        return self.timetracking.void_time_entry(actor.to_dict(), command)

    @http("POST", "/coaches/<coach_id>/time-entries/import")
    def import_time_entries(self, request: Request, coach_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(ImportTimeEntries, with_path(csv_upload(request), coach_id=coach_id))
        return 201, self.time_imports.import_time_entries(actor.to_dict(), command)

    @http("GET", "/coaches/<coach_id>/time/days/<day>")
    def coach_time_day(self, request: Request, coach_id: str, day: str) -> Json:
        actor = actor_of(request)
        query = validated(CoachDayQuery, {"coach_id": coach_id, "date": day})
        return self.timetracking.coach_day(actor.to_dict(), query)

    @http("GET", "/coaches/<coach_id>/time/weeks/<day>")
    def coach_time_week(self, request: Request, coach_id: str, day: str) -> Json:
        actor = actor_of(request)
        query = validated(CoachWeekQuery, {"coach_id": coach_id, "date": day})
        return self.timetracking.coach_week(actor.to_dict(), query)

    # Suggested entries: calendar items done in cycles ------------------------------------

    @http("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/confirm")
    def confirm_time_suggestion(self, request: Request, coach_id: str, day: str,
                                item_id: str) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(ConfirmSuggestion, with_path(
            optional_json_body(request), coach_id=coach_id, date=day, item_id=item_id))
        return 201, self.timetracking.confirm_suggestion(actor.to_dict(), command)

    @http("POST", "/coaches/<coach_id>/time/days/<day>/suggestions/<item_id>/dismiss")
    def dismiss_time_suggestion(self, request: Request, coach_id: str, day: str,
                                item_id: str) -> Json:
        actor = actor_of(request)
        command = validated(DismissSuggestion,
                            {"coach_id": coach_id, "date": day, "item_id": item_id})
        return self.timetracking.dismiss_suggestion(actor.to_dict(), command)

    # The district's categories -----------------------------------------------------------

    @http("GET", "/time-categories")
    def time_categories(self, request: Request) -> Json:
        actor = actor_of(request)
        query = validated(ListCategories, dict(request.args))
        return self.timetracking.categories(actor.to_dict(), query)

    @http("POST", "/time-categories")
    def add_time_category(self, request: Request) -> tuple[int, Json]:
        actor = actor_of(request)
        command = validated(AddCategory, json_body(request))
        return 201, self.timetracking.add_category(actor.to_dict(), command)

    @http("POST", "/time-categories/<category_id>/rename")
    def rename_time_category(self, request: Request, category_id: str) -> Json:
        actor = actor_of(request)
        command = validated(RenameCategory,
                            with_path(json_body(request), category_id=category_id))
        return self.timetracking.rename_category(actor.to_dict(), command)

    @http("POST", "/time-categories/<category_id>/retire")
    def retire_time_category(self, request: Request, category_id: str) -> Json:
        actor = actor_of(request)
        command = validated(RetireCategory, {"category_id": category_id})
        return self.timetracking.retire_category(actor.to_dict(), command)
